"""The invoke tasks are thin doors onto the same CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import git, snapshot

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = '[project]\nname = "demo"\nversion = "0.1.0a8"\n'


def invoke(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "invoke", "--search-root", str(REPO), *argv],
        capture_output=True,
        text=True,
    )


def test_invoke_bump_dry_run_changes_nothing(make_project) -> None:
    root = make_project({"pyproject.toml": PYPROJECT}, repo=True)
    before = snapshot(root)
    proc = invoke("bump", "--part", "patch", "--dry-run", "--project", str(root))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "0.1.0a8 -> 0.1.0"
    assert snapshot(root) == before


def test_invoke_bump_commit_tag_and_version(make_project) -> None:
    root = make_project({"pyproject.toml": PYPROJECT}, repo=True)
    proc = invoke("bump", "--part", "beta", "--tag", "--project", str(root))
    assert proc.returncode == 0, proc.stderr
    assert git(root, "describe", "--tags") == "v0.1.0b1"
    proc = invoke("version", "--project", str(root))
    assert proc.stdout == "0.1.0b1\n"


def test_invoke_passes_on_the_exit_status(make_project) -> None:
    root = make_project({"pyproject.toml": PYPROJECT}, repo=True)
    before = snapshot(root)
    proc = invoke("bump", "--part", "post", "--project", str(root))
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: 0.1.0a8 is not a final release")
    assert snapshot(root) == before
