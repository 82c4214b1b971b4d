"""releasekit test fixture: poetry-core, pre-release version."""
