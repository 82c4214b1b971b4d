"""releasekit test fixture: setuptools-scm, version from git tags."""
