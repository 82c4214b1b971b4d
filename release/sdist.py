"""Make an sdist's bytes depend on its contents only, whatever the backend left varying.

setuptools writes the build time into the gzip header and into the mtimes of the files it
generates (``PKG-INFO``, ``setup.cfg``, ``*.egg-info``), plus PAX headers with fractional
mtimes; pdm-backend writes the build time into the gzip header. Rewriting the archive with
fixed metadata makes two builds of one commit byte-identical, so ``promote`` and a resume
that rebuilds can compare sha256 for every backend.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

from .fsutil import write_new


def _member(src: tarfile.TarInfo, epoch: int) -> tarfile.TarInfo:
    """A copy of ``src`` with only what the contents need: name, type, size, link, mode."""
    info = tarfile.TarInfo(src.name)
    info.type = src.type
    info.size = src.size if src.isfile() else 0
    info.linkname = src.linkname
    executable = src.isdir() or bool(src.mode & 0o111)
    info.mode = 0o755 if executable else 0o644
    info.mtime = epoch
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def normalized(data: bytes, epoch: int) -> bytes:
    """The sdist ``data`` rewritten: members sorted by name, fixed times, owners and modes (pure).

    The gzip header carries ``epoch`` and no file name; tar members carry ``epoch`` as mtime,
    uid/gid 0 without names, mode 644 (755 for directories and executables) and no PAX
    headers beyond what a long or non-ASCII name needs.
    """
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as src:
        members = sorted(src.getmembers(), key=lambda m: m.name)
        with (
            gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=epoch, compresslevel=9) as gz,
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as dst,
        ):
            for member in members:
                body = src.extractfile(member) if member.isfile() else None
                dst.addfile(_member(member, epoch), body)
    return out.getvalue()


def normalize(path: Path, epoch: int) -> None:
    """Rewrite the sdist at ``path`` in place (atomically) with :func:`normalized`."""
    write_new(path, normalized(path.read_bytes(), epoch))
