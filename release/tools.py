"""Locating the helper programs we run."""

from __future__ import annotations

import shutil


def which(name: str) -> str | None:
    """``name`` on PATH; for uv, also the binary that the ``uv`` package installed beside us."""
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
