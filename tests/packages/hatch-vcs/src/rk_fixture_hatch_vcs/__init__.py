"""releasekit test fixture: its version comes from git tags (hatch-vcs)."""
