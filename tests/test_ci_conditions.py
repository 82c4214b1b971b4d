"""What CI really gives a release job (issue 9, points 5 and 6), against real remotes and indexes.

A depth-1 clone, a detached HEAD at a tag, a protected branch, a merge that lands while the
release builds, and a re-run that starts from a fresh clone: none of them may burn a version,
and every interrupted release is finished by running the same command in a fresh clone.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import copy_package, git, init_repo, snapshot
from faultproxy import FaultProxy
from test_ship import FILES, NEW, OLD, PACKAGE, fast, index_files, proxy, ship

from release.__main__ import main
from release.preflight import Facts, decide
from release.server import Server

__all__ = ["fast", "proxy"]  # fixtures shared with test_ship


def bare_origin(tmp_path: Path) -> Path:
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    return bare


def publish_project(tmp_path: Path, name: str = PACKAGE) -> tuple[Path, Path]:
    """The fixture committed on main and pushed (with its tags) to a bare origin."""
    bare = bare_origin(tmp_path)
    work = init_repo(copy_package(name, tmp_path))
    git(work, "remote", "add", "origin", str(bare))
    git(work, "push", "-q", "-u", "origin", "main")
    return work, bare


def ci_clone(bare: Path, dest: Path, ref: str | None = None) -> Path:
    """A depth-1 clone as ``actions/checkout`` makes it: of the branch, or detached at a tag."""
    args = ["git", "clone", "-q", "--depth", "1"]
    if ref:
        args += ["--branch", ref]
    subprocess.run([*args, f"file://{bare}", str(dest)], check=True)
    assert git(dest, "rev-parse", "--is-shallow-repository") == "true"
    return dest


def ci_checkout_of_commit(bare: Path, dest: Path, sha: str) -> Path:
    """A re-run's checkout: the commit that triggered the workflow, at depth 1, on ``main``."""
    dest.mkdir()
    git(dest, "init", "-q", "-b", "main")
    git(dest, "remote", "add", "origin", f"file://{bare}")
    git(dest, "fetch", "-q", "--depth", "1", "origin", f"+{sha}:refs/remotes/origin/main")
    git(dest, "checkout", "-q", "-B", "main", "refs/remotes/origin/main")
    git(dest, "branch", "-q", "-u", "origin/main")
    return dest


def assert_end_state(bare: Path, server: Server, proxy: FaultProxy, log: list[str]) -> None:
    """As after an uninterrupted release: origin's branch and tag, the files, each uploaded once."""
    head = git(bare, "rev-parse", "refs/heads/main")
    assert git(bare, "log", "--format=%s", "main").splitlines() == log
    assert git(bare, "rev-parse", f"refs/tags/v{NEW}^{{commit}}") == head
    assert git(bare, "cat-file", "-t", f"v{NEW}") == "tag"
    assert f'version = "{NEW}"' in git(bare, "show", f"v{NEW}:pyproject.toml")
    assert index_files(server) == FILES
    assert sorted(proxy.uploads) == FILES


RELEASED = [f"Release {NEW} (was {OLD})", "initial"]


# --- 5. shallow clones and versions from tags ---


@pytest.mark.slow
def test_shallow_clone_of_a_vcs_project_never_releases_below_the_remote_tag(
    capsys, tmp_path: Path, index: Server
) -> None:
    work, bare = publish_project(tmp_path, "hatch-vcs")
    git(work, "tag", "-a", "v0.2.0", "-m", "0.2.0")
    git(work, "commit", "-q", "--allow-empty", "-m", "work after 0.2.0")
    git(work, "push", "-q", "origin", "main", "v0.2.0")
    ci = ci_clone(bare, tmp_path / "ci")
    assert git(ci, "tag") == ""  # the depth-1 clone has not the tag the version comes from

    assert main(["--project", str(ci), "status", "--repository", index.url]) == 0
    out = capsys.readouterr().out
    assert "clone:       shallow: ship fetches the history and tags from origin first" in out
    assert (
        "[warn] remote tags: this clone is shallow, so 0.0.1 is read without v0.2.0: ship "
        "fetches the history and tags from origin first, then compares again" in out
    )

    # a dry run fetches nothing and refuses nothing the real run would not refuse
    before = snapshot(ci), snapshot(bare)
    code, _, err = ship(capsys, ci, index.url, "--dry-run")
    assert code == 0, err
    assert "shallow" in err
    assert (snapshot(ci), snapshot(bare), index_files(index)) == (*before, [])

    code, _, err = ship(capsys, ci, index.url)
    assert code == 0, err
    assert "shallow clone: fetching the history and tags from origin" in err
    assert index_files(index) == [
        "rk_fixture_hatch_vcs-0.2.1-py3-none-any.whl",
        "rk_fixture_hatch_vcs-0.2.1.tar.gz",
    ]
    assert git(bare, "rev-parse", "refs/tags/v0.2.1^{commit}") == git(ci, "rev-parse", "HEAD")
    assert "v0.0.1" not in git(bare, "tag")


