"""Each project shape releases end to end from what ``release init`` writes, as GitHub runs it.

A test does what a user and GitHub would: ``release init`` with the shape's trigger, commit and
push to a bare origin, then the generated workflow's ``run:`` steps in order (read from the
YAML by tests/workflow_runner.py), each job in a fresh clone at the trigger's ref, against a
real pypiserver, with the sessions installing a wheel of this checkout through
``RELEASEKIT_REQUIREMENT``. GitHub's API is not here: the ``nox -s github-release`` steps are
left out (tests/test_github.py covers that command against a stand-in).
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from conftest import cli_env, copy_package, dist_files, git, index_files, release_cli
from workflow_runner import Event, JobResult, checkout, evaluate, run_workflow

from release.server import Server

GITHUB_RELEASE = ("nox -s github-release",)


def repository(shape: str, tmp_path: Path, branch: str) -> tuple[Path, Path]:
    """The shape's fixture committed on ``branch`` and pushed to a bare origin."""
    work = copy_package(shape, tmp_path)
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", branch, str(origin))
    git(work, "init", "-q", "-b", branch)
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "initial")
    git(work, "remote", "add", "origin", str(origin))
    git(work, "push", "-q", "-u", "origin", branch)
    return work, origin


def init_and_push(work: Path, branch: str, *argv: str) -> str:
    """``release init ARGV``, committed and pushed: its output."""
    proc = release_cli("--project", str(work), "init", *argv)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "Release with releasekit")
    git(work, "push", "-q", "origin", branch)
    return proc.stdout


def bump_and_push(work: Path, branch: str, target: str) -> None:
    """``release bump TARGET --commit --tag``, pushed with its tag to ``branch``."""
    proc = release_cli("--project", str(work), "bump", target, "--commit", "--tag")
    assert proc.returncode == 0, proc.stderr
    git(work, "push", "-q", "--follow-tags", "origin", branch)


def run(work: Path, event: Event, origin: Path, tmp_path: Path, env: dict[str, str], index: Server):
    """The release workflow of ``work`` for ``event``; asserts every job it ran passed."""
    started = time.monotonic()
    results = run_workflow(
        work / ".github/workflows/release.yml",
        event,
        origin,
        tmp_path / "runs",
        env=env,
        overrides={"RELEASE_REPOSITORY": index.url},
        skip=GITHUB_RELEASE,
    )
    for job in results:
        for step in job.steps:
            assert step.returncode == 0, f"{job.name}: {step.run}\n{step.output[-6000:]}"
    print(f"{event.ref}: {time.monotonic() - started:.0f}s")
    return results


def nox_job(name: str, session: str) -> tuple[str, list[str]]:
    """A job the workflow ran: its name and its two steps, nox's install and ``session``."""
    return (name, ["python -m pip install nox==2026.10.20", session])


def ran(results: list[JobResult]) -> list[tuple[str, list[str]]]:
    return [(j.name, [s.run for s in j.steps]) for j in results if not j.skipped]


@pytest.fixture
def env(releasekit_wheel: Path) -> dict[str, str]:
    """The CLI environment, installing this checkout's wheel in the session venvs.

    The uv cache is the one conftest gives every test (the user's, shared): a cache of the
    session's own meant every shape downloaded, unpacked and compiled its backends again.
    """
    return cli_env(RELEASEKIT_REQUIREMENT=str(releasekit_wheel))


