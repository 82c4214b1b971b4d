"""A workspace released as one transaction: real git, real builds, a real pypiserver.

The chain app -> lib -> core (hatchling, setuptools, flit-core) is shipped with ``--all``:
one commit, three tags, six files, uploads in dependency order; a fresh environment that
installs ``app`` from the index alone gets all three. Faults before the first upload roll
everything back byte for byte; a fault after it is finished by running the same command.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import (
    FAST_RETRIES,
    VENV_BIN,
    commit_all,
    git,
    index_files,
    init_repo,
    snapshot,
    with_origin,
)
from faultproxy import FaultProxy
from workspace_fixtures import ROOT_UV, make_workspace

from release.__main__ import main
from release.server import Server

pytestmark = pytest.mark.slow

NEW = "0.1.1"
FILES = sorted(
    f"{name}-{NEW}{suffix}"
    for name in ("app", "core", "lib")
    for suffix in ("-py3-none-any.whl", ".tar.gz")
)
TAGS = ["app-v0.1.1", "core-v0.1.1", "lib-v0.1.1"]


@pytest.fixture(autouse=True)
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short retry bounds, a null keyring and no credentials from the machine."""
    for key, value in FAST_RETRIES.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("RELEASE_RETRY_TIMEOUT", "3")
    monkeypatch.setenv("RELEASE_VERIFY_TIMEOUT", "30")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    for key in list(os.environ):
        if key.startswith(("TWINE_", "RELEASE_EXTRA")) or key in (
            "RELEASE_REPOSITORY",
            "RELEASE_INDEX_URL",
        ):
            monkeypatch.delenv(key)


@pytest.fixture
def chain(tmp_path: Path) -> tuple[Path, Path]:
    """The workspace committed on main and pushed to a bare origin: (work tree, origin)."""
    root = make_workspace(tmp_path / "ws")
    return root, with_origin(root, tmp_path / "origin.git")


def ship(
    capsys: pytest.CaptureFixture[str], root: Path, url: str, *extra: str
) -> tuple[int, str, str]:
    code = main(["--project", str(root), "ship", "--repository", url, "--no-isolation", *extra])
    out, err = capsys.readouterr()
    return code, out, err


