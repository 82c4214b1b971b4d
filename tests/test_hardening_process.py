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
from conftest import cli_env, copy_package, git, init_repo, release_cli, snapshot
from faultproxy import FaultProxy

from release.server import Server, running

PACKAGE = "pub-hatch-cli"
NEW = "1.0.1"
FILES = ["pub_hatch_cli-1.0.1-py3-none-any.whl", "pub_hatch_cli-1.0.1.tar.gz"]


@pytest.fixture
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real, empty pypiserver."""
    with running(tmp_path_factory.mktemp("index")) as server:
        yield server


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


def index_files(server: Server) -> list[str]:
    return sorted(p.name for p in server.root.iterdir() if p.is_file())


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


def errors_of(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("error: ")]


def hints_of(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("hint: ")]


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
    assert code == 130, err
    assert errors_of(err) == ["error: interrupted during build; rolled back"], err
    assert "Traceback" not in err
    deadline = time.monotonic() + 5
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = processes_with(marker)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == [], "the build backend's child outlived the release"
    assert sorted(os.listdir(tmp)) == [], "temporary files were left behind"
    assert (snapshot(work), snapshot(bare), index_files(index)) == (*before, [])


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
    assert index_files(index) == FILES


# --- defect 4: one release at a time --------------------------------------------------


@pytest.mark.slow
def test_a_second_ship_waits_for_no_one_and_changes_nothing(
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
