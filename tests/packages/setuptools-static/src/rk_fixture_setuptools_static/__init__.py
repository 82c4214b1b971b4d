"""releasekit test fixture: setuptools, static version."""
