"""Reused places for fresh virtual environments (verify's and the build's): the same path each run.

uv keeps what it learnt of an interpreter by the interpreter's path. A venv made in a new
temporary directory each time is a new interpreter to it, probed again by every install:
about 90 ms of each verify here. A venv made again at the same path is probed once.

Each place is ``<cache>/releasekit/venvs/<interpreter>/slot-N``, held with an exclusive
``flock`` while in use, so concurrent runs (threads or processes) take different slots; the
interpreter the venvs are made from names a directory of its own, so a path never stands for
two interpreters. It is emptied when taken (what an interrupted run left) and when given
back, so only the empty directory stays. Where there is no such cache directory or no
``flock`` (Windows), a temporary directory serves.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

SLOTS = 8
"""How many places are tried before a temporary directory is used instead."""


def cache_root(environ: Mapping[str, str], python: str = sys.executable) -> Path | None:
    """Where the places for venvs of ``python`` are kept (under ``$XDG_CACHE_HOME`` or ``~/.cache``)."""
    base = environ.get("XDG_CACHE_HOME") or (
        str(Path(environ["HOME"], ".cache")) if environ.get("HOME") else ""
    )
    if not os.path.isabs(base):
        return None
    interpreter = hashlib.sha256(os.fsencode(os.path.realpath(python))).hexdigest()[:16]
    return Path(base, "releasekit", "venvs", interpreter)


def _empty(directory: Path) -> None:
    for entry in list(directory.iterdir()):
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


@contextlib.contextmanager
def place(environ: Mapping[str, str], prefix: str = "release-verify-") -> Iterator[Path]:
    """An empty directory that is the same path from one run to the next, held for the block."""
    with contextlib.ExitStack() as stack:
        held = _take(cache_root(environ), stack)
        if held is None:  # no cache directory, no flock, or every slot in use
            held = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=prefix)))
        yield held


def _take(root: Path | None, stack: contextlib.ExitStack) -> Path | None:
    """Lock the first free slot under ``root`` and empty it; None when none can be had."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return None
    if root is None:
        return None
    for number in range(SLOTS):
        slot = root / f"slot-{number}"
        try:
            slot.mkdir(parents=True, exist_ok=True)
            fd = os.open(slot, os.O_RDONLY)
        except OSError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue  # another run holds it
        stack.callback(os.close, fd)  # closing the descriptor gives the lock back
        stack.callback(_empty, slot)
        _empty(slot)
        return slot
    return None
