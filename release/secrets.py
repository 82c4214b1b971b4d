"""Which environment variables are secrets, and environments without them."""

from __future__ import annotations

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
