"""``release ship``: the whole pipeline against real git remotes and a real pypiserver."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import (
    copy_package,
    git,
    in_process_env,
    index_files,
    init_repo,
    snapshot,
    with_origin,
)
from faultproxy import FaultProxy

from release.__main__ import main
from release.server import Server

PACKAGE = "pub-hatch-cli"
OLD, NEW = "1.0.0", "1.0.1"
FILES = ["pub_hatch_cli-1.0.1-py3-none-any.whl", "pub_hatch_cli-1.0.1.tar.gz"]


@pytest.fixture(autouse=True)
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short retry bounds, a null keyring and no credentials from the machine."""
    in_process_env(monkeypatch, RELEASE_RETRY_TIMEOUT="3", RELEASE_VERIFY_TIMEOUT="20")


@pytest.fixture
def proxy(index: Server) -> Iterator[FaultProxy]:
    """A fault-injecting proxy in front of the index; passes everything through until told."""
    with FaultProxy(index.url) as p:
        yield p


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, Path]:
    """The fixture package committed on main, pushed to a bare repository as origin."""
    work = init_repo(copy_package(PACKAGE, tmp_path))
    return work, with_origin(work, tmp_path / "remote.git")


def ship(
    capsys: pytest.CaptureFixture[str], work: Path, url: str, *extra: str
) -> tuple[int, str, str]:
    code = main(["--project", str(work), "ship", "--repository", url, "--no-isolation", *extra])
    out, err = capsys.readouterr()
    return code, out, err


