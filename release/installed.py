"""What a distribution installed into a virtual environment declares, read from its dist-info.

The same files ``importlib.metadata`` reads (METADATA, RECORD, entry_points.txt), read from
here: a child interpreter that loads importlib.metadata only to print them cost verify a
process and a tenth of a second.
"""

from __future__ import annotations

import csv
import email.parser
import io
import sys
from email.message import Message
from pathlib import Path
from typing import Any

from .dists import normalize
from .errors import StepError


def site_packages(venv: Path) -> Path:
    """The venv's site-packages; it was made with this interpreter, so it is this version's."""
    if sys.platform == "win32":  # pragma: no cover
        return venv / "Lib" / "site-packages"
    return venv / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"


def _dist_info(where: Path, name: str) -> tuple[Path, Message]:
    """The one dist-info directory whose METADATA names ``name``, and that METADATA."""
    found = []
    for directory in sorted(where.glob("*.dist-info")):
        try:
            raw = (directory / "METADATA").read_bytes()
        except OSError:
            continue
        meta = email.parser.BytesParser().parsebytes(raw, headersonly=True)
        if normalize(str(meta.get("Name", ""))) == normalize(name):
            found.append((directory, meta))
    if len(found) != 1:
        what = "no" if not found else f"{len(found)}"
        raise StepError(
            f"verify: the environment has {what} installed metadata for {name} in {where}",
            hint="the release on the index is broken: fix it and release a new version",
        )
    return found[0]


def console_scripts(text: str) -> list[str]:
    """The names in the ``[console_scripts]`` section of an entry_points.txt (pure)."""
    names, section = [], None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
        elif section == "console_scripts" and "=" in line:
            names.append(line.split("=", 1)[0].strip())
    return sorted(names)


def read(venv: Path, name: str) -> dict[str, Any]:
    """``version``, ``files`` (RECORD's paths), ``scripts`` and ``requires`` of ``name``."""
    directory, meta = _dist_info(site_packages(venv), name)
    try:
        record = (directory / "RECORD").read_text(encoding="utf-8")
    except OSError:
        record = ""
    try:
        entry_points = (directory / "entry_points.txt").read_text(encoding="utf-8")
    except OSError:
        entry_points = ""
    return {
        "version": str(meta.get("Version", "")),
        "files": [row[0] for row in csv.reader(io.StringIO(record)) if row],
        "scripts": console_scripts(entry_points),
        "requires": [str(r) for r in meta.get_all("Requires-Dist") or []],
    }
