"""nox sessions: the same commands on a laptop and in CI. Logic lives in the release package."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nox

# the gate logic is the release package's own (release.noxsupport), shared with the noxfiles
# release init writes; nox runs this file from its own interpreter, so import it from here
sys.path.insert(0, str(Path(__file__).resolve().parent))
from release import noxsupport

nox.options.default_venv_backend = "uv|virtualenv"
# uv installs without compiling bytecode; where PYTHONDONTWRITEBYTECODE is set, every process
# would then compile everything it imports from source, every time
os.environ.setdefault("UV_COMPILE_BYTECODE", "1")
nox.options.sessions = ["lint", "tests"]
nox.options.error_on_missing_interpreters = True


def _release(session: nox.Session, command: str, *default: str) -> None:
    """Install this project and run ``release COMMAND`` with the posargs (or ``default``)."""
    session.install(".")
    session.run("release", command, *(session.posargs or default))


@nox.session
def lint(session: nox.Session) -> None:
    """Lint and type-check: ruff check, ruff format --check, mypy."""
    session.install("-e", ".[lint]")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")
    # the workflows too: no zizmor finding, and valid against GitHub's workflow schema
    session.run("zizmor", "--offline", ".github")
    workflows = sorted(str(p) for p in Path(".github/workflows").glob("*.yml"))
    session.run("check-jsonschema", "--builtin-schema", "vendor.github-workflows", *workflows)


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (pytest; pass pytest options after --)."""
    session.install("-e", ".[test]")
    # pytest caches the modules it rewrites (the plugins': hypothesis is a second of CPU) as
    # bytecode, unless PYTHONDONTWRITEBYTECODE is set; empty, it counts as unset
    env = {"PYTHONDONTWRITEBYTECODE": ""}
    # two workers a core (-n auto's count, unless set): the tests mostly wait on the processes
    # they start (builds, installs, git, the index); with one a core, cores sat idle
    auto = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS") or str(2 * (os.cpu_count() or 1))
    env["PYTEST_XDIST_AUTO_NUM_WORKERS"] = auto
    session.run("pytest", "-n", "auto", *noxsupport.own_posargs(session), env=env)


@nox.session(requires=["lint", "tests"])
def release(session: nox.Session) -> None:
    """Lint, test, then release ship: a rehearsal unless a target is set: nox -s release [-- --part minor]."""
    noxsupport.require_passed(session, ["lint", "tests"])
    session.log("# Shipping: preflight, bump, build, check, upload, verify, push")
    _release(session, "ship")


@nox.session
def bump(session: nox.Session) -> None:
    """Bump this project's version: nox -s bump -- PART|VERSION [--dry-run] [--commit] [--tag]."""
    if not session.posargs:
        session.error("name the part: nox -s bump -- patch [--dry-run] [--commit] [--tag]")
    _release(session, "bump")


@nox.session
def promote(session: nox.Session) -> None:
    """Copy the release verified on TestPyPI to PyPI, byte for byte: nox -s promote [-- --from R --to R]."""
    _release(session, "promote", "--from", "testpypi", "--to", "pypi")


@nox.session(name="github-release")
def github_release(session: nox.Session) -> None:
    """Create or update the GitHub Release of a tag: nox -s github-release [-- --tag TAG]."""
    _release(session, "github-release")


@nox.session(name="build")
def build_dists(session: nox.Session) -> None:
    """Build sdist and wheel from a clean checkout of HEAD: nox -s build [-- --ref TAG]."""
    _release(session, "build")


@nox.session
def check(session: nox.Session) -> None:
    """twine check --strict, and the files in dist/ are this release: nox -s check."""
    _release(session, "check")


@nox.session
def publish(session: nox.Session) -> None:
    """Upload dist/ (skipping files already there): nox -s publish [-- --repository R]."""
    _release(session, "publish")


@nox.session
def verify(session: nox.Session) -> None:
    """Install the release from the index alone and smoke-test it: nox -s verify [-- --dist dist]."""
    _release(session, "verify")


@nox.session(name="serve-index")
def serve_index(session: nox.Session) -> None:
    """Run a local package index (pypiserver) for rehearsals: nox -s serve-index [-- --port N]."""
    _release(session, "serve-index")


@nox.session
def bench(session: nox.Session) -> None:
    """Time release build+publish+verify and the rehearsal against plain tools and uv: nox -s bench."""
    session.install(".")
    session.run("python", "benchmarks/run.py", *session.posargs)
