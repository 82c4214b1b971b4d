"""``[tool.release.hooks]``, git's own hooks and ``after-release-bump``, on real git and a real index."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import (
    copy_package,
    git,
    in_process_env,
    index_files,
    init_repo,
    snapshot,
)

from release.__main__ import main
from release.server import Server

PACKAGE = "pub-hatch-cli"
FILES = ["pub_hatch_cli-1.0.1-py3-none-any.whl", "pub_hatch_cli-1.0.1.tar.gz"]
SENTINEL = "sentinel-secret-4f1c9"

HOOK = """\
import json, os, pathlib, sys
stage, log = sys.argv[1], pathlib.Path(sys.argv[2])
env = {k: v for k, v in os.environ.items() if k.startswith(("RELEASE_", "TWINE_", "GITHUB_"))}
seen = {"stage": stage, "env": env, "cwd": os.getcwd(), "secret": any(
    os.environ.get(k) == "@SENTINEL@" for k in os.environ)}
with log.open("a") as f:
    f.write(json.dumps(seen) + "\\n")
print(f"hook {stage} says hello")
if stage == "before-commit":
    readme = pathlib.Path("README.md")
    readme.write_bytes(readme.read_bytes() + b"stamped by the hook\\n")
    pathlib.Path("stamp.txt").write_text("created by the hook\\n")
if (log.parent / f"fail-{stage}").exists():
    sys.exit(3)
""".replace("@SENTINEL@", SENTINEL)


@pytest.fixture(autouse=True)
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short retry bounds, a null keyring, and the sentinel secret in the environment."""
    in_process_env(
        monkeypatch,
        RELEASE_RETRY_TIMEOUT="3",
        RELEASE_VERIFY_TIMEOUT="20",
        TWINE_USERNAME="tester",
        TWINE_PASSWORD=SENTINEL,
    )


def hook(stage: str, log: Path) -> str:
    return shlex.join([sys.executable, "scripts/hook.py", stage, str(log)])


def project(
    tmp_path: Path, *, release: str = "", stages: tuple[str, ...] = ()
) -> tuple[Path, Path]:
    """The fixture package with the hook script and ``[tool.release]`` set, pushed to a bare origin."""
    work = copy_package(PACKAGE, tmp_path)
    (work / "scripts").mkdir()
    (work / "scripts" / "hook.py").write_text(HOOK)
    log = tmp_path / "hooks.jsonl"
    table = "".join(f"{s} = [{json.dumps(hook(s, log))}]\n" for s in stages)
    hooks = f"[tool.release.hooks]\n{table}" if stages else ""
    with (work / "pyproject.toml").open("a") as f:
        f.write(f"\n[tool.release]\n{release}\n{hooks}")
    init_repo(work)
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    git(work, "remote", "add", "origin", str(bare))
    git(work, "push", "-q", "-u", "origin", "main")
    return work, bare


def ship(
    capsys: pytest.CaptureFixture[str], work: Path, url: str, *extra: str
) -> tuple[int, str, str]:
    code = main(["--project", str(work), "ship", "--repository", url, "--no-isolation", *extra])
    out, err = capsys.readouterr()
    return code, out, err


def seen(tmp_path: Path) -> list[dict[str, object]]:
    log = tmp_path / "hooks.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def remote_tags(bare: Path) -> str:
    return git(bare, "tag", "--list")


ALL = ("before-commit", "before-upload", "after-release")


