"""What noxfiles call: releasekit's own and every one ``release init`` writes.

The noxfile runs in nox's own interpreter, so this module imports only the standard library
(and reads pyproject.toml through :mod:`release.config`); nox is used through the session.

- :func:`own_posargs`: posargs reach only the session they are meant for. ``nox -s release --
  --part patch`` runs the required ``tests`` session first, and pytest must not get
  ``--part patch``.
- :func:`require_passed`: nox counts a *skipped* prerequisite as done; a release must not.
- :func:`releasekit_install_args`: the exact releasekit that wrote the noxfile, or what
  ``RELEASEKIT_REQUIREMENT`` says.
- :func:`install_args_for_tests` and :func:`run_tests`: the project's declared test dependencies,
  and the gate for a project without tests.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from .errors import ReleaseError

REQUIREMENT_VARIABLE = "RELEASEKIT_REQUIREMENT"
PIPELINES = ("release", "publish", "publish-dev", "promote")
"""Sessions whose posargs are their own: other sessions get none when one of these runs."""
TEST_NAMES = ("test", "tests", "testing", "dev")
"""The extras and dependency groups that hold a project's test dependencies."""
NO_TESTS = 5
"""pytest's exit status when it collected no tests."""


class Session(Protocol):
    """The part of ``nox.Session`` used here."""

    @property
    def name(self) -> str: ...  # pragma: no cover

    @property
    def posargs(self) -> list[str]: ...  # pragma: no cover

    def install(self, *args: str, **kwargs: Any) -> None: ...  # pragma: no cover

    def run(self, *args: str, **kwargs: Any) -> Any: ...  # pragma: no cover

    def log(self, *args: Any, **kwargs: Any) -> None: ...  # pragma: no cover

    def warn(self, *args: Any, **kwargs: Any) -> None: ...  # pragma: no cover

    def error(self, *args: Any) -> Any: ...  # pragma: no cover


def _runner(session: Session) -> Any:
    return getattr(session, "_runner", None)


def requested_sessions(session: Session) -> list[str]:
    """The sessions named on the command line (``-s``/``-e``/NOXSESSION), or []."""
    config = getattr(_runner(session), "global_config", None)
    return list(getattr(config, "sessions", None) or [])


def own_posargs(session: Session, pipelines: Sequence[str] = PIPELINES) -> list[str]:
    """Posargs meant for this session: none when they were given for a release pipeline."""
    if session.name in pipelines:
        return list(session.posargs)
    requested = requested_sessions(session)
    return [] if any(name in pipelines for name in requested) else list(session.posargs)


def _status_of(session: Session, name: str) -> list[str]:
    """The status of every run of session ``name`` in this nox run (parametrised: several)."""
    manifest = getattr(_runner(session), "manifest", None)
    # looked up, not iterated: iterating nox's manifest consumes its queue
    by_signature = getattr(manifest, "all_sessions_by_signature", None) or {}
    by_name = getattr(manifest, "parametrized_sessions_by_name", None) or {}
    runs = [by_signature[name]] if name in by_signature else list(by_name.get(name, []))
    statuses = []
    for runner in runs:
        result = getattr(runner, "result", None)
        statuses.append(result.status.name.lower() if result is not None else "not run")
    return statuses


def require_passed(session: Session, names: Iterable[str]) -> None:
    """Stop ``session`` unless every session in ``names`` ran in this nox run and succeeded."""
    missing = []
    for name in names:
        statuses = _status_of(session, name)
        if not statuses or any(status != "success" for status in statuses):
            missing.append(f"{name} ({', '.join(statuses) or 'not run'})")
    if missing:
        session.error(
            f"{', '.join(missing)} did not pass (skipped?); refusing to run {session.name}"
        )


def releasekit_install_args(
    version: str, environ: Mapping[str, str] | None = None, cwd: Path | None = None
) -> list[str]:
    """What a session installs to get releasekit: ``releasekit==VERSION`` unless overridden.

    ``RELEASEKIT_REQUIREMENT`` may be a version specifier (``>=0.2``), a whole requirement
    (``releasekit>=0.2``, a URL), or a path to a wheel, an sdist or a source tree.
    """
    env = os.environ if environ is None else environ
    value = env.get(REQUIREMENT_VARIABLE, "").strip()
    if not value:
        pinned = re.fullmatch(r"\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?", version)
        return [f"releasekit=={version}" if pinned else "releasekit"]
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = (cwd or Path.cwd()) / path
    if path.exists():
        return [str(path.resolve())]
    if value[0] in "<>=!~":
        return [f"releasekit{value}"]
    return [value]


def install_releasekit(session: Session, version: str) -> None:
    """Install releasekit into ``session`` (see :func:`releasekit_install_args`)."""
    session.install(*releasekit_install_args(version))


# --- the project's test dependencies ---


def _dependency_group(
    groups: Mapping[str, Any], name: str, seen: tuple[str, ...] = ()
) -> list[str]:
    """The requirements of PEP 735 group ``name``, with ``{include-group = ...}`` expanded."""
    if name in seen:
        raise ReleaseError(f"[dependency-groups] {name} includes itself")
    requirements: list[str] = []
    for item in groups.get(name, []):
        if isinstance(item, str):
            requirements.append(item)
        elif isinstance(item, dict) and "include-group" in item:
            requirements += _dependency_group(groups, str(item["include-group"]), (*seen, name))
    return requirements


