"""releasekit test fixture: flit-core, version from the module."""

__version__ = "1.2.3"
