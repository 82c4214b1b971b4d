"""A workspace's front doors: nox, invoke, ``release init`` and the workflows it writes.

``nox -s release -- --package a --package b`` and ``invoke release --package a`` reach
``release ship`` with the choice, in releasekit's own files and in those ``release init``
writes; on a workspace root, ``init`` writes workflows that release the changed packages on a
merge, and publish the one package a pushed ``NAME-vX.Y.Z`` tag names
(``release ship --package-from-tag``), run here as GitHub would against a real pypiserver.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    VENV_BIN,
    assert_refused,
    cli_env,
    dist_files,
    errors_of,
    git,
    index_files,
    release_cli,
    run_nox,
    snapshot,
    with_origin,
)
from workflow_runner import Event, run_workflow
from workspace_fixtures import ROOT_UV, make_workspace

from release.server import Server

REPO = Path(__file__).resolve().parent.parent
UV_SOURCES = {
    "lib": "\n[tool.uv.sources]\ncore = { workspace = true }\n",
    "app": "\n[tool.uv.sources]\nlib = { workspace = true }\n",
}
"""What uv needs to install the members together (the tests session at the root does)."""
LOCKSTEP = '\n[tool.release]\nversion-scheme = "lockstep"\n'
TAG_STEP = 'nox -s release -- --package-from-tag "$GITHUB_REF_NAME" --no-push'


def invoke(search_root: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """``invoke ARGV`` with the tasks.py found under ``search_root``."""
    return subprocess.run(
        [sys.executable, "-m", "invoke", "--search-root", str(search_root), *argv],
        capture_output=True,
        text=True,
        env=cli_env(),
    )


def would_release(out: str) -> list[str]:
    """The packages a dry run would release, in its order."""
    return [line.split()[2] for line in out.splitlines() if line.startswith("  would release ")]


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """The three-package chain workspace (app -> lib -> core), committed on main."""
    return make_workspace(tmp_path / "ws")


def test_invoke_release_passes_packages_all_and_changed(ws: Path) -> None:
    before = snapshot(ws)
    proc = invoke(REPO, "release", "--package", "lib", "--package", "core", "--dry-run",
                  "--project", str(ws))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert would_release(proc.stdout) == ["core", "lib"]
    proc = invoke(REPO, "release", "--all", "--dry-run", "--project", str(ws))
    assert proc.returncode == 0, proc.stderr
    assert would_release(proc.stdout) == ["core", "lib", "app"]
    proc = invoke(REPO, "release", "--package", "nope", "--project", str(ws))
    assert_refused(proc.returncode, proc.stderr, 2,
                   "error: --package nope: there is no package nope",
                   "hint: packages: app (packages/app), core (packages/core), lib (packages/lib)")  # fmt: skip
    assert snapshot(ws) == before


class _Session:
    """The part of nox.Session our noxfile's release session uses, running the real CLI."""

    name = "release"

    def __init__(self, posargs: list[str], project: Path) -> None:
        self.posargs = posargs
        self.project = project
        self.outputs: list[subprocess.CompletedProcess[str]] = []
        runs = {n: _Run() for n in ("lint", "tests")}
        manifest = type("M", (), {"all_sessions_by_signature": runs})()
        self._runner = type("R", (), {"manifest": manifest})()

    def install(self, *args: str, **kwargs: Any) -> None:
        """The test environment has releasekit installed already (as nox --no-install)."""

    def log(self, *args: Any, **kwargs: Any) -> None:
        """Nothing to log."""

    def error(self, message: str) -> None:
        raise RuntimeError(message)

    def run(self, *args: str, **kwargs: Any) -> None:
        proc = subprocess.run(
            [str(VENV_BIN / args[0]), "--project", str(self.project), *args[1:]],
            capture_output=True,
            text=True,
            env=cli_env(),
        )
        self.outputs.append(proc)


class _Run:
    result = type("Res", (), {"status": type("S", (), {"name": "SUCCESS"})()})()


