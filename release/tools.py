"""Locating the helper programs we run."""

from __future__ import annotations


def which(name: str) -> str | None:
    """``name`` on PATH; for uv, also the binary that the ``uv`` package installed beside us."""
    import shutil  # only when a tool is looked for: shutil loads bz2 and lzma

    found = shutil.which(name)
    if found is None and name == "uv":
        try:
            from uv import find_uv_bin
        except ImportError:
            return None
        try:
            return str(find_uv_bin())
        except FileNotFoundError:
            return None
    return found
