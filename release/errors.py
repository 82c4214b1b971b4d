"""The exception hierarchy: every error a user can act on carries a hint and an exit status."""

from __future__ import annotations


class ReleaseError(Exception):
    """Base of every error the CLI reports as ``error: ...`` / ``hint: ...``."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(ReleaseError):
    """Bad input, configuration or usage; nothing was changed (exit 2)."""

    exit_code = 2


class ConfigError(UsageError):
    """``pyproject.toml`` or ``[tool.release]`` cannot be read or is invalid."""


class VersionError(UsageError):
    """A version is invalid, or a bump is not allowed from it."""


class SourceError(UsageError):
    """Version sources are missing, unreadable, unwritable or disagree."""


class GitError(ReleaseError):
    """A git operation failed."""


class StepError(ReleaseError):
    """A pipeline step failed (exit 1); the message names the step."""


class Interrupted(ReleaseError):
    """Ctrl-C or SIGTERM stopped a step; the message says where and how to go on (exit 130)."""

    exit_code = 130


class Transient(ReleaseError):
    """Worth another try: an index or GitHub answered 5xx, or could not be reached (exit 1).

    ``retry.bounded`` retries exactly these; anything else stops it at once.
    """
