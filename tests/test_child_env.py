"""Child processes start from the environment they are handed (``Settings.environ``), not from
``os.environ``, and never with a secret in it.

Each child is a real process; a ``sitecustomize`` on the handed ``PYTHONPATH`` writes down the
names of the variables that process started with.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import copy_package, git, init_repo
from test_towncrier import _towncrier_project

from release import bump, check, config, server, settings
from release.config import Config

MARK = "RELEASE_TEST_HANDED_ENV"
SECRET = "TWINE_PASSWORD"


def handed(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """An environment with a marker, a secret and a sitecustomize; where the child writes to."""
    site, seen = tmp_path / "site", tmp_path / "seen"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import os, pathlib\n"
        f"pathlib.Path({str(seen)!r}).write_text('\\n'.join(sorted(os.environ)))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site), MARK: "1", SECRET: "sentinel-secret"}
    return env, seen


def started_with(seen: Path) -> set[str]:
    return set(seen.read_text().splitlines())


def test_twine_check_starts_no_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # twine check runs in this process: no child, so no environment to hand over or leak
    env, seen = handed(tmp_path)
    monkeypatch.setenv("PYTHONPATH", env["PYTHONPATH"])
    found = check.twine_check([tmp_path / "missing-1.0.tar.gz"])
    assert found is not None and "missing-1.0.tar.gz" in found
    assert not seen.exists()


def test_the_index_server_runs_in_the_handed_environment(tmp_path: Path) -> None:
    env, seen = handed(tmp_path)
    with server.running(tmp_path / "index", environ=env):
        names = started_with(seen)
    assert MARK in names and SECRET not in names


def test_settings_keep_the_environment_out_of_their_repr() -> None:
    env = {SECRET: "sentinel-secret", "PATH": "/bin"}
    got = settings.build(Config(project=Path("/p")), environ=env)
    assert dict(got.environ) == env
    assert "sentinel-secret" not in repr(got)
    with pytest.raises(TypeError):
        got.environ[SECRET] = "changed"  # type: ignore[index]


def test_towncrier_runs_in_the_environment_the_bump_is_handed(tmp_path: Path) -> None:
    root = init_repo(copy_package("pub-hatch-cli", tmp_path / "work"))
    git(root, "tag", "-a", "v1.0.0", "-m", "Release 1.0.0")
    _towncrier_project(root)
    env, seen = handed(tmp_path)
    plan = bump.plan(bump.read_state(config.load(root)), "minor", commit=True, tag=False)
    bump.execute(plan, environ=env)
    names = started_with(seen)
    assert MARK in names and SECRET not in names
    assert "## [1.1.0]" in (root / "CHANGELOG.md").read_text()
