"""How a run reports (JSON, GitHub Actions), read from the environment in the front door.

Apart from ``settings`` so that the front door reads it without loading every setting's
module: a command run by hand starts sooner.
"""

from __future__ import annotations

from collections.abc import Mapping

from .values import frozen


@frozen
class Output:
    """How a run reports: JSON, and GitHub Actions workflow commands and files."""

    json: bool = False
    actions: bool = False
    """``GITHUB_ACTIONS=true``: ::group:: and ::error:: lines, outputs and a step summary."""
    github_output: str | None = None
    step_summary: str | None = None


def output(environ: Mapping[str, str], *, json: bool = False) -> Output:
    """The output settings from the environment (read once, in the front door)."""
    actions = environ.get("GITHUB_ACTIONS", "") == "true"
    return Output(
        json=json,
        actions=actions,
        github_output=(environ.get("GITHUB_OUTPUT") or None) if actions else None,
        step_summary=(environ.get("GITHUB_STEP_SUMMARY") or None) if actions else None,
    )