def test_our_noxfile_release_session_passes_the_choice_to_ship(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``nox -s release -- --package core --package lib --dry-run`` in releasekit's noxfile."""
    monkeypatch.syspath_prepend(str(REPO))
    import noxfile

    session = _Session(["--package", "core", "--package", "lib", "--dry-run"], ws)
    noxfile.release.func(session)  # type: ignore[arg-type]
    (proc,) = session.outputs
    assert proc.returncode == 0, proc.stderr
    assert proc.args[-6:] == ["ship", "--package", "core", "--package", "lib", "--dry-run"]
    assert would_release(proc.stdout) == ["core", "lib"]


def init(root: Path, trigger: str) -> subprocess.CompletedProcess[str]:
    """``release init --trigger TRIGGER`` on ``root``."""
    return release_cli("--project", str(root), "init", "--trigger", trigger)


def runs_of(workflow: Path) -> list[str]:
    """Every ``run:`` of a workflow, in order."""
    import yaml

    jobs = yaml.safe_load(workflow.read_text())["jobs"]
    return [s["run"] for job in jobs.values() for s in job["steps"] if "run" in s]


def test_init_on_a_workspace_releases_changed_packages_on_a_merge(ws: Path) -> None:
    proc = init(ws, "main")
    assert proc.returncode == 0, proc.stderr
    runs = runs_of(ws / ".github/workflows/release.yml")
    assert runs == ["python -m pip install nox==2026.10.20", "nox -s release -- --changed --allow-empty --part patch"]  # fmt: skip
    # the generated tasks choose packages too
    proc = invoke(ws, "release", "--package", "core", "--dry-run", "--project", str(ws))
    assert proc.returncode == 0, proc.stderr
    assert would_release(proc.stdout) == ["core"]


def test_init_on_a_workspace_publishes_the_tagged_package(ws: Path) -> None:
    proc = init(ws, "tag")
    assert proc.returncode == 0, proc.stderr
    text = (ws / ".github/workflows/release.yml").read_text()
    assert 'tags: ["*-v*"]' in text
    assert runs_of(ws / ".github/workflows/release.yml") == [
        "python -m pip install nox==2026.10.20",
        TAG_STEP,
    ]
    assert "github-release" not in text


def test_init_on_a_lockstep_workspace_keeps_the_v_tags(tmp_path: Path) -> None:
    """Lockstep: one ``v{version}`` tag releases every package."""
    root = make_workspace(tmp_path / "ws", root_toml=ROOT_UV + LOCKSTEP)
    assert init(root, "tag").returncode == 0
    text = (root / ".github/workflows/release.yml").read_text()
    assert 'tags: ["v*"]' in text
    assert TAG_STEP in text


def test_init_refuses_the_testpypi_trigger_on_a_workspace(ws: Path) -> None:
    before = snapshot(ws)
    proc = init(ws, "testpypi")
    assert_refused(proc.returncode, proc.stderr, 2,
                   "error: the testpypi trigger uploads one package's development versions",
                   "hint: choose --trigger tag, main, deploy or release for a workspace")  # fmt: skip
    assert snapshot(ws) == before


def test_package_from_tag_refuses_a_tag_of_no_package_or_not_at_head(ws: Path) -> None:
    before = snapshot(ws)
    proc = release_cli("--project", str(ws), "ship", "--package-from-tag", "refs/tags/v0.1.0")
    assert_refused(proc.returncode, proc.stderr, 2,
                   "error: tag v0.1.0 is no package's release tag at its current version "
                   "(app: app-v0.1.0, core: core-v0.1.0, lib: lib-v0.1.0)",
                   "hint: push a tag of the form the package's tag-format gives, on the commit "
                   "that carries that version")  # fmt: skip
    proc = release_cli("--project", str(ws), "ship", "--package-from-tag", "lib-v0.1.0")
    assert_refused(proc.returncode, proc.stderr, 2,
                   "error: tag lib-v0.1.0 is not at HEAD",
                   "hint: check out lib-v0.1.0 (the workflow's ref) and run again")  # fmt: skip
    proc = release_cli("--project", str(ws), "ship", "--package-from-tag", "lib-v0.1.0", "--all")
    assert_refused(proc.returncode, proc.stderr, 2,
                   "error: --package-from-tag chooses the package itself",
                   "hint: leave out --package, --all and --changed with --package-from-tag")  # fmt: skip
    assert snapshot(ws) == before


@pytest.mark.slow
def test_generated_noxfile_release_ships_the_chosen_packages(ws: Path, mypy_cache: Path) -> None:
    """One real nox run: tests (none collected), then ``release ship --package ...``."""
    proc = init(ws, "tag")
    assert proc.returncode == 0, proc.stderr
    git(ws, "add", "-A")
    git(ws, "commit", "-q", "-m", "release init")
    before = snapshot(ws)
    proc = run_nox(ws, "release", "--package", "core", "--package", "lib",
                   mypy_cache=mypy_cache)  # fmt: skip
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "pytest collected no tests" in out
    assert "rehearsal passed: core 0.1.1, lib 0.1.1 would be released as core-v0.1.1, lib-v0.1.1" in out  # fmt: skip
    assert "app" not in out.split("rehearsal passed")[1].splitlines()[0]
    assert snapshot(ws) == before


@pytest.mark.slow
def test_a_pushed_package_tag_publishes_that_package_from_the_workflow(
    tmp_path: Path, fresh_index: Server, releasekit_wheel: Path
) -> None:
    """init --trigger tag, core 0.2.0 tagged core-v0.2.0 and pushed: the workflow's steps,
    in a fresh depth-1 clone at the tag, upload core alone and prove it installs."""
    ws = make_workspace(tmp_path / "ws", releases=UV_SOURCES)
    origin = with_origin(ws, tmp_path / "origin.git")
    assert init(ws, "tag").returncode == 0
    git(ws, "add", "-A")
    git(ws, "commit", "-q", "-m", "release init")
    module = ws / "packages/core/core/__init__.py"
    module.write_text(module.read_text().replace('"0.1.0"', '"0.2.0"'))
    git(ws, "commit", "-q", "-am", "Release core 0.2.0")
    git(ws, "tag", "-a", "core-v0.2.0", "-m", "core 0.2.0")
    git(ws, "push", "-q", "--follow-tags", "origin", "main")

    results = run_workflow(
        ws / ".github/workflows/release.yml",
        Event("push", "refs/tags/core-v0.2.0"),
        origin,
        tmp_path / "runs",
        env=cli_env(RELEASEKIT_REQUIREMENT=str(releasekit_wheel)),
        overrides={"RELEASE_REPOSITORY": fresh_index.url},
    )

    (job,) = results
    assert [s.run for s in job.steps] == ["python -m pip install nox==2026.10.20", TAG_STEP]
    assert job.ok, job.steps[-1].output[-6000:]
    output = job.steps[-1].output
    assert "verified: core 0.2.0 installs from" in output
    assert index_files(fresh_index) == dist_files("core", "0.2.0")
    assert git(origin, "tag") == "core-v0.2.0"


def test_changed_allow_empty_releases_nothing_when_no_package_changed(ws: Path) -> None:
    """A merge that touches no package: the workflow's release says so and passes."""
    for name in ("core", "lib", "app"):
        git(ws, "tag", f"{name}-v0.1.0")
    (ws / "README.md").write_text("The workspace.\n")
    git(ws, "add", "README.md")
    git(ws, "commit", "-q", "-m", "docs")
    before = snapshot(ws)
    proc = release_cli("--project", str(ws), "ship", "--changed", "--allow-empty")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "nothing to release: no package changed since its last tag\n"
    proc = release_cli("--project", str(ws), "ship", "--changed")
    assert_refused(proc.returncode, proc.stderr, 2,
                   "error: nothing to release: no package changed since its last tag",
                   "hint: choose packages with --package NAME or --all")  # fmt: skip
    assert snapshot(ws) == before


def test_allow_empty_outside_a_workspace_is_refused(make_project: Any) -> None:
    root = make_project({"pyproject.toml": '[project]\nname = "one"\nversion = "1.0"\n'}, repo=True)
    before = snapshot(root)
    proc = release_cli("--project", str(root), "ship", "--allow-empty", "--dry-run")
    assert proc.returncode == 2, proc.stderr
    assert errors_of(proc.stderr)[0] == (
        f"error: {root} is not a workspace: its pyproject.toml has neither "
        "[tool.uv.workspace] nor [tool.release] packages"
    )
    assert snapshot(root) == before


def test_the_tests_session_installs_every_member_of_a_workspace_root(ws: Path) -> None:
    """A uv workspace root has no [project]: pip cannot install "." there."""
    from release.noxsupport import install_args_for_tests

    members = ["./packages/app", "./packages/core", "./packages/lib"]
    assert install_args_for_tests(ws) == [*members, "pytest"]
    (ws / "pyproject.toml").write_text(
        (ws / "pyproject.toml").read_text() + '\n[dependency-groups]\ndev = ["pytest>=8"]\n'
    )
    assert install_args_for_tests(ws) == [*members, "pytest>=8"]


@pytest.mark.parametrize(
    ("edges", "ordered", "expected"),
    [
        ({"lib": ("core",), "app": ("lib",)}, ["core", "lib", "app"], [["core"], ["lib"], ["app"]]),
        ({}, ["a", "b", "c"], [["a", "b", "c"]]),
        # app requires core through lib, which is not released: still after core
        ({"lib": ("core",), "app": ("lib",)}, ["core", "app"], [["core"], ["app"]]),
        ({"b": ("a",)}, ["a", "c", "b", "d"], [["a", "c"], ["b", "d"]]),
    ],
)
def test_waves_never_verify_a_package_beside_one_it_requires(
    edges: dict[str, tuple[str, ...]], ordered: list[str], expected: list[list[str]]
) -> None:
    """Packages of one wave are verified at the same time, after the wave's uploads."""
    from release.workspace_graph import waves

    assert waves(edges, ordered) == expected
