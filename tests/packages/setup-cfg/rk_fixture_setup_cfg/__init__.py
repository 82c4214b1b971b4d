"""releasekit test fixture: setuptools with setup.cfg."""
