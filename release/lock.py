"""One release operation at a time per repository: ``.git/releasekit.lock``.

The lock file is created with ``O_EXCL``, so of two runs exactly one gets it; it holds the
holder's PID, the start time of that process and its command line. A lock whose process is
gone (or whose PID now belongs to a process started later) is stale and is taken over.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from .errors import UsageError
from .values import frozen

NAME = "releasekit.lock"


@frozen
class Holder:
    """Who holds a lock: PID, process start time (None when unknown) and command line."""

    pid: int
    started: int | None
    command: str
    since: float

    def describe(self) -> str:
        """``PID 123 (release ship ...)``."""
        return f"PID {self.pid} ({self.command})"


def process_start(pid: int) -> int | None:
    """The start time of process ``pid`` in clock ticks since boot, from /proc; None if unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: split after the last ')'
    fields = stat.rpartition(")")[2].split()
    try:
        return int(fields[19])  # field 22 of stat(5)
    except (IndexError, ValueError):
        return None


def is_running(holder: Holder) -> bool:
    """Whether the holder's process still exists and is the same process (not a reused PID)."""
    if holder.pid <= 0:  # an unreadable lock: a run is writing it, unless it is old
        return time.time() - holder.since < 10
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, owned by someone else
    if holder.started is not None:
        now = process_start(holder.pid)
        if now is not None and now != holder.started:
            return False
    return True


def _read(path: Path) -> Holder | None:
    try:
        data = json.loads(path.read_text())
        return Holder(
            int(data["pid"]),
            int(data["started"]) if data.get("started") is not None else None,
            str(data.get("command", "?")),
            float(data.get("since", 0)),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        # half-written by a run starting right now, or garbage: PID 0 stands for "unknown"
        with contextlib.suppress(OSError):
            return Holder(0, None, "unknown: the lock file is unreadable", path.stat().st_mtime)
        return None


def _create(path: Path, command: str) -> bool:
    """Create the lock file for this process; False when it exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    me = os.getpid()
    record = {"pid": me, "started": process_start(me), "command": command, "since": time.time()}
    with os.fdopen(fd, "w") as fh:
        fh.write(json.dumps(record) + "\n")
    return True


def _busy(path: Path, holder: Holder) -> UsageError:
    return UsageError(
        f"another release is running in this repository: {holder.describe()} holds {path}",
        hint="wait for it to finish; if that process is not a release, delete the lock file",
    )


def _take_over(path: Path, stale: Holder, command: str) -> bool:
    """Replace the stale lock ``stale``; False when another run got there first."""
    # only one run may take over: the guard is created exclusively, and the lock is
    # re-read under it, so a lock taken over meanwhile is not removed
    guard = path.with_name(NAME + ".takeover")
    try:
        fd = os.open(guard, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        with contextlib.suppress(OSError):
            if time.time() - guard.stat().st_mtime > 30:  # left by a run killed meanwhile
                guard.unlink()
        return False
    os.close(fd)
    try:
        if _read(path) != stale:
            return False
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return _create(path, command)
    finally:
        guard.unlink()


def command_line(argv: Sequence[str]) -> str:
    """The command line recorded in the lock (``release`` and its arguments)."""
    return " ".join(["release", *argv])[:500]


@contextlib.contextmanager
def held(git_dir: Path, command: str, note: Callable[[str], None]) -> Iterator[Path]:
    """Hold the repository's release lock while the block runs; exit 2 when another run has it."""
    path = git_dir / NAME
    for _ in range(5):
        if _create(path, command):
            break
        holder = _read(path)
        if holder is None:
            continue  # released between our two looks
        if is_running(holder):
            raise _busy(path, holder)
        if _take_over(path, holder, command):
            note(
                f"note: took over the lock of {holder.describe()}: that process is gone "
                f"(a release interrupted by a crash or kill; run 'release status' to see its state)"
            )
            break
    else:
        raise _busy(path, _read(path) or Holder(0, None, "unknown", 0.0))
    try:
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            if (_read(path) or Holder(0, None, "", 0)).pid == os.getpid():
                path.unlink()


def stderr_note(line: str) -> None:
    """Print a lock note on stderr."""
    print(line, file=sys.stderr, flush=True)
