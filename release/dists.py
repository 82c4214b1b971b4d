"""Distribution file names: which project and version an sdist or wheel name declares (pure)."""

from __future__ import annotations

from collections.abc import Iterable

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

OTHER_DISTS = (".egg", ".exe", ".msi", ".tar.bz2", ".tgz", ".whl", ".tar.gz", ".zip")
"""Endings of files a simple index page may link besides our sdists and wheels."""


def normalize(name: str) -> str:
    """The PEP 503 normalized project name."""
    return canonicalize_name(name)


def artifact_id(filename: str) -> tuple[str, Version] | None:
    """The normalized name and version a wheel or sdist file name declares, else None."""
    try:
        if filename.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(filename)
            return str(name), version
        if filename.endswith((".tar.gz", ".zip")):
            name, version = parse_sdist_filename(filename)
            return str(name), version
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return None


def files_of(names: Iterable[str], project: str, version: Version) -> list[str]:
    """Those file names that are distributions of ``project`` at ``version``, sorted."""
    wanted = (normalize(project), version)
    return sorted(n for n in names if artifact_id(n) == wanted)


def is_distribution(filename: str) -> bool:
    """Whether a linked file name looks like a distribution of any kind."""
    return artifact_id(filename) is not None or filename.endswith(OTHER_DISTS)
