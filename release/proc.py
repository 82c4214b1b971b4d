"""Child processes in a process group of their own, ended on every way out.

A build backend or an installer may start children of its own. Started in a new session,
the whole tree is one process group: an exception, Ctrl-C or SIGTERM in releasekit ends the
group, so nothing is left running (orphaned to PID 1) after releasekit exits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

GRACE = 5.0
"""Seconds a group gets to exit after SIGTERM before it is killed."""


def _signal_group(pid: int, sig: signal.Signals) -> None:
    if sys.platform == "win32":  # pragma: no cover - no process groups: the child alone
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def end_group(*procs: subprocess.Popen[str]) -> None:
    """Stop each of ``procs``' process groups: SIGTERM, then SIGKILL after ``GRACE`` seconds.

    Several are sent SIGTERM together and share the one ``GRACE``.
    """
    for proc in procs:
        _signal_group(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE
    for proc in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        # the leader may be gone while its children are still in the group
        kill_group(proc)
        proc.wait()


def kill_group(proc: subprocess.Popen[str]) -> None:
    """SIGKILL to ``proc``'s group, without waiting: whoever waits for it sees it end."""
    _signal_group(proc.pid, signal.SIGKILL)


def start(
    cmd: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path | str | None = None,
    merge: bool = False,
) -> subprocess.Popen[str]:
    """Start ``cmd`` in a new session, its output captured as text (``merge``: stderr too)."""
    return subprocess.Popen(
        list(cmd),
        env=dict(env),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merge else subprocess.PIPE,
        text=True,
        errors="replace",
        start_new_session=True,
    )


def finish(
    proc: subprocess.Popen[str], timeout: float | None = None
) -> subprocess.CompletedProcess[str]:
    """Wait for a started ``proc``; on any way out but its normal exit, end its group first."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except BaseException:
        end_group(proc)
        proc.communicate()
        raise
    finally:
        # a grandchild that outlived a finished leader (a daemonised helper) goes too
        if proc.returncode is not None:
            kill_group(proc)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err or "")


def run(
    cmd: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path | str | None = None,
    timeout: float | None = None,
    merge: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` in a new session, capturing its output as text; like ``subprocess.run``.

    ``merge`` sends stderr into stdout, in the order the child wrote them. On a timeout
    ``subprocess.TimeoutExpired`` propagates; on any way out but a normal exit of the
    child, its whole process group is ended first.
    """
    return finish(start(cmd, env=env, cwd=cwd, merge=merge), timeout)


def ended(procs: Sequence[subprocess.Popen[str]]) -> None:
    """End the groups of those of ``procs`` still running: SIGTERM to all, SIGKILL after GRACE."""
    running = [p for p in procs if p.returncode is None]
    end_group(*running)
    for proc in running:
        proc.communicate()


def tail(text: str, lines: int = 20) -> str:
    """The last ``lines`` non-empty lines of ``text``, indented (pure).

    Indented, a child's own ``error:`` or ``hint:`` line cannot pass for one of ours.
    """
    kept = [f"  {line.rstrip()}" for line in text.splitlines() if line.strip()]
    return "\n".join(kept[-lines:])
