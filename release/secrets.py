"""Which environment variables are secrets, and the environment child processes start from.

Below the front door, this is the one module that reads ``os.environ``: a caller that was
handed the run's environment (``Settings.environ``) passes it in, and only one that was
handed none gets this process's own.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

SECRET_VARS = (
    "TWINE_PASSWORD",
    "TWINE_USERNAME",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "GITHUB_TOKEN",
    "GH_TOKEN",
)
"""Never handed to processes that do not upload: a build backend or a package under test."""


def scrubbed_env(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` without upload credentials or tokens (pure)."""
    return {k: v for k, v in environ.items() if k not in SECRET_VARS}


def inherited(environ: Mapping[str, str] | None = None) -> Mapping[str, str]:
    """``environ``, or this process's environment when the caller was handed none."""
    return os.environ if environ is None else environ


def child_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a child process starts from: ``inherited(environ)`` without secrets."""
    return scrubbed_env(inherited(environ))
