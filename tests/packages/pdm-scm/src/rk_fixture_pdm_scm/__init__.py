"""releasekit test fixture: its version comes from git tags (pdm-backend scm)."""