def test_a_shallow_clone_that_cannot_fetch_its_history_is_refused(
    capsys, tmp_path: Path, index: Server
) -> None:
    _, bare = publish_project(tmp_path, "hatch-vcs")
    ci = ci_clone(bare, tmp_path / "ci")
    bare.rename(tmp_path / "gone.git")  # the remote is unreachable now
    before = snapshot(ci)
    code, _, err = ship(capsys, ci, index.url)
    assert code == 2
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1
    assert errors[0].startswith("error: this clone is shallow and fetching its history failed")
    assert "fetch-depth: 0" in err.split("hint: ")[1]
    assert "Traceback" not in err
    assert (snapshot(ci), index_files(index)) == (before, [])


def test_a_version_not_above_the_remote_tags_is_refused(
    capsys, tmp_path: Path, index: Server
) -> None:
    # a full clone that did not fetch a newer tag someone pushed: no release below it
    work, bare = publish_project(tmp_path)
    other = tmp_path / "other"
    subprocess.run(["git", "clone", "-q", str(bare), str(other)], check=True)
    git(other, "tag", "-a", "v2.0.0", "-m", "2.0.0")
    git(other, "push", "-q", "origin", "v2.0.0")
    before = snapshot(work), snapshot(bare)
    code, _, err = ship(capsys, work, index.url)
    assert code == 2
    assert "error: preflight refused: origin already has v2.0.0: 1.0.1 is not greater" in err
    assert "hint: fetch the tags (git fetch --tags origin)" in err
    assert (snapshot(work), snapshot(bare), index_files(index)) == (*before, [])


# --- 6. rejected pushes and re-runs in fresh clones ---


@pytest.mark.slow
def test_protected_branch_uploads_nothing_and_a_fresh_clone_finishes(
    capsys, tmp_path: Path, index: Server, proxy: FaultProxy
) -> None:
    _, bare = publish_project(tmp_path)
    hook = bare / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\nwhile read old new ref; do\n"
        '  [ "$ref" = refs/heads/main ] && { echo "main is protected" >&2; exit 1; }\n'
        "done\nexit 0\n"
    )
    hook.chmod(0o755)
    ci = ci_clone(bare, tmp_path / "ci")
    before = snapshot(ci), snapshot(bare)
    code, _, err = ship(capsys, ci, proxy.url)
    assert code == 1
    assert "error: push failed: push to origin was rejected" in err
    assert "rolled back" in err
    assert (snapshot(ci), snapshot(bare), index_files(index), proxy.uploads) == (*before, [], [])

    hook.unlink()  # the release job is allowed to push now; CI re-runs from a fresh clone
    code, _, err = ship(capsys, ci_clone(bare, tmp_path / "rerun"), proxy.url)
    assert code == 0, err
    assert_end_state(bare, index, proxy, RELEASED)


HOOK = """\
import subprocess

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class MergeLands(BuildHookInterface):
    # a colleague's merge reaches origin while the release builds
    def initialize(self, version, build_data):
        subprocess.run(["git", "-C", {colleague!r}, "push", "-q", "origin", "main"], check=False)
"""


