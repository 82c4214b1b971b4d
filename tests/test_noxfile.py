"""`nox -s release` runs lint and tests first, and a failing or skipped test run stops it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar

import pytest
from conftest import git, init_repo, snapshot

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def _copy_repo(dest: Path) -> Path:
    """This repository's files (tracked and new, not ignored), with a failing test suite."""
    names = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        check=True,
        text=True,
    ).stdout.split("\0")
    for name in filter(None, names):
        if name.startswith("tests/") or not (REPO / name).is_file():
            continue
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, dest / name)
    (dest / "tests").mkdir()
    (dest / "tests" / "test_broken.py").write_text("def test_broken():\n    assert 1 + 1 == 3\n")
    return dest


def test_nox_release_stops_when_tests_fail(tmp_path: Path) -> None:
    work = init_repo(_copy_repo(tmp_path / "copy"))
    before = snapshot(work)
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}"}
    env.pop("RELEASE_REPOSITORY", None)
    proc = subprocess.run(
        # the sessions run in this test environment, which has every tool installed already
        [
            sys.executable,
            "-m",
            "nox",
            "-s",
            "release",
            "--force-venv-backend",
            "none",
            "--no-install",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert "Session tests failed" in output
    assert "1 failed" in output
    assert "release ship" not in output
    assert "release: aborted" in output
    shutil.rmtree(work / ".nox", ignore_errors=True)
    for cache in (".mypy_cache", ".ruff_cache", ".pytest_cache"):
        shutil.rmtree(work / cache, ignore_errors=True)
    for pycache in list(work.rglob("__pycache__")):
        shutil.rmtree(pycache)
    assert snapshot(work) == before
    assert git(work, "tag") == ""


class _Run:
    """A nox session run with its result, as nox's manifest holds it."""

    def __init__(self, status: str) -> None:
        self.result = SimpleNamespace(status=SimpleNamespace(name=status.upper()))


class _Session:
    """Just enough of nox.Session for the release gate: error() stops like nox's does."""

    name = "release"
    posargs: ClassVar[list[str]] = []

    def __init__(self, statuses: dict[str, str]) -> None:
        runs = {name: _Run(status) for name, status in statuses.items()}
        manifest = SimpleNamespace(all_sessions_by_signature=runs)
        self._runner = SimpleNamespace(manifest=manifest)

    def error(self, message: str) -> None:
        raise RuntimeError(message)


def test_release_session_refuses_when_tests_were_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Our own noxfile uses the package's gate (release.noxsupport), like generated ones."""
    monkeypatch.syspath_prepend(str(REPO))
    import noxfile

    session = _Session({"lint": "success", "tests": "skipped"})
    with pytest.raises(RuntimeError, match=r"^tests \(skipped\) did not pass"):
        noxfile.release.func(session)  # type: ignore[arg-type]
