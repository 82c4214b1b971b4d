"""releasekit test fixture: hatchling, version from __about__.py."""

from .__about__ import __version__

__all__ = ["__version__"]
