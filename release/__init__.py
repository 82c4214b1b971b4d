"""releasekit: release tasks for Python packages.

The public API is imported on first use, so that ``release --help`` and each command start
quickly and load only what they need.
"""

from __future__ import annotations

import importlib
from typing import Any

_API = {
    "PARTS": "version",
    "bump_version": ("version", "bump"),
    "next_version": "version",
    "BumpPlan": "bump",
    "Outcome": "bump",
    "State": "bump",
    "execute": "bump",
    "plan": "bump",
    "read_state": "bump",
    "Config": "config",
    "load": "config",
    "ConfigError": "errors",
    "GitError": "errors",
    "ReleaseError": "errors",
    "SourceError": "errors",
    "StepError": "errors",
    "UsageError": "errors",
    "VersionError": "errors",
    "Options": "pipeline",
    "Release": "model",
    "ship": "pipeline",
    "survey": "pipeline",
    "rehearse": "rehearsal",
}

__all__ = sorted([*_API, "__version__"])


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("releasekit")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            return "0+unknown"
    where = _API.get(name)
    if where is None:
        raise AttributeError(f"module 'release' has no attribute {name!r}")
    module, attr = where if isinstance(where, tuple) else (where, name)
    return getattr(importlib.import_module(f".{module}", __name__), attr)