@pytest.mark.slow
def test_tag_shape_releases_from_a_pushed_tag(
    tmp_path: Path, fresh_index: Server, env: dict[str, str]
) -> None:
    """hatchling on master, an existing ci.yml (lint, matrix) kept, a dev dependency group,
    and the release's changelog section written by hand before the tag (``## [0.3.1] - date``
    under an empty ``[Unreleased]``), which is taken as the release's notes."""
    work, origin = repository("shape-tag", tmp_path, "master")
    changes = work / "CHANGES.md"
    changes.write_text(
        changes.read_text().replace(
            "## [Unreleased]\n\n- Answer in an event loop.\n",
            "## [Unreleased]\n\n## [0.3.1] - 2025-01-15\n\n- Answer in an event loop.\n",
        )
    )
    ci_before = (work / ".github/workflows/ci.yml").read_bytes()
    out = init_and_push(work, "master", "--trigger", "tag")
    assert "leave .github/workflows/ci.yml (it exists and is kept without --force" in out
    assert (work / ".github/workflows/ci.yml").read_bytes() == ci_before
    bump_and_push(work, "master", "patch")

    results = run(work, Event("push", "refs/tags/v0.3.1"), origin, tmp_path, env, fresh_index)

    assert ran(results) == [nox_job("publish", "nox -s publish")]
    (publish,) = [j for j in results if not j.skipped]
    assert f"uv pip install {env['RELEASEKIT_REQUIREMENT']}" in publish.steps[-1].output
    assert index_files(fresh_index) == dist_files("rk_shape_tag", "0.3.1")
    assert git(origin, "tag") == "v0.3.1"
    notes = git(origin, "show", "v0.3.1:CHANGES.md")
    assert notes.count("## [0.3.1]") == 1
    assert "## [0.3.1] - 2025-01-15\n\n- Answer in an event loop." in notes


@pytest.mark.slow
def test_main_shape_releases_every_push(
    tmp_path: Path, fresh_index: Server, env: dict[str, str]
) -> None:
    """setuptools on main; the tests need the test extra (pytest-mock)."""
    work, origin = repository("shape-main", tmp_path, "main")
    init_and_push(work, "main", "--trigger", "main")
    pushed = git(origin, "rev-parse", "main")

    results = run(work, Event("push", "refs/heads/main"), origin, tmp_path, env, fresh_index)

    assert ran(results) == [nox_job("release", "nox -s release -- --part patch")]
    assert index_files(fresh_index) == dist_files("rk_shape_main", "1.4.1")
    assert git(origin, "tag") == "v1.4.1"
    head = git(origin, "rev-parse", "main")
    assert git(origin, "rev-parse", "v1.4.1^{commit}") == head
    assert git(origin, "rev-parse", "main^") == pushed


@pytest.mark.slow
def test_deploy_shape_releases_what_is_merged_into_deploy(
    tmp_path: Path, fresh_index: Server, env: dict[str, str]
) -> None:
    """setuptools; main is merged into deploy, which releases on a runner of its own."""
    work, origin = repository("shape-deploy", tmp_path, "main")
    init_and_push(work, "main", "--trigger", "deploy", "--runs-on", "self-hosted,deploy-runner")
    git(work, "push", "-q", "origin", "main:deploy")
    merged = git(origin, "rev-parse", "deploy")

    results = run(work, Event("push", "refs/heads/deploy"), origin, tmp_path, env, fresh_index)

    assert ran(results) == [nox_job("release", "nox -s release -- --part patch")]
    assert index_files(fresh_index) == dist_files("rk_shape_deploy", "2.0.2")
    assert git(origin, "tag") == "v2.0.2"
    assert git(origin, "rev-parse", "deploy") == git(origin, "rev-parse", "v2.0.2^{commit}")
    assert git(origin, "rev-parse", "deploy^") == merged
    assert git(origin, "rev-parse", "main") == merged


@pytest.mark.slow
def test_release_shape_publishes_a_github_release_and_refuses_a_branch_dispatch(
    tmp_path: Path, fresh_index: Server, env: dict[str, str]
) -> None:
    """poetry-core, a pre-release version, no tests at all: the gate passes with a warning."""
    work, origin = repository("shape-release", tmp_path, "main")
    init_and_push(work, "main", "--trigger", "release")

    dispatched = run_workflow(
        work / ".github/workflows/release.yml",
        Event("workflow_dispatch", "refs/heads/main"),
        origin,
        tmp_path / "dispatch",
        env=env,
        overrides={"RELEASE_REPOSITORY": fresh_index.url},
    )
    (job,) = dispatched
    assert not job.ok
    assert "nothing to publish: this workflow_dispatch run is on refs/heads/main" in (
        job.steps[-1].output
    )
    assert index_files(fresh_index) == []

    bump_and_push(work, "main", "0.1.0a9")
    results = run(work, Event("release", "refs/tags/v0.1.0a9"), origin, tmp_path, env, fresh_index)

    assert ran(results) == [nox_job("publish", "nox -s publish")]
    (publish,) = [j for j in results if j.name == "publish"]
    assert "WARNING: pytest collected no tests" in publish.steps[-1].output
    assert index_files(fresh_index) == dist_files("rk_shape_release", "0.1.0a9")
    assert git(origin, "tag") == "v0.1.0a9"


