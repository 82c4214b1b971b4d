"""releasekit test fixture: hatchling, static version."""