def ship_process(work: Path, url: str) -> subprocess.Popen[str]:
    """``release ship`` in a process of its own, its progress readable line by line."""
    argv = ["--project", str(work), "ship", "--repository", url, "--no-isolation"]
    return subprocess.Popen(
        [sys.executable, "-m", "release", *argv],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def assert_released(work: Path, bare: Path, server: Server) -> None:
    """The end state of an uninterrupted release: one commit, one tag, both pushed, two files."""
    log = git(work, "log", "--format=%s").splitlines()
    assert log == [f"Release {NEW} (was {OLD})", "initial"]
    head = git(work, "rev-parse", "HEAD")
    assert git(work, "rev-parse", f"v{NEW}^{{commit}}") == head
    assert git(work, "cat-file", "-t", f"v{NEW}") == "tag"
    assert git(bare, "rev-parse", "refs/heads/main") == head
    assert git(bare, "rev-parse", f"refs/tags/v{NEW}^{{commit}}") == head
    assert f'version = "{NEW}"' in git(bare, "show", f"v{NEW}:pyproject.toml")
    assert git(work, "status", "--porcelain") == ""
    assert index_files(server) == FILES


def test_full_ship_to_a_url(capsys, repo, index: Server) -> None:
    work, bare = repo
    code, out, err = ship(capsys, work, index.url)
    assert code == 0, err
    assert out.strip().splitlines()[-1].startswith(f"released pub-hatch-cli {NEW} (v{NEW})")
    for step in ("preflight", "bump", "build", "check", "upload", "verify", "push"):
        assert f"==> {step}:" in err
        assert f"    ok {step} (" in err
    assert "step " in err and "total" in err  # the summary table
    assert_released(work, bare, index)
    # nothing left to do: a second run says so and changes nothing
    before = snapshot(work), snapshot(bare), index_files(index)
    code, out, err = ship(capsys, work, index.url)
    assert code == 0, err
    assert out.startswith(f"already released: pub-hatch-cli {NEW}")
    assert main(["--project", str(work), "status", "--repository", index.url]) == 0
    out = capsys.readouterr().out
    assert f"release:     v{NEW} is released (2 file(s) on the index, verified, pushed)" in out
    assert "clone:       full history" in out
    assert (snapshot(work), snapshot(bare), index_files(index)) == before


def test_dry_run_prints_the_plan_and_changes_nothing(capsys, repo, index: Server) -> None:
    work, bare = repo
    before = snapshot(work), snapshot(bare)
    code, _out, err = ship(capsys, work, index.url, "--dry-run", "--part", "minor")
    assert code == 0, err
    assert "would bump: 1.0.0 -> 1.1.0, commit, annotated tag v1.1.0" in err
    assert f"would upload: to {index.url}" in err
    assert "would push: main and v1.1.0 to origin (main), atomically" in err
    assert (snapshot(work), snapshot(bare), index_files(index)) == (*before, [])


def test_rehearsal_leaves_the_checkout_untouched(capsys, repo) -> None:
    work, bare = repo
    (work / "scratch.txt").write_text("not committed\n")
    before = snapshot(work), snapshot(bare)
    code = main(["--project", str(work), "ship", "--no-isolation"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "uncommitted changes are left out" in err
    last = out.strip().splitlines()[-1]
    assert last.startswith(f"rehearsal passed: pub-hatch-cli {NEW} would be released as v{NEW}: ")
    assert all(name in last for name in FILES)
    assert "http://127.0.0.1:" in last
    assert (snapshot(work), snapshot(bare)) == before
    # the rehearsal names its directory; it is gone afterwards, wherever TMPDIR points
    named = [
        line for line in err.splitlines() if line.startswith("rehearsal: a throwaway clone in ")
    ]
    assert len(named) == 1, err
    where = Path(named[0].split(" in ", 1)[1].split(",", 1)[0])
    assert where.name.startswith("releasekit-rehearsal-")
    assert not where.exists()


def test_rehearsal_keep_prints_where(capsys, repo) -> None:
    work, _ = repo
    code = main(["--project", str(work), "ship", "--no-isolation", "--keep", "--part", "minor"])
    _, err = capsys.readouterr()
    assert code == 0, err
    kept = Path(err.split("kept: ")[1].split()[0])
    try:
        assert (kept / "checkout").is_dir() and (kept / "remote.git").is_dir()
        assert git(kept / "remote.git", "rev-parse", "refs/tags/v1.1.0^{commit}")
    finally:
        import shutil

        shutil.rmtree(kept)


# --- preflight refusals: exit 2, the error, nothing changed anywhere ---


def _behind(work: Path, bare: Path) -> None:
    other = work.parent / "other"
    subprocess.run(["git", "clone", "-q", str(bare), str(other)], check=True)
    (other / "more.txt").write_text("more\n")
    git(other, "add", "more.txt")
    git(other, "commit", "-qm", "upstream moved on")
    git(other, "push", "-q", "origin", "main")


def _remote_tag(work: Path, bare: Path) -> None:
    git(work, "tag", "v1.0.1")
    git(work, "push", "-q", "origin", "v1.0.1")
    git(work, "tag", "-d", "v1.0.1")


def _disagree(work: Path, bare: Path) -> None:
    with (work / "pyproject.toml").open("a") as fh:
        fh.write('\n[tool.release]\nversion-files = ["src/pub_hatch_cli/v.py"]\n')
    (work / "src/pub_hatch_cli/v.py").write_text('__version__ = "0.9.0"\n')
    git(work, "add", "-A")
    git(work, "commit", "-qm", "disagree")
    git(work, "push", "-q")


def _no_identity(work: Path, bare: Path) -> None:
    # the git_env fixture gives each test a global config file of its own: edit that, not
    # os.environ, which would outlive the test
    git(work, "config", "--global", "--remove-section", "user")


REFUSALS: list[tuple[str, Callable[[Path, Path], None], str]] = [
    (
        "dirty tree",  # staged: untracked files alone are a warning (issue 8)
        lambda w, b: ((w / "new.txt").write_text("x\n"), git(w, "add", "new.txt")),
        "uncommitted changes: new.txt",
    ),
    (
        "modified file",
        lambda w, b: (w / "README.md").write_text("changed\n"),
        "uncommitted changes: README.md",
    ),
    ("detached head", lambda w, b: git(w, "checkout", "-q", "--detach"), "HEAD is detached"),
    (
        "wrong branch",
        lambda w, b: git(w, "switch", "-q", "-c", "feature"),
        "on branch feature, not the release branch main",
    ),
    ("behind upstream", _behind, "behind origin/main"),
    (
        "tag present locally",
        lambda w, b: git(w, "tag", "v1.0.1"),
        "tag v1.0.1 already exists locally",
    ),
    ("tag present on the remote", _remote_tag, "tag v1.0.1 already exists on origin"),
    ("sources disagree", _disagree, "version sources disagree"),
    ("no git identity", _no_identity, "no git identity"),
]


@pytest.mark.parametrize(
    ("setup", "error"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_preflight_refusal(capsys, repo, index: Server, setup, error) -> None:
    work, bare = repo
    setup(work, bare)
    before = snapshot(work), snapshot(bare)
    code, _out, err = ship(capsys, work, index.url)
    assert code == 2, err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and error in errors[0], err
    assert any(line.startswith("hint: ") for line in err.splitlines())
    assert "Traceback" not in err
    assert (snapshot(work), snapshot(bare), index_files(index)) == (*before, [])


def test_preflight_refuses_a_version_already_on_the_index(capsys, repo, index: Server) -> None:
    work, bare = repo
    (index.root / "pub_hatch_cli-1.0.1.tar.gz").write_bytes(b"someone else's upload")
    before = snapshot(work), snapshot(bare)
    code, _, err = ship(capsys, work, index.url)
    assert code == 2
    assert "the index already has pub_hatch_cli-1.0.1.tar.gz" in err
    assert (snapshot(work), snapshot(bare)) == before
    assert index_files(index) == ["pub_hatch_cli-1.0.1.tar.gz"]


def test_preflight_refuses_pypi_targets_without_credentials(capsys, repo, index: Server) -> None:
    work, bare = repo
    before = snapshot(work), snapshot(bare)
    code = main(
        ["--project", str(work), "ship", "--repository", "testpypi", "--index-url", index.index_url]
    )
    _, err = capsys.readouterr()
    assert code == 2
    assert "no credentials found" in err
    assert "hint: set TWINE_USERNAME and TWINE_PASSWORD" in err
    assert (snapshot(work), snapshot(bare)) == before


def test_status_reports_checks_without_changing_anything(capsys, repo, index: Server) -> None:
    work, bare = repo
    (work / "new.txt").write_text("x\n")
    git(work, "add", "new.txt")  # untracked alone would only be a warning
    before = snapshot(work), snapshot(bare)
    code = main(["--project", str(work), "status", "--repository", index.url, "--part", "minor"])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "version:     1.0.0" in out
    assert "next:        1.1.0 (--part minor)" in out
    assert "tag:         v1.1.0" in out
    assert "work tree:   1 uncommitted change(s)" in out
    assert "credentials: none needed" in out
    assert "[FAIL] clean work tree: uncommitted changes: new.txt" in out
    assert "[ok] tag: tag v1.1.0 is free locally" in out
    assert "ship would refuse: 1 check(s) failed" in out
    assert (snapshot(work), snapshot(bare)) == before


# --- faults before upload: the checkout is restored exactly ---


def _commit(work: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (work / rel).write_text(text)
    git(work, "add", "-A")
    git(work, "commit", "-qm", "set up a fault")
    git(work, "push", "-q")


def _check_fails(work: Path) -> None:
    text = (work / "pyproject.toml").read_text()
    text = text.replace(
        'readme = "README.md"', 'readme = {file = "README.rst", content-type = "text/x-rst"}'
    )
    _commit(
        work,
        {
            "pyproject.toml": text,
            "README.rst": "Broken\n=====\n\n`unclosed markup\n\n.. bad-directive::\n",
        },
    )


def _build_fails(work: Path) -> None:
    text = (work / "pyproject.toml").read_text() + "\n[tool.hatch.build.hooks.custom]\n"
    _commit(
        work,
        {
            "pyproject.toml": text,
            "hatch_build.py": "raise SystemExit('the build hook fails on purpose')\n",
        },
    )


@pytest.mark.parametrize(
    ("setup", "error"), [(_build_fails, "build failed"), (_check_fails, "check failed")]
)
def test_fault_before_upload_restores_the_checkout(
    capsys, repo, index: Server, setup, error
) -> None:
    work, bare = repo
    setup(work)
    before = snapshot(work), snapshot(bare)
    code, _, err = ship(capsys, work, index.url)
    assert code == 1, err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert errors and errors[0].startswith(f"error: {error}"), err
    assert "rolled back" in err
    assert (snapshot(work), snapshot(bare), index_files(index)) == (*before, [])
    assert not (work / ".git" / "releasekit" / PACKAGE / f"v{NEW}").exists()


# --- faults at or after upload: nothing rolled back, the same command resumes ---


def _resume(capsys, work: Path, bare: Path, index: Server, proxy: FaultProxy) -> str:
    code, _out, err = ship(capsys, work, proxy.url)
    assert code == 0, err
    assert "==> bump: skipped, HEAD already carries v1.0.1" in err
    assert_released(work, bare, index)
    assert sorted(proxy.uploads) == FILES  # each file uploaded exactly once over both runs
    return err


def test_index_refuses_upload_then_resume(capsys, repo, index: Server, proxy: FaultProxy) -> None:
    work, bare = repo
    proxy.fail_uploads_matching, proxy.fail_status = ".", 403
    code, _, err = ship(capsys, work, proxy.url)
    assert code == 1
    assert "error: upload failed: upload of pub_hatch_cli-1.0.1.tar.gz" in err
    assert "403" in err
    assert "run the same command again to resume" in err
    assert git(work, "describe", "--tags") == "v1.0.1"  # not rolled back
    assert index_files(index) == []
    proxy.fail_uploads_matching = None
    _resume(capsys, work, bare, index, proxy)


def test_upload_interrupted_then_resume(capsys, repo, index: Server, proxy: FaultProxy) -> None:
    work, bare = repo
    proxy.fail_uploads_matching = r"\.whl$"
    code, _, err = ship(capsys, work, proxy.url)
    assert code == 1
    assert "error: upload failed: upload of pub_hatch_cli-1.0.1-py3-none-any.whl" in err
    assert index_files(index) == ["pub_hatch_cli-1.0.1.tar.gz"]
    proxy.fail_uploads_matching = None
    err = _resume(capsys, work, bare, index, proxy)
    assert "reusing the 2 file(s) built from v1.0.1" in err
    assert "pub_hatch_cli-1.0.1.tar.gz: already on the index with the same sha256" in err


def test_verify_fails_then_resume(
    capsys, monkeypatch, repo, index: Server, proxy: FaultProxy
) -> None:
    work, bare = repo
    monkeypatch.setenv("RELEASE_VERIFY_TIMEOUT", "1")
    proxy.hide_project = "pub-hatch-cli"
    code, _, err = ship(capsys, work, proxy.url)
    assert code == 1
    assert "error: verify failed" in err
    assert index_files(index) == FILES
    # pushed before the upload (issue 9): the remote's tag records the release in progress
    assert git(bare, "rev-parse", "refs/tags/v1.0.1^{commit}") == git(work, "rev-parse", "HEAD")
    proxy.hide_project = None
    _resume(capsys, work, bare, index, proxy)


def test_push_rejected_rolls_back_before_any_upload(
    capsys, repo, index: Server, proxy: FaultProxy
) -> None:
    # the push comes before the upload (issue 9): a rejected push burns no version
    work, bare = repo
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'releases are frozen today' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = snapshot(work), snapshot(bare)
    code, _, err = ship(capsys, work, proxy.url)
    assert code == 1
    assert "error: push failed: push to origin was rejected" in err
    assert "rolled back" in err
    assert (snapshot(work), snapshot(bare), index_files(index)) == (*before, [])
    hook.unlink()
    code, _, err = ship(capsys, work, proxy.url)
    assert code == 0, err
    assert_released(work, bare, index)
    assert sorted(proxy.uploads) == FILES


def test_sigkill_between_steps_then_resume(capsys, repo, index: Server, proxy: FaultProxy) -> None:
    work, bare = repo
    proc = ship_process(work, proxy.url)
    assert proc.stderr is not None
    for line in proc.stderr:  # kill it as soon as the bump is done, before the build
        if line.startswith("    ok bump"):
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert git(work, "describe", "--tags") == "v1.0.1"
    assert index_files(index) == []
    deadline = time.monotonic() + 5
    while (work / ".git" / "index.lock").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    _resume(capsys, work, bare, index, proxy)


# --- found in review: VCS versions, another upstream branch, no commits, SIGTERM, identity ---


def test_ship_a_vcs_versioned_project_tags_without_a_commit(
    capsys, tmp_path, index: Server
) -> None:
    work = init_repo(copy_package("hatch-vcs", tmp_path))
    git(work, "tag", "-a", "v0.3.0", "-m", "0.3.0")
    git(work, "commit", "-q", "--allow-empty", "-m", "work after 0.3.0")
    bare = with_origin(work, tmp_path / "remote.git")
    head = git(work, "rev-parse", "HEAD")
    code, _out, err = ship(capsys, work, index.url)
    assert code == 0, err
    assert "ok bump (" in err and "no files to change, tag v0.3.1" in err
    assert git(work, "rev-parse", "HEAD") == head  # the tag is the bump
    assert git(bare, "rev-parse", "refs/tags/v0.3.1^{commit}") == head
    assert index_files(index) == [
        "rk_fixture_hatch_vcs-0.3.1-py3-none-any.whl",
        "rk_fixture_hatch_vcs-0.3.1.tar.gz",
    ]


def test_push_goes_to_the_upstream_branch(capsys, repo, index: Server) -> None:
    work, bare = repo
    git(work, "push", "-q", "origin", "main:trunk")
    git(bare, "symbolic-ref", "HEAD", "refs/heads/trunk")
    git(work, "push", "-q", "origin", "--delete", "main")
    git(work, "branch", "-q", "-u", "origin/trunk", "main")
    code, _, err = ship(capsys, work, index.url)
    assert code == 0, err
    assert git(bare, "rev-parse", "refs/heads/trunk") == git(work, "rev-parse", "HEAD")
    assert "refs/heads/main" not in git(bare, "show-ref")


def test_a_repository_without_commits_is_refused(capsys, tmp_path, index: Server) -> None:
    work = copy_package(PACKAGE, tmp_path)
    git(work, "init", "-q", "-b", "main")
    for argv in (["status"], ["ship", "--repository", index.url, "--dry-run"]):
        code = main(["--project", str(work), *argv])
        err = capsys.readouterr().err
        assert code == 2
        errors = [line for line in err.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1 and errors[0].endswith("has no commits yet"), err
        assert "Traceback" not in err


def test_sigterm_before_the_upload_rolls_back(repo, index: Server) -> None:
    work, bare = repo
    before = snapshot(work), snapshot(bare)
    with ship_process(work, index.url) as proc:
        assert proc.stderr is not None
        lines = []
        for line in proc.stderr:  # as a cancelled CI job would be: SIGTERM during the build
            lines.append(line)
            if line.startswith("==> build"):
                proc.send_signal(signal.SIGTERM)
                break
        rest = proc.stderr.read()
    assert proc.returncode == 130, "".join(lines) + rest
    assert "rolled back" in rest
    assert (snapshot(work), snapshot(bare), index_files(index)) == (*before, [])


def test_identity_from_git_config_global_elsewhere(
    capsys, monkeypatch, repo, index: Server, tmp_path
) -> None:
    work, _ = repo
    config = tmp_path / "elsewhere.gitconfig"
    config.write_text("[user]\n\tname = Elsewhere\n\temail = elsewhere@example.com\n")
    empty = tmp_path / "empty-home"
    empty.mkdir()
    monkeypatch.setenv("HOME", str(empty))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    assert main(["--project", str(work), "status", "--repository", index.url]) == 0
    assert "[ok] git identity" in capsys.readouterr().out


def test_no_push_still_refuses_a_tag_taken_on_the_remote(capsys, repo, index: Server) -> None:
    work, bare = repo
    _remote_tag(work, bare)
    before = snapshot(work), snapshot(bare)
    code, _, err = ship(capsys, work, index.url, "--no-push")
    assert code == 2
    assert "tag v1.0.1 already exists on origin" in err
    assert (snapshot(work), snapshot(bare), index_files(index)) == (*before, [])


def test_remote_moved_after_an_unpushed_release_hints_at_dropping_it(
    capsys, repo, index: Server
) -> None:
    # a release made here but never pushed (a run killed after the bump) has nothing public
    work, bare = repo
    assert main(["--project", str(work), "bump", "patch", "--tag"]) == 0
    capsys.readouterr()
    assert main(["--project", str(work), "status", "--repository", index.url]) == 0
    assert (
        "release:     v1.0.1 is made here, neither pushed nor uploaded: "
        f"`release ship --repository {index.url}` pushes, uploads and verifies it"
    ) in capsys.readouterr().out
    _behind(work, bare)
    before = snapshot(work), snapshot(bare)
    code, _, err = ship(capsys, work, index.url)
    assert code == 2
    assert "behind origin/main" in err
    assert "v1.0.1 was made here but neither pushed nor uploaded: drop it (git tag -d v1.0.1" in err
    assert (snapshot(work), snapshot(bare), index_files(index)) == (*before, [])