@pytest.mark.slow
def test_testpypi_shape_uploads_dev_versions_and_releases_tags(
    tmp_path: Path, fresh_index: Server, env: dict[str, str]
) -> None:
    """setuptools on master, --cov in addopts, an old publish.yml on the tag trigger replaced."""
    work, origin = repository("shape-testpypi", tmp_path, "master")
    proc = release_cli("--project", str(work), "init", "--trigger", "testpypi")
    assert proc.returncode == 2
    assert "error: .github/workflows/publish.yml already publishes on the testpypi trigger" in (
        proc.stderr
    )
    init_and_push(work, "master", "--trigger", "testpypi", "--replace", "publish.yml")
    count = git(origin, "rev-list", "--count", "master")
    pushed = git(origin, "rev-parse", "master")

    results = run(work, Event("push", "refs/heads/master"), origin, tmp_path, env, fresh_index)

    assert ran(results) == [nox_job("testpypi", "nox -s publish-dev")]
    dev = f"0.9.1.dev{count}"
    assert index_files(fresh_index) == dist_files("rk_shape_testpypi", dev)
    assert git(origin, "tag") == ""
    assert git(origin, "rev-parse", "master") == pushed

    bump_and_push(work, "master", "patch")
    results = run(
        work, Event("push", "refs/tags/v0.9.1"), origin, tmp_path / "tag", env, fresh_index
    )

    assert ran(results) == [nox_job("publish", "nox -s publish")]
    assert index_files(fresh_index) == dist_files("rk_shape_testpypi", dev, "0.9.1")
    assert git(origin, "tag") == "v0.9.1"


# --- the runner itself ---

CONTEXT = {"github": {"ref": "refs/tags/v1.0.0", "event_name": "release"}}


@pytest.mark.parametrize(
    ("expr", "value"),
    [
        ("startsWith(github.ref, 'refs/tags/')", True),
        ("${{ startsWith(github.ref, 'refs/heads/') }}", False),
        ("github.event_name == 'release' || startsWith(github.ref, 'refs/heads/')", True),
        ("github.event_name != 'release' && true", False),
        ("!(github.event_name == 'push')", True),
        ("github.ref == 'REFS/TAGS/V1.0.0'", True),  # comparisons ignore case, as on GitHub
    ],
)
def test_the_runner_evaluates_conditions_on_the_ref_and_event(expr: str, value: bool) -> None:
    assert evaluate(expr, CONTEXT) is value


def test_the_runner_checks_out_at_the_depth_asked_for(tmp_path: Path) -> None:
    work, origin = repository("shape-release", tmp_path, "main")
    (work / "second").write_text("2")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "second")
    git(work, "tag", "v9.9.9")
    git(work, "push", "-q", "--tags", "origin", "main")
    shallow = checkout(origin, Event("push", "refs/tags/v9.9.9"), tmp_path / "a", depth=1)
    assert git(shallow, "rev-parse", "--is-shallow-repository") == "true"
    assert git(shallow, "rev-list", "--count", "HEAD") == "1"
    assert subprocess.run(["git", "symbolic-ref", "-q", "HEAD"], cwd=shallow).returncode == 1
    full = checkout(origin, Event("push", "refs/heads/main"), tmp_path / "b", depth=0)
    assert git(full, "rev-list", "--count", "HEAD") == "2"
    assert git(full, "symbolic-ref", "--short", "HEAD") == "main"