@pytest.mark.slow
def test_each_hook_runs_at_its_point_with_the_release_values(
    capsys, tmp_path: Path, fresh_index: Server
) -> None:
    work, bare = project(tmp_path, stages=ALL)
    code, _, err = ship(capsys, work, fresh_index.url)
    assert code == 0, err
    runs = seen(tmp_path)
    assert [r["stage"] for r in runs] == list(ALL)
    dist = runs[1]["env"]["RELEASE_DIST"]  # type: ignore[index]
    for run in runs:
        env = run["env"]
        assert isinstance(env, dict)
        assert env["RELEASE_VERSION"] == "1.0.1"
        assert env["RELEASE_PREVIOUS_VERSION"] == "1.0.0"
        assert env["RELEASE_TAG"] == "v1.0.1"
        assert Path(str(run["cwd"])) == work
        # the sentinel secret is in releasekit's environment, never in a hook's
        assert "TWINE_PASSWORD" not in env and "TWINE_USERNAME" not in env
        assert run["secret"] is False
    assert "RELEASE_DIST" not in runs[0]["env"]  # type: ignore[operator]
    assert runs[2]["env"]["RELEASE_DIST"] == dist  # type: ignore[index]
    assert sorted(p.name for p in Path(str(dist)).iterdir()) == FILES
    # output indented under its step, in order
    assert (
        err.index("==> bump")
        < err.index("    hook before-commit says hello")
        < err.index("==> build")
    )
    assert err.index("==> check") < err.index("==> before-upload") < err.index("==> push")
    assert err.index("==> verify") < err.index("==> after-release")
    assert "    hook after-release says hello" in err
    # the tracked file the before-commit hook changed is in the release commit; its new file is not
    assert (
        git(work, "show", "--format=", "--name-only", "v1.0.1^{commit}")
        == "README.md\npyproject.toml"
    )
    assert git(bare, "show", "v1.0.1:README.md").endswith("stamped by the hook")
    assert git(work, "status", "--porcelain") == "?? stamp.txt"
    assert index_files(fresh_index) == FILES
    code, _, err = ship(capsys, work, fresh_index.url)  # complete: nothing runs again
    assert code == 0 and "already released" in err
    assert len(seen(tmp_path)) == 3


@pytest.mark.slow
def test_before_commit_hook_fails_rolls_back_exactly_then_rerun(
    capsys, tmp_path: Path, fresh_index: Server
) -> None:
    work, bare = project(tmp_path, stages=("before-commit",))
    (tmp_path / "fail-before-commit").touch()
    before = snapshot(work), snapshot(bare)
    code, _, err = ship(capsys, work, fresh_index.url)
    assert code == 1
    lines = err.splitlines()
    assert any(line.startswith("error: bump failed: before-commit hook `") for line in lines), err
    assert "exited with status 3" in err and "hint: fix what the before-commit hook reports" in err
    # README.md (changed by the hook), pyproject.toml and stamp.txt (created by it): as before
    assert (snapshot(work), snapshot(bare)) == before
    assert git(work, "tag", "--list") == "" and remote_tags(bare) == ""
    assert index_files(fresh_index) == []
    (tmp_path / "fail-before-commit").unlink()
    code, _, err = ship(capsys, work, fresh_index.url)
    assert code == 0, err
    assert git(bare, "rev-parse", "v1.0.1^{commit}") == git(work, "rev-parse", "HEAD")
    assert (
        git(work, "show", "--format=", "--name-only", "v1.0.1^{commit}")
        == "README.md\npyproject.toml"
    )


@pytest.mark.slow
def test_before_upload_hook_fails_before_the_push_then_rerun(
    capsys, tmp_path: Path, fresh_index: Server
) -> None:
    work, bare = project(tmp_path, stages=("before-commit", "before-upload"))
    (tmp_path / "fail-before-upload").touch()
    before = snapshot(work), snapshot(bare)
    code, _, err = ship(capsys, work, fresh_index.url)
    assert code == 1
    assert "error: before-upload failed: before-upload hook `" in err, err
    assert "==> push" not in err and "==> upload" not in err
    assert "rolled back" in err
    # the before-commit hook's changes and the release commit are gone too
    assert (snapshot(work), snapshot(bare)) == before
    assert git(work, "tag", "--list") == "" and remote_tags(bare) == ""
    assert index_files(fresh_index) == []
    (tmp_path / "fail-before-upload").unlink()
    code, _, err = ship(capsys, work, fresh_index.url)
    assert code == 0, err
    assert index_files(fresh_index) == FILES
    assert git(bare, "rev-parse", "v1.0.1^{commit}") == git(work, "rev-parse", "HEAD")