def ship_all_in_a_child(root: Path, index: Server) -> subprocess.Popen[str]:
    """``release ship --all`` in a process of its own, its stderr a pipe read line by line."""
    argv = ["--project", str(root), "ship", "--all", "--repository", index.url, "--no-isolation"]
    child = subprocess.Popen(
        [sys.executable, "-m", "release", *argv],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stderr is not None
    return child


def assert_released(root: Path, origin: Path, server: Server) -> None:
    """The end state of an uninterrupted run: one commit, three tags, pushed, six files."""
    subjects = git(root, "log", "--format=%s").splitlines()
    assert subjects == [f"Release core {NEW}, lib {NEW}, app {NEW}", "initial"]
    head = git(root, "rev-parse", "HEAD")
    assert git(origin, "rev-parse", "refs/heads/main") == head
    assert sorted(git(origin, "tag").split()) == TAGS
    for tag in TAGS:
        assert git(origin, "rev-parse", f"refs/tags/{tag}^{{commit}}") == head
    assert f'version = "{NEW}"' in git(origin, "show", "lib-v0.1.1:packages/lib/pyproject.toml")
    assert git(root, "status", "--porcelain") == ""
    assert index_files(server) == FILES


def test_ship_all_releases_the_chain_in_dependency_order(
    capsys: pytest.CaptureFixture[str], chain: tuple[Path, Path], index: Server, tmp_path: Path
) -> None:
    root, origin = chain
    code, out, err = ship(capsys, root, index.url, "--all")
    assert code == 0, err
    assert out.strip() == (
        f"released core {NEW}, lib {NEW}, app {NEW} (core-v{NEW}, lib-v{NEW}, app-v{NEW}) "
        f"on {index.index_url}"
    )
    uploads = [
        line.split()[2].rstrip(":") for line in err.splitlines() if line.startswith("==> upload ")
    ]
    assert uploads == ["core", "lib", "app"]
    assert_released(root, origin, index)

    # a fresh environment installing app from the index alone gets all three
    venv = tmp_path / "fresh"
    subprocess.run([str(VENV_BIN / "uv"), "venv", "-q", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(VENV_BIN / "uv"), "pip", "install", "-q", "--python", str(python),
         "--no-config", "--index-url", index.index_url, "app"],
        check=True,
    )  # fmt: skip
    shown = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m;"
         "print(*(f'{n} {m.version(n)}' for n in ('app', 'lib', 'core')), sep=', ')"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    assert shown == f"app {NEW}, lib {NEW}, core {NEW}"

    # the same command again finds the release complete and changes nothing; so does a
    # rehearsal of it (the local target), which rehearses the tagged release's files again
    before = snapshot(root), snapshot(origin, git_state=False), index_files(index)
    code, out, err = ship(capsys, root, index.url, "--all")
    assert code == 0, err
    assert out.startswith(f"already released: core {NEW}, lib {NEW}, app {NEW}")
    code = main(["--project", str(root), "ship", "--all", "--no-isolation"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.startswith(f"rehearsal passed: core {NEW}, lib {NEW}, app {NEW} is already released")
    assert "==> bump: skipped, HEAD already carries" in err and "ok bump" not in err
    assert (snapshot(root), snapshot(origin, git_state=False), index_files(index)) == before


def test_a_failed_build_rolls_everything_back(
    capsys: pytest.CaptureFixture[str], chain: tuple[Path, Path], index: Server
) -> None:
    root, origin = chain
    core = root / "packages" / "core" / "pyproject.toml"
    core.write_text(core.read_text().replace("flit_core.buildapi", "flit_core.nothere"))
    commit_all(root, "break core's build")
    git(root, "push", "-q", "origin", "main")
    before = snapshot(root), snapshot(origin, git_state=False), git(origin, "show-ref")
    code, _out, err = ship(capsys, root, index.url, "--all")
    assert code == 1, err
    assert "error: build of core failed" in err
    assert "rolled back: the release commit and its tags are gone" in err
    assert (snapshot(root), snapshot(origin, git_state=False), git(origin, "show-ref")) == before
    assert index_files(index) == []

    # fixed, the same command releases everything
    core.write_text(core.read_text().replace("flit_core.nothere", "flit_core.buildapi"))
    commit_all(root, "fix core's build")
    git(root, "push", "-q", "origin", "main")
    code, _out, err = ship(capsys, root, index.url, "--all")
    assert code == 0, err
    assert index_files(index) == FILES


def test_the_index_refusing_lib_then_a_rerun_finishes(
    capsys: pytest.CaptureFixture[str], chain: tuple[Path, Path], index: Server
) -> None:
    root, origin = chain
    with FaultProxy(index.url) as proxy:
        proxy.fail_uploads_matching, proxy.fail_status = r"^lib-", 403
        code, _out, err = ship(capsys, root, proxy.url, "--all", "--index-url", index.index_url)
        assert code == 1, err
        assert "error: upload of lib 0.1.1 failed: " in err
        assert "run the same command again to resume" in err
        assert index_files(index) == sorted(f for f in FILES if f.startswith("core-"))
        assert sorted(git(origin, "tag").split()) == TAGS  # pushed before the first upload
        proxy.fail_uploads_matching = None
        code, _out, err = ship(capsys, root, proxy.url, "--all", "--index-url", index.index_url)
        assert code == 0, err
    uploaded = [
        re.sub(r" \(\d+\.\ds\)", "", line.strip())
        for line in err.splitlines()
        if line.strip().startswith("ok upload ")
    ]
    assert uploaded == [
        "ok upload core: 0 uploaded, 2 already there",
        "ok upload lib: 2 uploaded, 0 already there",
        "ok upload app: 2 uploaded, 0 already there",
    ]
    assert_released(root, origin, index)


def test_sigkill_between_uploads_then_a_rerun_finishes(
    chain: tuple[Path, Path], index: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    root, origin = chain
    child = ship_all_in_a_child(root, index)
    assert child.stderr is not None
    for line in child.stderr:
        if line.strip().startswith("verified: core"):
            child.kill()  # core uploaded and verified, lib not yet uploaded
            break
    child.wait(timeout=60)
    child.stderr.close()
    assert index_files(index) == sorted(f for f in FILES if f.startswith("core-"))
    code, _out, err = ship(capsys, root, index.url, "--all")
    assert code == 0, err
    assert "ok bump" not in err  # resumed at HEAD's tags: no second bump
    assert_released(root, origin, index)


def test_the_rehearsal_releases_the_workspace_in_a_throwaway_clone(
    capsys: pytest.CaptureFixture[str], chain: tuple[Path, Path]
) -> None:
    root, origin = chain
    before = snapshot(root), snapshot(origin, git_state=False), git(origin, "show-ref")
    code = main(["--project", str(root), "ship", "--changed", "--no-isolation"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.strip() == (
        f"rehearsal passed: core {NEW}, lib {NEW}, app {NEW} would be released as "
        f"core-v{NEW}, lib-v{NEW}, app-v{NEW}"
    )
    checked = [line.split()[1] for line in err.splitlines() if line.strip().startswith("verified:")]
    assert checked == [
        "core",
        "lib",
        "app",
    ]
    assert (snapshot(root), snapshot(origin, git_state=False), git(origin, "show-ref")) == before


def test_changed_releases_lib_and_its_dependents_with_their_pins_moved(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, index: Server
) -> None:
    settings = "\n[tool.release]\nupdate-sibling-pins = true\nrelease-dependents = true\n"
    root = make_workspace(
        tmp_path / "ws", root_toml=ROOT_UV + settings, requires={"app": ["lib==0.1.0"]}
    )
    origin = with_origin(root, tmp_path / "origin.git")
    app_toml = root / "packages" / "app" / "pyproject.toml"
    original = app_toml.read_bytes()
    code, _out, err = ship(capsys, root, index.url, "--all")
    assert code == 0, err
    # the pin moved in the release commit, and not one other byte of the file
    assert app_toml.read_bytes() == original.replace(b'"lib==0.1.0"', b'"lib==0.1.1"')
    assert git(origin, "show", "app-v0.1.1:packages/app/pyproject.toml").encode() + b"\n" == (
        app_toml.read_bytes()
    )

    (root / "packages" / "lib" / "src" / "lib" / "more.py").write_text("MORE = 1\n")
    commit_all(root, "lib only")
    git(root, "push", "-q", "origin", "main")
    code, out, err = ship(capsys, root, index.url, "--changed")
    assert code == 0, err
    assert out.startswith("released lib 0.1.2, app 0.1.2 (lib-v0.1.2, app-v0.1.2)")
    assert git(root, "log", "-1", "--format=%s") == "Release lib 0.1.2, app 0.1.2"
    assert app_toml.read_bytes() == original.replace(b'"lib==0.1.0"', b'"lib==0.1.2"')
    assert sorted(git(origin, "tag").split()) == sorted([*TAGS, "app-v0.1.2", "lib-v0.1.2"])
    assert index_files(index) == sorted(
        [
            *FILES,
            *(f"{n}-0.1.2{s}" for n in ("app", "lib") for s in (".tar.gz", "-py3-none-any.whl")),
        ]
    )


def test_a_rejected_push_rolls_everything_back(
    capsys: pytest.CaptureFixture[str], chain: tuple[Path, Path], index: Server
) -> None:
    root, origin = chain
    hook = origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'tags are protected here' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = snapshot(root), git(origin, "show-ref")
    code, _out, err = ship(capsys, root, index.url, "--all")
    assert code == 1, err
    assert "error: push failed: push to origin was rejected" in err
    assert "rolled back: the release commit and its tags are gone" in err
    assert (snapshot(root), git(origin, "show-ref")) == before
    assert index_files(index) == []


def test_behind_the_remote_is_refused_before_anything_changes(
    capsys: pytest.CaptureFixture[str], chain: tuple[Path, Path], index: Server, tmp_path: Path
) -> None:
    root, origin = chain
    other = tmp_path / "other"
    subprocess.run(["git", "clone", "-q", str(origin), str(other)], check=True)
    (other / "NOTES.md").write_text("meanwhile\n")
    commit_all(other, "meanwhile")
    git(other, "push", "-q", "origin", "main")
    before = snapshot(root), git(origin, "show-ref")
    code, _out, err = ship(capsys, root, index.url, "--all")
    assert code == 2, err
    assert "error: origin/main has commits this checkout lacks" in err
    assert err.splitlines()[1].startswith("hint: ")
    assert (snapshot(root), git(origin, "show-ref")) == before


def test_lockstep_releases_every_package_under_one_tag(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, index: Server
) -> None:
    lockstep = '\n[tool.release]\nversion-scheme = "lockstep"\n'
    root = make_workspace(tmp_path / "ws", root_toml=ROOT_UV + lockstep)
    origin = with_origin(root, tmp_path / "origin.git")
    code, out, err = ship(capsys, root, index.url, "--all", "--part", "minor")
    assert code == 0, err
    assert out.startswith("released core 0.2.0, lib 0.2.0, app 0.2.0 (v0.2.0)")
    assert git(origin, "tag").split() == ["v0.2.0"]
    assert len(index_files(index)) == 6


def test_sigterm_before_the_first_upload_rolls_everything_back(
    chain: tuple[Path, Path], index: Server
) -> None:
    root, origin = chain
    before = snapshot(root), git(origin, "show-ref")
    child = ship_all_in_a_child(root, index)
    assert child.stderr is not None
    seen = []
    for line in child.stderr:
        seen.append(line)
        if line.strip().startswith("ok bump"):
            child.send_signal(signal.SIGTERM)  # committed and tagged, nothing uploaded yet
    child.wait(timeout=120)
    child.stderr.close()
    err = "".join(seen)
    assert child.returncode == 130, err
    assert "rolled back: the release commit and its tags are gone" in err
    assert re.search(
        r"error: interrupted during (bump|build of \w+|check of \w+); rolled back", err
    ), err
    assert (snapshot(root), git(origin, "show-ref")) == before
    assert index_files(index) == []


def verified(root: Path, name: str) -> bool:
    """Whether ``name``'s resume record says it was verified."""
    state = root / ".git" / "releasekit" / name / f"{name}-v{NEW}" / "state.json"
    return '"verified": true' in state.read_text()


def test_a_wave_shares_one_environment_and_a_failure_names_its_package(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, index: Server
) -> None:
    """Three packages that require none of each other: one wave, one environment. app imports
    core without requiring it; alone it could not, so in the shared environment it cannot."""
    scripts = '\n[project.scripts]\nlib-hello = "lib:main"\n'
    root = make_workspace(
        tmp_path / "ws", requires={"lib": [], "app": []}, releases={"lib": scripts}, commit=False
    )
    module = root / "packages" / "app" / "src" / "app" / "__init__.py"
    module.write_text(module.read_text() + "\nimport core  # used, never required\n")
    lib = root / "packages" / "lib" / "src" / "lib" / "__init__.py"
    lib.write_text(lib.read_text() + "\n\ndef main() -> None:\n    print('hello')\n")
    init_repo(root)
    with_origin(root, tmp_path / "origin.git")
    code, _out, err = ship(capsys, root, index.url, "--all")
    assert code == 1, err
    shared = next(line for line in err.splitlines() if "into one fresh virtual environment" in line)
    assert sorted(shared.split("installed ")[1].split(" into")[0].split(", ")) == [
        "app",
        "core",
        "lib",
    ]
    error = next(line for line in err.splitlines() if line.startswith("error: "))
    assert error.startswith("error: verify of ") and "failed: app 0.1.1: " in error
    assert "No module named 'core' (installed here only for another package)" in err
    assert "lib 0.1.1: import lib, lib-hello --help: ok" in err  # its console script ran
    assert (verified(root, "core"), verified(root, "lib"), verified(root, "app")) == (
        True,
        True,
        False,
    )
    assert len(index_files(index)) == 6  # uploaded: a release on the index is not taken back

    # the re-run verifies app alone (core and lib are recorded): and app still cannot import core
    code, _out, err = ship(capsys, root, index.url, "--all")
    assert code == 1, err
    verifies = [line.split()[1] for line in err.splitlines() if line.strip().startswith("verify: ")]
    assert verifies == ["app"]
    assert "No module named 'core'" in err
    assert not verified(root, "app")


def test_packages_with_the_same_build_requirements_build_in_one_environment(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Isolated builds (no --no-isolation): app and a second hatchling package share one."""
    root = make_workspace(tmp_path / "ws", requires={"app": []}, commit=False)
    tool = root / "packages" / "tool"
    for path in (root / "packages" / "app").rglob("*"):
        if path.is_file():
            target = tool / path.relative_to(root / "packages" / "app")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(path.read_text().replace("app", "tool"))
    (tool / "src" / "app").rename(tool / "src" / "tool")
    init_repo(root)
    before = snapshot(root)
    code = main(["--project", str(root), "ship", "--package", "app", "--package", "tool"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "one environment with hatchling>=1.21 for app, tool" in err
    assert "failed in the shared environment" not in err
    assert out.startswith("rehearsal passed: app 0.1.1, tool 0.1.1 would be released")
    assert snapshot(root) == before


def test_the_dry_run_lists_the_steps_the_run_performs(
    capsys: pytest.CaptureFixture[str], chain: tuple[Path, Path], index: Server
) -> None:
    """One plan: the dry run's steps are the ones ``--json`` records the real run doing."""
    import json

    root, origin = chain
    code, out, err = ship(capsys, root, index.url, "--all", "--dry-run", "--json")
    assert code == 0, err
    dry = json.loads(out)
    planned = [s["name"] for s in dry["steps"]]
    assert planned == [
        "bump",
        *(f"{kind} {n}" for kind in ("build", "check") for n in ("core", "lib", "app")),
        "push",
        *(f"{kind} {n}" for n in ("core", "lib", "app") for kind in ("upload", "verify")),
    ]
    assert dry["dry_run"] is True and index_files(index) == []

    code, out, err = ship(capsys, root, index.url, "--all", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["ok"] is True and doc["released"] is True and doc["dry_run"] is False
    assert [s["name"] for s in doc["steps"]] == planned
    assert [(o["name"], o["outcome"]) for o in doc["outcomes"]] == [(n, "ok") for n in planned]
    assert all(o["seconds"] >= 0 for o in doc["outcomes"])
    assert sorted(doc["files"]) == FILES
    assert_released(root, origin, index)

    # run again: the plan is that nothing is left, and the record shows nothing done
    code, out, err = ship(capsys, root, index.url, "--all", "--json")
    assert code == 0, err
    again = json.loads(out)
    assert again["steps"] == [
        {
            "name": "nothing",
            "description": f"core {NEW}, lib {NEW}, app {NEW} is already released "
            f"(core-v{NEW}, lib-v{NEW}, app-v{NEW})",
        }
    ]
    assert again["outcomes"] == [] and again["released"] is False