@pytest.mark.slow
def test_a_merge_landing_during_the_build_uploads_nothing_and_a_rerun_finishes(
    capsys, tmp_path: Path, index: Server, proxy: FaultProxy
) -> None:
    work, bare = publish_project(tmp_path)
    colleague = tmp_path / "colleague"
    with (work / "pyproject.toml").open("a") as fh:
        fh.write("\n[tool.hatch.build.hooks.custom]\n")
    (work / "hatch_build.py").write_text(HOOK.format(colleague=str(colleague)))
    git(work, "add", "-A")
    git(work, "commit", "-qm", "build hook")
    git(work, "push", "-q")
    subprocess.run(["git", "clone", "-q", str(bare), str(colleague)], check=True)
    (colleague / "feature.txt").write_text("merged\n")
    git(colleague, "add", "feature.txt")
    git(colleague, "commit", "-qm", "merge: feature")

    ci = ci_clone(bare, tmp_path / "ci")
    before = snapshot(ci)
    code, _, err = ship(capsys, ci, proxy.url)
    assert code == 1
    assert "error: push failed: push to origin was rejected" in err
    assert (snapshot(ci), index_files(index), proxy.uploads) == (before, [], [])
    assert git(bare, "tag") == ""
    assert git(bare, "log", "-1", "--format=%s", "main") == "merge: feature"

    code, _, err = ship(capsys, ci_clone(bare, tmp_path / "rerun"), proxy.url)
    assert code == 0, err
    assert_end_state(bare, index, proxy, [RELEASED[0], "merge: feature", "build hook", "initial"])


def _upload_fails_after_the_push(capsys, tmp_path: Path, proxy: FaultProxy) -> tuple[Path, str]:
    """A release whose wheel upload fails once its tag is pushed: (origin, the triggering commit)."""
    _, bare = publish_project(tmp_path)
    trigger = git(bare, "rev-parse", "main")
    proxy.fail_uploads_matching = r"\.whl$"
    code, _, err = ship(capsys, ci_clone(bare, tmp_path / "ci"), proxy.url)
    assert code == 1
    assert "error: upload failed: upload of pub_hatch_cli-1.0.1-py3-none-any.whl" in err
    assert "run the same command again to resume (here, or in any fresh clone of the tag)" in err
    assert git(bare, "rev-parse", f"refs/tags/v{NEW}^{{commit}}") == git(bare, "rev-parse", "main")
    assert proxy.uploads == ["pub_hatch_cli-1.0.1.tar.gz"]
    proxy.fail_uploads_matching = None
    return bare, trigger


@pytest.mark.slow
def test_upload_fails_after_the_push_then_a_fresh_clone_of_the_tag_resumes(
    capsys, tmp_path: Path, index: Server, proxy: FaultProxy
) -> None:
    bare, _ = _upload_fails_after_the_push(capsys, tmp_path, proxy)
    fresh = ci_clone(bare, tmp_path / "tag-clone", f"v{NEW}")  # a detached HEAD at the tag
    assert main(["--project", str(fresh), "status", "--repository", proxy.url]) == 0
    out = capsys.readouterr().out
    assert f"release:     v{NEW} is pushed to origin, 1 file(s) on the index, not verified" in out
    assert f"`release ship --repository {proxy.url}`" in out
    code, _, err = ship(capsys, fresh, proxy.url)
    assert code == 0, err
    assert f"[ok  ] branch: v{NEW} is on origin: finishing it needs no branch" in err
    assert f"bump: skipped, HEAD already carries v{NEW}" in err
    assert f"push: skipped, origin already has v{NEW}" in err
    assert_end_state(bare, index, proxy, RELEASED)


@pytest.mark.slow
def test_upload_fails_after_the_push_then_a_rerun_at_the_triggering_commit_resumes(
    capsys, tmp_path: Path, index: Server, proxy: FaultProxy
) -> None:
    # a re-run of the workflow checks out the commit that triggered it: the release's parent
    bare, trigger = _upload_fails_after_the_push(capsys, tmp_path, proxy)
    rerun = ci_checkout_of_commit(bare, tmp_path / "rerun", trigger)
    code, _, err = ship(capsys, rerun, proxy.url)
    assert code == 0, err
    assert f"bump: skipped, origin has v{NEW} on top of HEAD" in err
    assert f"push: skipped, origin already has v{NEW}" in err
    assert_end_state(bare, index, proxy, RELEASED)


