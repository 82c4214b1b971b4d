"""Distribution file names: which project and version an sdist or wheel name declares (pure).

The rules are ``packaging.utils``' (its ``parse_wheel_filename`` and ``parse_sdist_filename``,
as of packaging 26.3), read here without it: ``packaging.utils`` imports ``packaging.tags``,
and with it logging, platform and sysconfig, about 55 ms. ``build``, ``status`` and the
``verify`` of a release without dependencies no longer load them (``publish`` still does,
through ``packaging.metadata``, which validates what it uploads).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from packaging.version import InvalidVersion, Version

OTHER_DISTS = (".egg", ".exe", ".msi", ".tar.bz2", ".tgz", ".whl", ".tar.gz", ".zip")
"""Endings of files a simple index page may link besides our sdists and wheels."""


_SEPARATORS = re.compile(r"[-_.]+")
_WHEEL_NAME = re.compile(r"[\w.]+")
_BUILD_TAG = re.compile(r"\d+.*", re.ASCII)


def normalize(name: str) -> str:
    """The PEP 503 normalized project name."""
    return _SEPARATORS.sub("-", name).lower()


def _wheel(filename: str) -> tuple[str, Version] | None:
    parts = filename[: -len(".whl")].split("-")
    if len(parts) not in (5, 6):
        return None  # name-version[-build]-python-abi-platform
    name = parts[0]
    if "__" in name or _WHEEL_NAME.fullmatch(name) is None:
        return None
    if len(parts) == 6 and _BUILD_TAG.fullmatch(parts[2]) is None:
        return None
    tags = [component.split(".") for component in parts[-3:]]  # each may be a compressed set
    if any("" in members for members in tags) or not all(i.isidentifier() for i in tags[0]):
        return None
    return _versioned(name, parts[1])


def _sdist(filename: str) -> tuple[str, Version] | None:
    stem = filename[: -len(".tar.gz")] if filename.endswith(".tar.gz") else filename[: -len(".zip")]
    name, dash, version = stem.rpartition("-")
    return _versioned(name, version) if dash and name else None


def _versioned(name: str, version: str) -> tuple[str, Version] | None:
    try:
        return normalize(name), Version(version)
    except InvalidVersion:
        return None


def artifact_id(filename: str) -> tuple[str, Version] | None:
    """The normalized name and version a wheel or sdist file name declares, else None."""
    if filename.endswith(".whl"):
        return _wheel(filename)
    if filename.endswith((".tar.gz", ".zip")):
        return _sdist(filename)
    return None


def files_of(names: Iterable[str], project: str, version: Version) -> list[str]:
    """Those file names that are distributions of ``project`` at ``version``, sorted."""
    wanted = (normalize(project), version)
    return sorted(n for n in names if artifact_id(n) == wanted)


def is_distribution(filename: str) -> bool:
    """Whether a linked file name looks like a distribution of any kind."""
    return artifact_id(filename) is not None or filename.endswith(OTHER_DISTS)
