"""``release.slots``: verify's venv is made at the same path each run, never shared at once."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
from pathlib import Path

from release.slots import SLOTS, cache_root, place


def _env(tmp_path: Path) -> dict[str, str]:
    return {"XDG_CACHE_HOME": str(tmp_path / "cache")}


def test_a_run_gets_the_same_empty_place_each_time(tmp_path: Path) -> None:
    env = _env(tmp_path)
    with place(env) as first:
        (first / "venv").mkdir()
        (first / "venv" / "file").write_text("x")
    assert list(first.iterdir()) == []  # emptied when given back
    with place(env) as second:
        assert second == first
        assert list(second.iterdir()) == []
    assert first.parent == cache_root(env)


def test_places_held_at_once_are_different(tmp_path: Path) -> None:
    env = _env(tmp_path)
    with place(env) as one, place(env) as two:
        assert one != two
        assert {one.name, two.name} == {"slot-0", "slot-1"}


def test_a_place_held_by_another_process_is_passed_over(tmp_path: Path) -> None:
    env = _env(tmp_path)
    slot0 = cache_root(env) / "slot-0"  # type: ignore[operator]
    slot0.mkdir(parents=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); "
         "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); sys.stdin.read()", str(slot0)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with place(env) as taken:
            assert taken.name == "slot-1"
    finally:
        holder.communicate("")
    with place(env) as taken:
        assert taken.name == "slot-0"  # given back when its holder ended


def test_what_an_interrupted_run_left_is_removed_when_the_place_is_taken(tmp_path: Path) -> None:
    env = _env(tmp_path)
    slot0 = cache_root(env) / "slot-0"  # type: ignore[operator]
    (slot0 / "venv" / "lib").mkdir(parents=True)
    (slot0 / "requirements.txt").write_text("left\n")
    (slot0 / "link").symlink_to(tmp_path)  # a link is removed, not followed
    with place(env) as taken:
        assert taken == slot0
        assert list(taken.iterdir()) == []
    assert tmp_path.is_dir()


def test_without_a_cache_directory_or_a_free_slot_a_temporary_directory_serves(
    tmp_path: Path,
) -> None:
    with place({}) as anywhere:
        assert anywhere.parent == Path(tempfile.gettempdir())
        assert anywhere.name.startswith("release-verify-")
    assert not anywhere.exists()
    env = _env(tmp_path)
    with contextlib.ExitStack() as stack:
        held = [stack.enter_context(place(env)) for _ in range(SLOTS)]
        assert len(set(held)) == SLOTS
        with place(env) as extra:
            assert extra.parent == Path(tempfile.gettempdir())
        assert not extra.exists()


def test_each_interpreter_has_places_of_its_own(tmp_path: Path) -> None:
    env = _env(tmp_path)
    other = tmp_path / "other-python"
    other.write_text("")
    assert cache_root(env, str(other)) != cache_root(env)
    assert cache_root(env, str(other)).parent == cache_root(env).parent  # type: ignore[union-attr]
