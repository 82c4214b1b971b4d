"""releasekit test fixture: pdm-backend, version from a file."""

# fmt: off
__version__ = '1.2.3'  # rewritten by release bump; single quotes on purpose
# fmt: on
