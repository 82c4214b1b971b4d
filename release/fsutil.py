"""Atomic writes of several files at once: all of them or none."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path

from .errors import SourceError


def unwritable(path: Path) -> str | None:
    """Why ``path`` must not be rewritten, or None when it may be."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return "does not exist"
    if not stat.S_ISREG(st.st_mode):
        return "is not a regular file"
    # root may write anything; a file marked read-only is still a "do not touch" to us
    if not st.st_mode & stat.S_IWUSR or not os.access(path, os.W_OK):
        return "is read-only"
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return "is in a directory we cannot write"
    return None


def _write_temp(path: Path, data: bytes) -> Path:
    import tempfile  # only when writing: a dry run never loads it

    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".releasekit-tmp", dir=path.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def unwritable_files(paths: Iterable[Path]) -> str | None:
    """Why the bump could not rewrite ``paths`` (read-only, missing), or None when it could."""
    problems = [f"{p.name} {why}" for p in paths if (why := unwritable(p)) is not None]
    return "cannot rewrite " + "; ".join(problems) if problems else None


def write_atomic(files: Mapping[Path, bytes]) -> None:
    """Replace every file in ``files`` with its new bytes, or leave every one as it was.

    Each file is written to a temporary file beside it first; only when all are written
    are they renamed into place. A rename that fails restores the files already replaced.
    A symbolic link is written through: its target gets the new bytes, the link stays.
    """
    files = {Path(os.path.realpath(p)): data for p, data in files.items()}
    problems = [f"{p} {why}" for p in files if (why := unwritable(p)) is not None]
    if problems:
        raise SourceError(
            "cannot rewrite " + "; ".join(problems) + " (no file was changed)",
            hint="make the files writable (chmod u+w) or remove them from the version sources",
        )
    originals = {p: p.read_bytes() for p in files}
    temps: dict[Path, Path] = {}
    try:
        for path, data in files.items():
            temps[path] = _write_temp(path, data)
    except BaseException:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
        raise
    replaced: list[Path] = []
    try:
        for path, tmp in temps.items():
            os.replace(tmp, path)
            replaced.append(path)
    except BaseException:
        for path in replaced:
            os.replace(_write_temp(path, originals[path]), path)
        for path, tmp in temps.items():
            if path not in replaced:
                tmp.unlink(missing_ok=True)
        raise


def write_new(path: Path, data: bytes) -> None:
    """Write one file atomically (created if missing): readers see the old bytes or the new."""
    os.replace(_write_temp(path, data), path)