@pytest.mark.slow
def test_after_release_hook_fails_then_rerun_runs_only_the_hook(
    capsys, tmp_path: Path, fresh_index: Server
) -> None:
    work, bare = project(tmp_path, stages=("after-release",))
    (tmp_path / "fail-after-release").touch()
    code, _, err = ship(capsys, work, fresh_index.url)
    assert code == 1
    assert "error: after-release failed: after-release hook `" in err, err
    assert "nothing was rolled back" in err
    assert index_files(fresh_index) == FILES
    head = git(work, "rev-parse", "HEAD")
    assert git(bare, "rev-parse", "v1.0.1^{commit}") == head
    uploaded = {p.name: p.stat().st_mtime_ns for p in fresh_index.root.iterdir()}

    assert main(["--project", str(work), "status", "--repository", fresh_index.url]) == 0
    status = capsys.readouterr().out
    assert "its after-release hook has not succeeded" in status
    assert (
        f"ship would after-release hook: run `{hook('after-release', tmp_path / 'hooks.jsonl')}`"
        in status
    )

    (tmp_path / "fail-after-release").unlink()
    code, _, err = ship(capsys, work, fresh_index.url)
    assert code == 0, err
    for step in ("bump", "build", "check", "push", "upload", "verify"):
        assert f"==> {step}:" not in err
    assert [r["stage"] for r in seen(tmp_path)] == ["after-release", "after-release"]
    assert {p.name: p.stat().st_mtime_ns for p in fresh_index.root.iterdir()} == uploaded
    assert git(work, "rev-parse", "HEAD") == head == git(bare, "rev-parse", "refs/heads/main")
    code, _, err = ship(capsys, work, fresh_index.url)  # now complete: the hook is not run again
    assert code == 0 and "already released" in err
    assert len(seen(tmp_path)) == 2


GIT_HOOK = "#!/bin/sh\necho ran > \"$(git rev-parse --git-dir)/pre-commit-ran\"\necho 'no commits today' >&2\nexit 1\n"


def failing_pre_commit(work: Path) -> Path:
    path = work / ".git" / "hooks" / "pre-commit"
    path.write_text(GIT_HOOK)
    path.chmod(0o755)
    return work / ".git" / "pre-commit-ran"


def test_a_failing_git_pre_commit_hook_rolls_back(
    capsys, tmp_path: Path, fresh_index: Server
) -> None:
    work, bare = project(tmp_path)
    ran = failing_pre_commit(work)
    before = snapshot(work), snapshot(bare)
    code, _, err = ship(capsys, work, fresh_index.url)
    assert code == 1
    assert "error: bump failed: git could not commit" in err and "no commits today" in err
    assert ran.exists()
    ran.unlink()
    assert (snapshot(work), snapshot(bare)) == before
    assert git(work, "tag", "--list") == "" and index_files(fresh_index) == []


def test_git_hooks_false_skips_the_repositorys_hooks(capsys, tmp_path: Path) -> None:
    work, _ = project(tmp_path, release="git-hooks = false")
    ran = failing_pre_commit(work)
    assert main(["--project", str(work), "bump", "patch", "--commit", "--tag"]) == 0, (
        capsys.readouterr()
    )
    assert not ran.exists()
    assert git(work, "log", "-1", "--format=%s") == "Release 1.0.1 (was 1.0.0)"


@pytest.mark.slow
def test_after_release_bump_dev_pushes_a_dev_commit_on_top(
    capsys, tmp_path: Path, fresh_index: Server
) -> None:
    work, bare = project(tmp_path, release='after-release-bump = "dev"')
    code, _, err = ship(capsys, work, fresh_index.url)
    assert code == 0, err
    assert "==> dev bump: 1.0.1 -> 1.0.2.dev0" in err
    head = git(work, "rev-parse", "HEAD")
    assert git(bare, "rev-parse", "refs/heads/main") == head
    assert git(bare, "rev-parse", f"{head}^") == git(bare, "rev-parse", "v1.0.1^{commit}")
    assert git(work, "log", "-1", "--format=%s") == "Back to development: 1.0.2.dev0"
    assert 'version = "1.0.2.dev0"' in (work / "pyproject.toml").read_text()
    assert 'version = "1.0.1"' in git(bare, "show", "v1.0.1:pyproject.toml")
    assert index_files(fresh_index) == FILES
    code, _, err = ship(capsys, work, fresh_index.url)  # HEAD is the dev commit: complete
    assert code == 0 and "already released" in err, err


def test_hooks_and_the_dev_bump_in_dry_run_and_status(
    capsys, tmp_path: Path, fresh_index: Server
) -> None:
    work, bare = project(tmp_path, release='after-release-bump = "dev"', stages=ALL)
    log = tmp_path / "hooks.jsonl"
    before = snapshot(work), snapshot(bare)
    code, _, err = ship(capsys, work, fresh_index.url, "--dry-run")
    assert code == 0, err
    assert main(["--project", str(work), "status", "--repository", fresh_index.url]) == 0
    status = capsys.readouterr().out
    for stage, when in (
        ("before-commit", " (before the release commit)"),
        ("before-upload", " (before the push and upload)"),
        ("after-release", ""),
    ):
        line = f"{stage} hook: run `{hook(stage, log)}`{when}"
        assert f"  would {line}\n" in err
        assert f"ship would {line}\n" in status
    assert (
        "would bump: 1.0.1 -> 1.0.2.dev0, a second commit on top of v1.0.1, pushed with it" in err
    )
    order = [
        err.index(f"would {w}")
        for w in (
            "bump: 1.0.0",
            "before-commit",
            "build",
            "check",
            "before-upload",
            "push",
            "upload",
            "verify",
            "after-release",
        )
    ]
    assert order == sorted(order)
    assert (snapshot(work), snapshot(bare)) == before and not log.exists()


