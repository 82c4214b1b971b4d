"""releasekit: release tasks for Python packages."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _dist_version

from .bump import BumpPlan, Outcome, State, execute, plan, read_state
from .config import Config, load
from .errors import (
    ConfigError,
    GitError,
    ReleaseError,
    SourceError,
    StepError,
    UsageError,
    VersionError,
)
from .version import PARTS, next_version
from .version import bump as bump_version

try:
    __version__ = _dist_version("releasekit")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "PARTS",
    "BumpPlan",
    "Config",
    "ConfigError",
    "GitError",
    "Outcome",
    "ReleaseError",
    "SourceError",
    "State",
    "StepError",
    "UsageError",
    "VersionError",
    "bump_version",
    "execute",
    "load",
    "next_version",
    "plan",
    "read_state",
]
