"""releasekit test fixture: setuptools, version from an attribute."""

# 1.2.3 also appears in this comment; only the assignment below is the version.
# fmt: off
__version__ = '1.2.3'  # single quotes on purpose: the bump must keep them
# fmt: on