BAD = [
    ("hooks = 3", "[tool.release] hooks must be a table"),
    ("hooks = {before-push = ['x']}", "unknown [tool.release.hooks] key(s): before-push"),
    (
        "hooks = {before-commit = 'x'}",
        "[tool.release.hooks] before-commit must be a list of command strings",
    ),
    (
        "hooks = {after-release = [1]}",
        "[tool.release.hooks] after-release must be a list of command strings",
    ),
    ("hooks = {before-upload = ['  ']}", "[tool.release.hooks] before-upload has an empty command"),
    (
        "hooks = {before-upload = ['echo \"open']}",
        "[tool.release.hooks] before-upload: cannot split",
    ),
    ("git-hooks = 'no'", "[tool.release] git-hooks must be a bool"),
    ("after-release-bump = 'minor'", '[tool.release] after-release-bump must be "dev"'),
]


@pytest.mark.parametrize(("setting", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_hook_settings_refuse_with_nothing_changed(
    capsys, tmp_path: Path, fresh_index: Server, setting: str, message: str
) -> None:
    work, bare = project(tmp_path, release=setting)
    before = snapshot(work), snapshot(bare)
    code = main(["--project", str(work), "ship", "--repository", fresh_index.url])
    _, err = capsys.readouterr()
    assert code == 2
    lines = err.splitlines()
    assert lines[0].startswith(f"error: {message}"), err
    assert lines[1].startswith("hint: ")
    assert main(["--project", str(work), "status", "--repository", fresh_index.url]) == 0
    out = capsys.readouterr().out
    assert f"  [FAIL] settings: {message}" in out
    assert (snapshot(work), snapshot(bare)) == before and index_files(fresh_index) == []


def test_after_release_bump_is_refused_for_a_vcs_versioned_project(capsys, tmp_path: Path) -> None:
    work = copy_package("hatch-vcs", tmp_path)
    with (work / "pyproject.toml").open("a") as f:
        f.write('\n[tool.release]\nafter-release-bump = "dev"\n')
    init_repo(work)
    before = snapshot(work)
    code = main(["--project", str(work), "ship", "--repository", "http://127.0.0.1:9/"])
    err = capsys.readouterr().err.splitlines()
    assert code == 2
    assert err[0].startswith(
        'error: [tool.release] after-release-bump = "dev", but the version comes from git tags (hatch-vcs)'
    )
    assert err[1] == "hint: remove after-release-bump: the next tag is the next version"
    assert snapshot(work) == before


@pytest.mark.slow
def test_after_release_bump_then_a_failed_after_release_hook_resumes_from_the_dev_commit(
    capsys, tmp_path: Path, fresh_index: Server
) -> None:
    work, bare = project(tmp_path, release='after-release-bump = "dev"', stages=("after-release",))
    (tmp_path / "fail-after-release").touch()
    code, _, err = ship(capsys, work, fresh_index.url)
    assert code == 1 and "error: after-release failed: after-release hook `" in err, err
    head = git(work, "rev-parse", "HEAD")
    assert git(bare, "rev-parse", "refs/heads/main") == head
    (tmp_path / "fail-after-release").unlink()
    code, _, err = ship(capsys, work, fresh_index.url)
    assert code == 0, err
    assert "==> dev bump" not in err and "==> build:" not in err and "==> upload:" not in err
    runs = seen(tmp_path)
    assert [r["stage"] for r in runs] == ["after-release", "after-release"]
    env = runs[1]["env"]
    assert isinstance(env, dict)
    assert (env["RELEASE_VERSION"], env["RELEASE_PREVIOUS_VERSION"]) == ("1.0.1", "1.0.0")
    assert git(work, "rev-parse", "HEAD") == head and index_files(fresh_index) == FILES
