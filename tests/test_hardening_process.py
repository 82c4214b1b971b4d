"""Issue 8, defects 4, 8, 9 and 10: one release at a time, interrupts, hidden causes, and the
smaller list; real git repositories, real pypiservers and real builds in subprocesses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import (
    assert_refused,
    cli_env,
    copy_package,
    errors_of,
    git,
    hints_of,
    in_process_env,
    index_files,
    init_repo,
    release_cli,
    snapshot,
    wait_for,
)
from faultproxy import FaultProxy

from release.server import Server

PACKAGE = "pub-hatch-cli"
NEW = "1.0.1"
FILES = ["pub_hatch_cli-1.0.1-py3-none-any.whl", "pub_hatch_cli-1.0.1.tar.gz"]


@pytest.fixture
def proxy(index: Server) -> Iterator[FaultProxy]:
    """A fault-injecting proxy in front of the index."""
    with FaultProxy(index.url) as p:
        yield p


def _with_origin(work: Path, tmp_path: Path) -> tuple[Path, Path]:
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    git(work, "remote", "add", "origin", str(bare))
    git(work, "push", "-q", "-u", "origin", "main")
    return work, bare


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, Path]:
    """pub-hatch-cli committed on main, pushed to a bare repository as origin."""
    return _with_origin(init_repo(copy_package(PACKAGE, tmp_path)), tmp_path)


def start_ship(work: Path, url: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``release ship`` in a process of its own; its stderr readable line by line."""
    argv = ["--project", str(work), "ship", "--repository", url, "--no-isolation"]
    return subprocess.Popen(
        [sys.executable, "-m", "release", *argv],
        env={**(env or cli_env()), "PYTHONUNBUFFERED": "1"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def start_release(env: dict[str, str], *argv: str) -> subprocess.Popen[str]:
    """``python -m release ARGV`` started, its output piped, for a signal to be sent to it."""
    return subprocess.Popen(
        [sys.executable, "-m", "release", *argv],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_until(proc: subprocess.Popen[str], prefix: str) -> list[str]:
    """Read ``proc``'s stderr up to and including the first line starting with ``prefix``."""
    assert proc.stderr is not None
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if line.startswith(prefix):
            return lines
    raise AssertionError(f"no line starting with {prefix!r} in:\n{''.join(lines)}")


def finish(proc: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def processes_with(marker: str) -> list[int]:
    """The PIDs whose command line holds ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(int(entry.name))
    return found


# --- defect 8: interrupts -------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_build_leaves_no_process_and_no_temporary_files(
    tmp_path: Path, index: Server, sig: signal.Signals
) -> None:
    work, bare = _with_origin(init_repo(copy_package("sleepy-backend", tmp_path)), tmp_path)
    marker = f"sleepy-marker-{uuid.uuid4().hex}"
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    before = snapshot(work), snapshot(bare)
    ready = tmp_path / "ready"
    env = cli_env(SLEEPY_MARKER=marker, SLEEPY_READY=str(ready), TMPDIR=str(tmp))
    proc = start_ship(work, index.url, env)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert ready.exists(), proc.communicate()[1]
        assert processes_with(marker), "the backend's child did not start"
        proc.send_signal(sig)
        code, _, err = finish(proc, timeout=60)
    finally:
        proc.kill()
    deadline = time.monotonic() + 5
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = processes_with(marker)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == [], "the build backend's child outlived the release"
    assert sorted(os.listdir(tmp)) == [], "temporary files were left behind"
    assert code == 130, err
    assert errors_of(err) == ["error: interrupted during build; rolled back"], err
    assert "Traceback" not in err
    assert (snapshot(work), snapshot(bare), index_files(index)) == (*before, [])


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads /proc")
def test_sigterm_during_release_build_ends_the_backend(tmp_path: Path) -> None:
    work = init_repo(copy_package("sleepy-backend", tmp_path))
    marker = f"sleepy-marker-{uuid.uuid4().hex}"
    tmp, ready = tmp_path / "tmp", tmp_path / "ready"
    tmp.mkdir()
    env = cli_env(SLEEPY_MARKER=marker, SLEEPY_READY=str(ready), TMPDIR=str(tmp))
    proc = start_release(env, "--project", str(work), "build", "--no-isolation")
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert ready.exists(), proc.communicate()[1]
        proc.send_signal(signal.SIGTERM)
        code, out, err = finish(proc, timeout=60)
    finally:
        proc.kill()
    left = processes_with(marker)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == [], "the build backend's child outlived release build"
    assert sorted(os.listdir(tmp)) == []
    assert (code, out, errors_of(err)) == (130, "", ["error: interrupted"]), err
    assert not (work / "dist").exists()


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads /proc")
def test_sigterm_while_the_build_environment_is_made_ends_it_at_once(tmp_path: Path) -> None:
    """The declared build environment is made in a thread beside the checkout: an index that
    never answers holds its install, and SIGTERM ends that install at once, not after it."""
    import socket

    work = init_repo(copy_package("pub-hatch-cli", tmp_path))
    cache, tmp = tmp_path / f"cache-{uuid.uuid4().hex}", tmp_path / "tmp"
    tmp.mkdir()
    with socket.socket() as stalled:  # accepts connections (the backlog) and never answers
        stalled.bind(("127.0.0.1", 0))
        stalled.listen(16)
        url = f"http://127.0.0.1:{stalled.getsockname()[1]}/simple/"
        env = cli_env(XDG_CACHE_HOME=str(cache), TMPDIR=str(tmp), UV_INDEX_URL=url)
        proc = start_release(env, "--project", str(work), "build")
        try:
            wait_for(
                lambda: processes_with(f"{cache}/releasekit/venvs/") or proc.poll() is not None
            )
            installing = processes_with(f"{cache}/releasekit/venvs/")
            time.sleep(0.5)  # the checkout is done by now: the build waits for the install
            sent = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            code, out, err = finish(proc, timeout=60)
            took = time.monotonic() - sent
        finally:
            proc.kill()
    assert installing, err
    assert (code, out, errors_of(err)) == (130, "", ["error: interrupted"]), err
    assert took < 5, f"waited {took:.1f}s for the install to end by itself"
    assert processes_with(f"{cache}/releasekit/venvs/") == []
    (slot,) = cache.glob("releasekit/venvs/*/slot-*")
    assert list(slot.iterdir()) == [] and os.listdir(tmp) == []
    assert not (work / "dist").exists()


@pytest.mark.slow
def test_an_interrupt_after_the_upload_started_prints_the_resume_command(
    repo: tuple[Path, Path], index: Server, proxy: FaultProxy
) -> None:
    work, _ = repo
    proxy.upload_delay = 30
    proc = start_ship(work, proxy.url)
    try:
        read_until(proc, "==> upload")
        time.sleep(0.5)  # inside the (slow) upload now
        proc.send_signal(signal.SIGINT)
        code, _, err = finish(proc)
    finally:
        proc.kill()
    assert code == 130, err
    assert errors_of(err) == [
        "error: interrupted during upload; the upload has started, so nothing was rolled back"
    ], err
    resume = f"release --project {work} ship --repository {proxy.url} --no-isolation"
    assert hints_of(err) == [f"hint: run the same command to resume: {resume}"], err
    assert git(work, "describe", "--tags") == f"v{NEW}"  # kept for the resume


@pytest.mark.slow
def test_an_interrupted_push_reports_what_the_remote_has(
    repo: tuple[Path, Path], index: Server
) -> None:
    work, bare = repo
    hook = bare / "hooks" / "post-receive"  # the refs have landed; the push is still running
    hook.write_text("#!/bin/sh\nsleep 4\n")
    hook.chmod(0o755)
    proc = start_ship(work, index.url)
    try:
        read_until(proc, "==> push")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            tags = subprocess.run(
                ["git", "tag"], cwd=bare, capture_output=True, text=True
            ).stdout.split()
            if f"v{NEW}" in tags:
                break
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        code, _, err = finish(proc)
    finally:
        proc.kill()
    head = git(work, "rev-parse", "HEAD")
    assert code == 130, err
    assert errors_of(err) == [
        f"error: interrupted during push; the push landed: origin has v{NEW} at {head[:12]}"
    ], err
    assert "failed" not in errors_of(err)[0]
    # the push comes before the upload: the landed tag is kept, and the same command finishes
    assert git(work, "describe", "--tags") == f"v{NEW}"
    assert index_files(index) == []
    hook.unlink()
    code, _, err = finish(start_ship(work, index.url))
    assert code == 0, err
    assert index_files(index) == FILES


# --- defect 4: one release at a time --------------------------------------------------


@pytest.mark.slow
def test_a_second_concurrent_ship_is_refused_and_changes_nothing(
    repo: tuple[Path, Path], index: Server, proxy: FaultProxy
) -> None:
    work, bare = repo
    proxy.upload_delay = 2
    first = start_ship(work, proxy.url)
    try:
        read_until(first, "==> upload")
        during = snapshot(work), snapshot(bare)
        second = release_cli(
            "--project", str(work), "ship", "--repository", proxy.url, "--no-isolation"
        )
        after_second = snapshot(work), snapshot(bare)
        code, _, err = finish(first)
    finally:
        first.kill()
    assert second.returncode == 2, second.stderr
    errors = errors_of(second.stderr)
    assert len(errors) == 1, second.stderr
    assert f"PID {first.pid} (release --project {work} ship" in errors[0]
    assert errors[0].startswith("error: another release is running in this repository")
    assert hints_of(second.stderr), second.stderr
    assert after_second == during  # the loser touched nothing, rolled back nothing
    assert code == 0, err
    assert git(work, "status", "--porcelain") == ""
    assert git(bare, "rev-parse", f"v{NEW}^{{commit}}") == git(work, "rev-parse", "HEAD")
    assert index_files(index) == FILES
    assert not (work / ".git" / "releasekit.lock").exists()


def test_a_lock_left_by_a_dead_process_is_taken_over(
    repo: tuple[Path, Path], index: Server
) -> None:
    work, _ = repo
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock = work / ".git" / "releasekit.lock"
    lock.write_text(
        json.dumps({"pid": dead.pid, "started": 1, "command": "release ship", "since": 0}) + "\n"
    )
    proc = release_cli("--project", str(work), "bump", "patch", "--commit")
    assert proc.returncode == 0, proc.stderr
    assert f"took over the lock of PID {dead.pid} (release ship)" in proc.stderr
    assert git(work, "log", "-1", "--format=%s") == "Release 1.0.1 (was 1.0.0)"
    assert not lock.exists()


def test_a_lock_whose_pid_was_reused_is_taken_over(repo: tuple[Path, Path]) -> None:
    work, _ = repo
    # this test's own PID is alive, but started at another time than the lock records
    lock = work / ".git" / "releasekit.lock"
    record = {"pid": os.getpid(), "started": 1, "command": "release ship", "since": 0}
    lock.write_text(json.dumps(record))
    proc = release_cli("--project", str(work), "bump", "patch", "--tag")
    assert proc.returncode == 0, proc.stderr
    assert f"took over the lock of PID {os.getpid()}" in proc.stderr


def test_a_live_lock_refuses_bump_and_promote_and_changes_nothing(
    repo: tuple[Path, Path],
) -> None:
    work, bare = repo
    from release.lock import process_start

    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock = work / ".git" / "releasekit.lock"
        record = {
            "pid": holder.pid,
            "started": process_start(holder.pid),
            "command": "release ship --repository testpypi",
            "since": time.time(),
        }
        lock.write_text(json.dumps(record))
        before = snapshot(work), snapshot(bare), lock.read_bytes()
        for argv in (
            ["bump", "minor", "--commit"],
            ["promote", "--from", "testpypi", "--to", "pypi"],
        ):
            proc = release_cli("--project", str(work), *argv)
            assert proc.returncode == 2, proc.stderr
            assert errors_of(proc.stderr) == [
                "error: another release is running in this repository: "
                f"PID {holder.pid} (release ship --repository testpypi) holds {lock}"
            ]
            assert hints_of(proc.stderr)
        assert (snapshot(work), snapshot(bare), lock.read_bytes()) == before
        # reading commands do not wait for the lock
        assert release_cli("--project", str(work), "bump", "patch", "--dry-run").returncode == 0
    finally:
        holder.kill()
        holder.wait()


def test_rollback_restores_only_what_its_own_run_wrote(repo: tuple[Path, Path]) -> None:
    from release import bump, config

    work, _ = repo
    cfg = config.load(work)
    plan = bump.plan(bump.read_state(cfg), "patch", commit=True, tag=True)
    outcome = bump.execute(plan)
    # meanwhile another run (or the user) rewrote the file the bump had written
    pyproject = work / "pyproject.toml"
    theirs = pyproject.read_bytes().replace(b'version = "1.0.1"', b'version = "2.0.0"')
    pyproject.write_bytes(theirs)
    left = bump.rollback(outcome)
    assert left == [pyproject]
    assert pyproject.read_bytes() == theirs
    assert git(work, "tag") == ""
    assert git(work, "log", "--format=%s") == "initial"


# --- defect 9: hidden causes ----------------------------------------------------------


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process runs: short retries, a null keyring, no credentials from the machine."""
    in_process_env(monkeypatch, RELEASE_RETRY_TIMEOUT="3")


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    from release.__main__ import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_build_backends_own_error_reaches_the_user(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # hatchling finds no package called "wrong_name" to put in the wheel
    work = copy_package("hatchling-static", tmp_path)
    pyproject = work / "pyproject.toml"
    text = pyproject.read_text()
    name = text.split('name = "', 1)[1].split('"', 1)[0]
    pyproject.write_text(text.replace(f'name = "{name}"', 'name = "wrong-name"', 1))
    init_repo(work)
    before = snapshot(work)
    code, out, err = run_main(capsys, "--project", str(work), "build")  # uv build, isolated
    assert_refused(
        code,
        err,
        1,
        "error: build of ",
        "hint: fix that error and commit the fix: the build runs in a clean checkout of the commit",
    )
    assert out == ""
    assert "Unable to determine which files to ship" in err
    assert "\x1b[" not in err
    assert snapshot(work) == before


def test_a_missing_readme_gets_a_hint_that_names_the_fix(
    capsys: pytest.CaptureFixture[str], repo: tuple[Path, Path], index: Server, fast: None
) -> None:
    work, bare = repo
    git(work, "rm", "-q", "README.md")
    git(work, "commit", "-q", "-m", "no readme")
    git(work, "push", "-q")
    before = snapshot(work), snapshot(bare)
    code, _, err = run_main(
        capsys, "--project", str(work), "ship", "--repository", index.url, "--no-isolation"
    )
    assert code == 1, err
    assert errors_of(err)[0].startswith("error: build failed: build of "), err
    assert "Readme file does not exist: README.md" in err
    (hint,) = hints_of(err)
    assert hint.startswith(
        "hint: create the readme that [project].readme in pyproject.toml names (e.g. README.md), "
        "or fix that setting, and commit; then run again: release"
    )
    assert (snapshot(work), snapshot(bare), index_files(index)) == (*before, [])


def test_twine_check_findings_are_one_plain_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # a setuptools project without a readme: twine check --strict warns about the description
    work = tmp_path / "bare-meta"
    (work / "bare_meta").mkdir(parents=True)
    (work / "bare_meta" / "__init__.py").write_text("")
    (work / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "bare-meta"\nversion = "1.0.0"\ndescription = "no readme"\n'
        "[tool.setuptools]\npackages = ['bare_meta']\n"
    )
    init_repo(work)
    code, out, err = run_main(capsys, "--project", str(work), "build", "--no-isolation")
    assert code == 0, err
    files = out.split()
    code, _, err = run_main(capsys, "--project", str(work), "check", *files)
    assert code == 1, err
    assert "\x1b" not in err
    assert errors_of(err) == [
        "error: twine check --strict: `long_description_content_type` missing. "
        "defaulting to `text/x-rst`; `long_description` missing"
    ], err
    assert "check: 1 problem" not in err
    assert hints_of(err)[0].startswith("hint: create the readme that [project].readme")


def test_an_html_error_page_from_the_index_is_one_plain_sentence(
    capsys: pytest.CaptureFixture[str],
    repo: tuple[Path, Path],
    index: Server,
    proxy: FaultProxy,
    fast: None,
) -> None:
    work, _ = repo
    proxy.fail_uploads_matching, proxy.fail_status = ".", 403
    code, _, err = run_main(
        capsys, "--project", str(work), "ship", "--repository", proxy.url, "--no-isolation"
    )
    assert code == 1, err
    (error,) = errors_of(err)
    assert error.startswith(
        f"error: upload failed: upload of pub_hatch_cli-{NEW}.tar.gz to {proxy.url} failed: "
        "403 injected fault: "
    ), err
    assert "injected fault" in error
    assert "<" not in err and ">" not in err.replace("==>", "").replace("->", "")
    assert "DOCTYPE" not in err


# --- defect 10: the smaller list ------------------------------------------------------


@pytest.mark.slow
def test_a_rehearsal_after_the_release_says_it_is_released(
    capsys: pytest.CaptureFixture[str], repo: tuple[Path, Path], index: Server, fast: None
) -> None:
    work, _ = repo
    argv = ["--project", str(work), "ship", "--no-isolation"]
    code, _, err = run_main(capsys, *argv, "--repository", index.url)
    assert code == 0, err
    code, out, err = run_main(capsys, *argv)  # the local target: a rehearsal
    assert code == 0, err
    assert "would be released" not in out
    assert (
        out.strip()
        .splitlines()[-1]
        .startswith(
            f"rehearsal passed: pub-hatch-cli {NEW} is already released (v{NEW} is at HEAD)"
        )
    )


def test_debug_shows_the_traceback_and_keeps_the_exit_status(
    capsys: pytest.CaptureFixture[str], repo: tuple[Path, Path]
) -> None:
    work, _ = repo
    code, _, err = run_main(capsys, "--debug", "--project", str(work), "bump", "sideways")
    assert code == 2
    assert "Traceback (most recent call last)" in err
    assert errors_of(err) and hints_of(err)


def test_a_rehearsal_in_a_repository_without_commits_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    work = copy_package(PACKAGE, tmp_path)
    git(work, "init", "-q", "-b", "main")
    before = snapshot(work)
    code, _, err = run_main(capsys, "--project", str(work), "ship")
    assert code == 2, err
    assert errors_of(err) == [f"error: the repository of {work} has no commits yet"], err
    assert hints_of(err) == ["hint: commit the project first: a release is made from a commit"]
    assert "Traceback" not in err and "git" not in errors_of(err)[0].split(work.name)[-1]
    assert snapshot(work) == before


def test_output_into_a_closed_pipe_ends_quietly(repo: tuple[Path, Path]) -> None:
    work, _ = repo
    proc = subprocess.Popen(
        [sys.executable, "-m", "release", "--project", str(work), "bump", "patch", "--dry-run"],
        env=cli_env(),
        cwd=work,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `| head -0`: the reader is gone before the first line
    err = proc.stderr.read().decode()
    proc.stderr.close()
    code = proc.wait(timeout=60)
    assert "BrokenPipe" not in err and "Traceback" not in err, err
    assert err == ""
    assert code == 128 + signal.SIGPIPE


def test_an_unreachable_remote_fails_preflight_with_the_reason(
    capsys: pytest.CaptureFixture[str], repo: tuple[Path, Path], index: Server, fast: None
) -> None:
    work, _ = repo
    git(work, "remote", "set-url", "origin", str(work.parent / "gone.git"))
    code, out, err = run_main(capsys, "--project", str(work), "status", "--repository", index.url)
    assert code == 0, err
    remote_tag = [line for line in out.splitlines() if "remote tag:" in line]
    assert len(remote_tag) == 1 and remote_tag[0].strip().startswith(
        f"[FAIL] remote tag: cannot tell whether tag v{NEW} is free on origin: git could not"
    ), out
    assert "gone.git" in remote_tag[0]
    assert "[ok] remote tag" not in out
    before = snapshot(work)
    code, _, err = run_main(
        capsys, "--project", str(work), "ship", "--repository", index.url, "--no-isolation"
    )
    assert_refused(
        code,
        err,
        2,
        "error: preflight refused: cannot read origin: ",
        "hint: check the remote's URL (git remote -v), the network and your access",
    )
    assert snapshot(work) == before


def test_one_5xx_from_the_index_is_read_again(
    capsys: pytest.CaptureFixture[str], repo: tuple[Path, Path], proxy: FaultProxy, fast: None
) -> None:
    work, _ = repo
    proxy.fail_reads, proxy.fail_status = 1, 503
    code, out, err = run_main(capsys, "--project", str(work), "status", "--repository", proxy.url)
    assert code == 0, err
    assert proxy.fail_reads == 0  # the fault was met
    assert "[ok] index: the version is not on the index yet" in out, out
    assert "ship would refuse" not in out


def test_released_on_the_remote_meanwhile_gets_one_coherent_hint(
    capsys: pytest.CaptureFixture[str], repo: tuple[Path, Path], index: Server, fast: None
) -> None:
    work, bare = repo
    # a colleague released 1.0.1 from another clone and pushed it
    other = tmp = work.parent / "colleague"
    subprocess.run(["git", "clone", "-q", str(bare), str(tmp)], check=True)
    assert release_cli("--project", str(other), "bump", "patch", "--tag").returncode == 0
    git(other, "push", "-q", "origin", "main", f"v{NEW}")
    git(work, "fetch", "-q", "--no-tags")
    before = snapshot(work), snapshot(bare)
    code, _, err = run_main(
        capsys, "--project", str(work), "ship", "--repository", index.url, "--dry-run"
    )
    assert code == 2, err
    (hint,) = hints_of(err)
    assert "pick another version" not in hint and "push the tag alone" not in hint
    assert hint == (
        f"hint: origin already has v{NEW} (at {git(bare, 'rev-parse', f'v{NEW}^{{commit}}')[:12]}): "
        "git pull --rebase to get that release, then run again for the next version"
    )
    assert (snapshot(work), snapshot(bare)) == before


def test_credentials_in_the_index_url_are_named_once(
    capsys: pytest.CaptureFixture[str], repo: tuple[Path, Path], index: Server
) -> None:
    work, _ = repo
    argv = ["--repository", index.url, "--index-url", "https://user:secret@example.com/simple/"]
    message = "index URL carries credentials; they would end up in logs and command lines"
    # status reports a bad setting as a failed check; ship refuses it with exit 2
    code, out, err = run_main(capsys, "--project", str(work), "status", *argv)
    assert code == 0, err
    assert f"  [FAIL] settings: {message}" in out.splitlines()
    assert "secret" not in out + err
    code, out, err = run_main(capsys, "--project", str(work), "ship", "--dry-run", *argv)
    assert code == 2
    assert errors_of(err) == [f"error: {message}"]
    assert "secret" not in out + err


def test_untracked_files_are_a_warning_unless_configured_to_refuse(
    capsys: pytest.CaptureFixture[str], repo: tuple[Path, Path], index: Server, fast: None
) -> None:
    work, _ = repo
    (work / "build").mkdir()
    (work / "build" / "left-by-pip.txt").write_text("x")
    argv = ["--project", str(work), "ship", "--repository", index.url, "--dry-run"]
    code, _, err = run_main(capsys, *argv)
    assert code == 0, err
    assert (
        "[ok  ] clean work tree: warning: untracked files are not released "
        "(the build uses a clean clone): build/left-by-pip.txt"
    ) in err
    # a modified tracked file still refuses
    readme = work / "README.md"
    readme.write_text(readme.read_text() + "\nmore\n")
    code, _, err = run_main(capsys, *argv)
    assert code == 2
    assert errors_of(err) == ["error: preflight refused: uncommitted changes: README.md"]
    git(work, "checkout", "-q", "README.md")
    # allow-untracked = false refuses them
    pyproject = work / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n[tool.release]\nallow-untracked = false\n")
    git(work, "commit", "-q", "-am", "refuse untracked files")
    git(work, "push", "-q")
    before = snapshot(work)
    code, _, err = run_main(capsys, *argv)
    assert code == 2, err
    assert errors_of(err) == ["error: preflight refused: untracked files: build/left-by-pip.txt"]
    assert hints_of(err) == [
        "hint: commit them, add them to .gitignore or delete them "
        "([tool.release] allow-untracked = false refuses them)"
    ]
    assert snapshot(work) == before


def test_allow_untracked_must_be_a_boolean(
    capsys: pytest.CaptureFixture[str], repo: tuple[Path, Path]
) -> None:
    work, _ = repo
    pyproject = work / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '\n[tool.release]\nallow-untracked = "no"\n')
    message = "[tool.release] allow-untracked must be a bool, not 'no'"
    code, out, err = run_main(capsys, "--project", str(work), "status")
    assert code == 0, err
    assert f"  [FAIL] settings: {message}" in out.splitlines()
    code, _, err = run_main(capsys, "--project", str(work), "ship", "--dry-run")
    assert code == 2
    assert errors_of(err) == [f"error: {message}"]


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_verify_runs_its_checks_at_once_and_reports_the_first_failure_in_order(
    tmp_path: Path,
) -> None:
    from release.errors import StepError
    from release.verify import _together

    # each waits for the other's file: they finish only if both run at the same time
    meet = "import pathlib, sys, time\n" \
        "pathlib.Path(sys.argv[1]).touch()\n" \
        "deadline = time.monotonic() + 20\n" \
        "while not pathlib.Path(sys.argv[2]).exists():\n" \
        "    assert time.monotonic() < deadline, 'ran alone'\n" \
        "    time.sleep(0.01)\n" \
        "print('met')"  # fmt: skip
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    steps = [("a", [*_python(meet), a, b], 30.0), ("b", [*_python(meet), b, a], 30.0)]
    assert _together(steps, cli_env(), tmp_path) == ["met\n", "met\n"]
    # the second fails at once, the first a moment later: the first is the one reported
    late = "import time, sys; time.sleep(0.5); sys.exit('late failure')"
    steps = [("late", _python(late), 30.0), ("early", _python("raise SystemExit(3)"), 30.0)]
    with pytest.raises(StepError) as caught:
        _together(steps, cli_env(), tmp_path)
    assert caught.value.message.startswith("verify: late failed (exit status 1):")
    assert "late failure" in caught.value.message
    # a later check that cannot start at all is said in its turn too, after the ones before
    passed: list[str] = []
    steps = [
        ("fine", _python("pass"), 30.0),
        ("broken", _python("raise SystemExit('broken import')"), 30.0),
        ("tool --help", [str(tmp_path / "no-such-tool"), "--help"], 30.0),
    ]
    with pytest.raises(StepError) as caught:
        _together(steps, cli_env(), tmp_path, passed.append)
    assert caught.value.message.startswith("verify: broken failed (exit status 1):")
    assert passed == ["fine"]
    steps = [("fine", _python("pass"), 30.0), ("tool --help", steps[2][1], 30.0)]
    with pytest.raises(StepError, match=r"^verify: tool --help could not start: "):
        _together(steps, cli_env(), tmp_path, passed.append)
    assert passed == ["fine", "fine"]


def test_a_failed_check_ends_the_checks_still_running(tmp_path: Path) -> None:
    from release.errors import StepError
    from release.verify import _together

    pid_file = tmp_path / "pid"
    sleeper = f"import os, time, pathlib; pathlib.Path({str(pid_file)!r}).write_text(str(os.getpid())); time.sleep(120)"
    wait = (
        "import pathlib, sys, time\n"
        "deadline = time.monotonic() + 20\n"
        f"while not pathlib.Path({str(pid_file)!r}).exists() and time.monotonic() < deadline:\n"
        "    time.sleep(0.01)\n"
        "sys.exit(2)"
    )
    steps = [("fails", _python(wait), 60.0), ("sleeps", _python(sleeper), 60.0)]
    with pytest.raises(StepError, match=r"verify: fails failed \(exit status 2\)"):
        _together(steps, cli_env(), tmp_path)
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # ended and reaped, not left running