# --- 8. the rehearsal resolves dependencies as the configured target will ---


@pytest.fixture
def dependent(tmp_path: Path, index: Server) -> Path:
    """pub-setuptools-dep (needs pub-hatch-cli), its target an index without that dependency."""
    root = copy_package("pub-setuptools-dep", tmp_path)
    with (root / "pyproject.toml").open("a") as fh:
        fh.write(f'\n[tool.release]\nrepository = "{index.url}"\n')
    return init_repo(root)


@pytest.mark.slow
def test_rehearsal_takes_dependencies_only_from_the_configured_indexes(
    capsys, dependent: Path
) -> None:
    before = snapshot(dependent)
    code = main(["--project", str(dependent), "ship", "--repository", "local", "--no-isolation"])
    err = capsys.readouterr().err
    assert code == 1
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert errors[0].startswith("error: verify failed: verify: cannot install pub-hatch-cli>=1.0,")
    assert "needed by pub-setuptools-dep" in errors[0]
    assert "[tool.release] extra-index-url" in errors[0]
    assert "pypi.org" not in err  # the rehearsal never reached for PyPI
    assert snapshot(dependent) == before


@pytest.mark.slow
def test_rehearsal_passes_with_the_extra_index_the_release_will_use(
    capsys, dependent: Path, fresh_index: Server, hatch_cli
) -> None:
    for path in hatch_cli[1]:
        (fresh_index.root / path.name).write_bytes(path.read_bytes())
    with (dependent / "pyproject.toml").open("a") as fh:
        fh.write(f'extra-index-url = "{fresh_index.index_url}"\n')
    git(dependent, "commit", "-qam", "dependencies from the extra index")
    code = main(["--project", str(dependent), "ship", "--repository", "local", "--no-isolation"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert (
        f"dependencies: from {fresh_index.index_url}, as the release's target resolves them" in err
    )
    assert "dependencies installed: pub-hatch-cli>=1.0" in err
    assert out.strip().splitlines()[-1].startswith("rehearsal passed: pub-setuptools-dep 2.0.1")


# --- the decisions behind the above, as a table of facts (pure) ---

BASE = {
    "dirty": (),
    "branch": "main",
    "release_branch": "main",
    "upstream": "origin/main",
    "behind": False,
    "tag": "v1.0.1",
    "tag_local": None,
    "tag_remote": None,
    "head": "a" * 40,
    "resume": False,
    "on_index": (),
    "index_problem": None,
    "credentials": None,
    "needs_credentials": False,
    "identity_problem": None,
    "sources_problem": None,
    "remote": "origin",
    "push": True,
    "version": "1.0.1",
}


@pytest.mark.parametrize(
    ("facts", "failed", "warned"),
    [
        ({}, [], []),
        ({"remote_latest": ("v1.0.0", "1.0.0")}, [], []),
        ({"remote_latest": ("v2.0.0", "2.0.0"), "remote_newer": True}, ["remote tags"], []),
        # resuming a release whose tag the remote has at the release commit, detached
        (
            {"branch": None, "resume": True, "pushed": True, "tag_local": "a" * 40,
             "tag_remote": "a" * 40, "behind": True},
            [],
            [],
        ),
        ({"branch": None}, ["branch"], []),
        ({"notes_problem": "no changelog"}, [], ["release notes"]),
        ({"notes_problem": "no changelog", "require_notes": True}, ["release notes"], []),
        # a release already pushed is finished whatever its notes say
        (
            {"notes_problem": "empty", "require_notes": True, "resume": True, "pushed": True,
             "tag_local": "a" * 40, "tag_remote": "a" * 40},
            [],
            ["release notes"],
        ),
    ],
)  # fmt: skip
def test_preflight_decides(facts: dict[str, object], failed: list[str], warned: list[str]) -> None:
    checks = decide(Facts(**{**BASE, **facts}))  # type: ignore[arg-type]
    assert [c.name for c in checks if not c.ok] == failed
    assert [c.name for c in checks if c.ok and c.warn] == warned