def _poetry_constraint(name: str, spec: Any) -> str | None:
    """A PEP 508 requirement for one Poetry dependency (``None``: python itself)."""
    if name.lower() == "python":
        return None
    extras = ""
    if isinstance(spec, dict):
        if spec.get("extras"):
            extras = "[" + ",".join(spec["extras"]) + "]"
        spec = spec.get("version", "*")
    if isinstance(spec, list):  # several constraints by marker: take the package alone
        spec = "*"
    spec = str(spec).strip()
    if spec in ("", "*"):
        return f"{name}{extras}"
    if spec[0] in "^~" and spec[:2] != "~=":
        parts = [int(p) for p in re.findall(r"\d+", spec)[:3]]
        if spec[0] == "^":
            cut = next((i for i, p in enumerate(parts) if p), len(parts) - 1)
        else:
            cut = 0 if len(parts) == 1 else 1
        upper = [*parts[:cut], parts[cut] + 1]
        low = ".".join(map(str, parts))
        return f"{name}{extras}>={low},<{'.'.join(map(str, upper))}"
    if spec[0].isdigit():
        spec = f"=={spec}"
    return f"{name}{extras}{spec}"


def _poetry_group(poetry: Mapping[str, Any], name: str) -> list[str]:
    table = poetry.get("group", {}).get(name, {}).get("dependencies", {})
    if name == "dev" and not table:
        table = poetry.get("dev-dependencies", {})  # Poetry < 1.2
    return [r for n, s in table.items() if (r := _poetry_constraint(n, s)) is not None]


def install_args_for_tests(project: Path) -> list[str]:
    """What the tests session installs: the project, its declared test dependencies, pytest.

    ``[tool.release] test-requirements`` overrides the choice; else every extra,
    ``[dependency-groups]`` group and Poetry group named test, tests, testing or dev. At a
    workspace root that is no package itself, every member instead of ``.``.
    """
    from .config import load

    cfg = load(project)
    if cfg.test_requirements is not None:
        return [".", *cfg.test_requirements]
    data = cfg.pyproject
    extras = data.get("project", {}).get("optional-dependencies", {})
    chosen = [name for name in TEST_NAMES if name in extras]
    args = [f".[{','.join(chosen)}]" if chosen else "."]
    if "project" not in data:
        args = workspace_members(project) or args
    groups = data.get("dependency-groups", {})
    poetry = data.get("tool", {}).get("poetry", {})
    for name in TEST_NAMES:
        args += _dependency_group(groups, name)
        args += _poetry_group(poetry, name)
    if not any(re.match(r"pytest\b(?![-_])", a, re.I) for a in args[1:]):
        args.append("pytest")
    return args


def workspace_members(project: Path) -> list[str]:
    """At a workspace root that is no package itself: every member's directory, to install."""
    from .workspace import layout

    found = layout(project)
    if found is None:
        return []
    return [f"./{d}" for d in found.directories if d != "."]


def collected_tests(session: Session, args: Sequence[str]) -> int:
    """How many tests pytest collects with ``args`` (0: none), without running them."""
    out = session.run(
        "pytest", "--collect-only", "-q", *args, silent=True, success_codes=[0, NO_TESTS]
    )
    text = str(out)
    if match := re.search(r"(\d+) tests? collected", text):
        return int(match.group(1))
    return sum(1 for line in text.splitlines() if "::" in line)


def run_tests(session: Session, project: Path | None = None) -> None:
    """Install the project's test dependencies and run pytest; no tests: warn, or fail."""
    from .config import load

    root = project or Path.cwd()
    try:
        require = load(root).require_tests
        session.install(*install_args_for_tests(root))
    except ReleaseError as exc:
        session.error(exc.message)
    args = own_posargs(session)
    if collected_tests(session, args) == 0:
        if require:
            session.error(
                "pytest collected no tests, and [tool.release] require-tests = true: "
                "add tests, or set require-tests = false"
            )
        session.warn(
            "WARNING: pytest collected no tests; the release gate passes without them "
            "(set [tool.release] require-tests = true to refuse this)"
        )
        return
    session.run("pytest", *args)


def run_lint(session: Session, project: Path | None = None) -> None:
    """The project's own linters: pre-commit's hooks if configured, else ruff check."""
    root = project or Path.cwd()
    if (root / ".pre-commit-config.yaml").is_file():
        session.install("pre-commit")
        session.run("pre-commit", "run", "--all-files", "--show-diff-on-failure")
    else:
        session.install("ruff")
        session.run("ruff", "check", ".")


def has_lint(project: Path, pyproject: Mapping[str, Any]) -> bool:
    """Whether the project has ruff or pre-commit configuration (so a ``lint`` session)."""
    if "ruff" in pyproject.get("tool", {}):
        return True
    names = ("ruff.toml", ".ruff.toml", ".pre-commit-config.yaml")
    return any((project / name).is_file() for name in names)


def require_release_ref(session: Session, environ: Mapping[str, str] | None = None) -> None:
    """In GitHub Actions, stop unless the run is on a tag: a branch has no release to publish."""
    env = os.environ if environ is None else environ
    if env.get("GITHUB_ACTIONS") != "true":
        return
    ref = env.get("GITHUB_REF", "")
    if ref.startswith("refs/tags/"):
        return
    event = env.get("GITHUB_EVENT_NAME", "?")
    session.error(
        f"nothing to publish: this {event} run is on {ref or 'no ref'}, not on a release tag; "
        "run the workflow again and choose the tag under 'Use workflow from'"
    )
