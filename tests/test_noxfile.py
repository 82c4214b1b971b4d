"""`nox -s release` runs lint and tests first, and a failing or skipped test run stops it."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar

import pytest
from conftest import copy_this_repo, git, run_nox, snapshot

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_nox_release_stops_when_tests_fail(tmp_path: Path, mypy_cache: Path) -> None:
    work = copy_this_repo(tmp_path / "copy", "def test_broken():\n    assert 1 + 1 == 3\n")
    before = snapshot(work)
    proc = run_nox(work, "release", mypy_cache=mypy_cache, timeout=240)
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
