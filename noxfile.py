"""nox sessions: the same commands on a laptop and in CI. Logic lives in the release package."""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "tests"]
nox.options.error_on_missing_interpreters = True


@nox.session
def lint(session: nox.Session) -> None:
    """Lint and type-check: ruff check, ruff format --check, mypy."""
    session.install("-e", ".[lint]")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (pytest; pass pytest options after --)."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session
def bump(session: nox.Session) -> None:
    """Bump this project's version: nox -s bump -- PART|VERSION [--dry-run] [--commit] [--tag]."""
    if not session.posargs:
        session.error("name the part: nox -s bump -- patch [--dry-run] [--commit] [--tag]")
    session.install(".")
    session.run("release", "bump", *session.posargs)
