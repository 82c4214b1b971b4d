"""``release verify``: install the release from the index alone into a fresh venv, and use it.

"From the index alone" must hold on machines whose pip or uv configuration adds indexes or
find-links: the installer runs with every ``PIP_*``/``UV_*`` variable removed, pip with
``--isolated`` and ``PIP_CONFIG_FILE`` set to the null device (which makes pip skip its
global, user and site files), uv with ``--no-config``, and both with an explicit index.
The release itself is installed with ``--no-deps --require-hashes`` against the hashes the
index lists, so the file installed is one the index serves; its dependencies come next, from
the index plus the configured extra index. The venv is made at the same path each run
(``slots``), so uv's cache knows its interpreter. uv's cache may also answer for the
release's index page and file: the hashes pin the file to one the index lists, so a copy from
the cache is byte for byte what the index serves, and when the cached page is out of date (a
static index's ``max-age``) the install fails and is made again with the page read afresh
(``--refresh-package``).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.version import InvalidVersion, Version

from . import index, proc, slots, tools
from .errors import StepError
from .installed import read as read_installed
from .installer import (
    Installer,
    choose,
    install_command,
    isolated_env,
    venv_command,
    venv_python,
    venv_script,
)
from .retry import Backoff, GaveUp, retry
from .secrets import inherited
from .values import frozen

if TYPE_CHECKING:
    from .model import Release

Echo = Callable[[str], None]
STEP_TIMEOUT = 600.0
SCRIPT_TIMEOUT = 60.0

_IMPORT = "import importlib, sys; importlib.import_module(sys.argv[1])"


def hashed_requirement(name: str, version: Version, hashes: list[str]) -> str:
    """A requirements-file line pinning ``name==version`` to the given sha256 hashes (pure)."""
    return " ".join([f"{name}=={version}", *(f"--hash=sha256:{h}" for h in sorted(hashes))])


def runtime_requirements(requires: list[str]) -> list[str]:
    """The dependencies a plain install needs: extras' and other platforms' dropped (pure)."""
    if not requires:  # then packaging's requirement parser (and its regexes) is not loaded
        return []
    from packaging.requirements import InvalidRequirement, Requirement

    out = []
    for line in requires:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            raise StepError(f"the installed metadata has an invalid requirement {line!r}") from None
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        req.marker = None
        out.append(str(req))
    return out


def top_level_modules(files: list[str]) -> list[str]:
    """The importable top-level names among a distribution's RECORD paths (pure).

    ``pkg/__init__.py`` and ``ns/sub/mod.py`` give ``pkg`` and ``ns``; ``mod.py`` and
    ``_ext.cpython-311-x86_64-linux-gnu.so`` give ``mod`` and ``_ext``; metadata
    directories, scripts outside site-packages and ``.pth`` files give nothing.
    """
    found: set[str] = set()
    for path in files:
        parts = path.replace("\\", "/").split("/")
        first = parts[0]
        if first in ("..", "", "__pycache__") or first.endswith(
            (".dist-info", ".data", ".egg-info")
        ):
            continue
        if len(parts) == 1:
            stem, dot, _ = first.partition(".")
            if not dot or not first.endswith((".py", ".so", ".pyd")):
                continue
            name = stem
        else:
            name = first
        if name.isidentifier() and not name.startswith("__editable__"):
            found.add(name)
    return sorted(found)


def _run(
    what: str, cmd: list[str], env: Mapping[str, str], cwd: Path, timeout: float = STEP_TIMEOUT
) -> str:
    """Run one verify step; a failure is a StepError carrying the step's output."""
    return _together([(what, cmd, timeout)], env, cwd)[0]


def _together(
    steps: Sequence[tuple[str, list[str], float]],
    env: Mapping[str, str],
    cwd: Path,
    passed: Callable[[str], None] = lambda what: None,
) -> list[str]:
    """Run verify steps at the same time, then judge each in order: the first failure is raised.

    ``passed(what)`` is called for each step that passed, in order, as it is judged. Steps
    after a failed one have run too; those still running are ended.
    """
    started: list[subprocess.Popen[str] | OSError] = []
    try:
        for _, cmd, _ in steps:
            try:
                started.append(proc.start(cmd, env=env, cwd=cwd))
            except OSError as exc:  # said in its turn: an earlier failure comes first
                started.append(exc)
        outputs = []
        for child, (what, _, timeout) in zip(started, steps, strict=True):
            if isinstance(child, OSError):
                raise StepError(f"verify: {what} could not start: {child}") from None
            outputs.append(_finished(child, what, timeout))
            passed(what)
        return outputs
    finally:
        proc.ended([c for c in started if not isinstance(c, OSError)])


def _finished(child: subprocess.Popen[str], what: str, timeout: float) -> str:
    try:
        done = proc.finish(child, timeout)
    except subprocess.TimeoutExpired:
        raise StepError(f"verify: {what} did not finish within {timeout:g}s") from None
    if done.returncode != 0:
        raise StepError(
            f"verify: {what} failed (exit status {done.returncode}):\n"
            + proc.tail(done.stdout + "\n" + done.stderr, 40),
            hint="the release on the index is broken: fix it and release a new version",
        )
    return done.stdout


def _dependency_error(exc: StepError, name: str, deps: list[str], where: str) -> StepError:
    """Name the dependencies the installer could not get, and the setting that fixes it."""
    said = exc.message.lower()
    named = [d for d in deps if _dist_name(d) in said.replace("_", "-")] or deps
    return StepError(
        f"verify: cannot install {', '.join(named)}, needed by {name}, from {where}: "
        "no index the release may use has it ([tool.release] extra-index-url names more)"
        f"\n{exc.message}",
        hint="make the index have it, or set [tool.release] extra-index-url (or "
        "RELEASE_EXTRA_INDEX_URL) to the index that has it",
    )


def _dist_name(requirement: str) -> str:
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return Requirement(requirement).name.lower().replace("_", "-")
    except InvalidRequirement:
        return requirement.lower()


class _NotListed(Exception):
    """The index does not list (all of) the release yet."""


@frozen
class Verified:
    """What verify found: the files checked and the modules and scripts it ran."""

    files: tuple[str, ...]
    modules: tuple[str, ...]
    scripts: tuple[str, ...]
    installer: str


@frozen
class Where:
    """The index verify installs from, the extra one for dependencies, how long it waits."""

    index_url: str
    extra_index_url: str | None
    backoff: Backoff


def wait_for_release(
    release: Release, where: Where, expected: list[str], echo: Echo
) -> dict[str, index.IndexFile]:
    """Poll until the index lists ``release`` (and every file in ``expected``)."""
    index_url, name, version, backoff = (
        where.index_url,
        release.name,
        release.version,
        where.backoff,
    )

    def look() -> dict[str, index.IndexFile]:
        files = index.read_project(index_url, name)
        listed = index.files_of(files, name, version)
        missing = [f for f in expected if f not in listed]
        if not listed or missing:
            raise _NotListed(", ".join(missing) if missing else f"{name} {version}")
        return {f: files[f] for f in listed}

    def say(exc: Exception, wait: float) -> None:
        what = "not listed yet" if isinstance(exc, _NotListed) else str(exc)
        echo(f"  {name} {version}: {what}; looking again in {wait:.1f}s")

    try:
        return retry(
            look,
            transient=lambda e: isinstance(e, (_NotListed, index.Unavailable)),
            backoff=backoff,
            on_retry=say,
        )
    except GaveUp as exc:
        what = f"does not list {exc.last}" if isinstance(exc.last, _NotListed) else str(exc.last)
        raise StepError(
            f"verify: {index_url} {what} after {exc.elapsed:.0f}s",
            hint="was it uploaded (release publish)? RELEASE_VERIFY_TIMEOUT sets how long to wait",
        ) from None


def check_hashes(
    listed: dict[str, index.IndexFile], local: dict[str, str], echo: Echo
) -> list[str]:
    """Download every listed file; its sha256 must match the index's and the local artifact's."""
    problems = []
    for filename, entry in sorted(listed.items()):
        served = index.sha256_bytes(index.download(entry.url))
        if entry.sha256 is not None and served != entry.sha256:
            problems.append(
                f"{filename}: the index lists sha256 {entry.sha256} but serves {served}"
            )
        if filename in local and served != local[filename]:
            problems.append(
                f"{filename}: the index serves sha256 {served}, the local file is {local[filename]}"
            )
    if problems:
        raise StepError(
            "verify: the files on the index are not the ones built:\n  " + "\n  ".join(problems),
            hint="do not announce this release; find out what uploaded those files",
        )
    if local:
        echo(f"  sha256 of {len(local)} file(s) on the index match the local artifacts")
    else:
        echo(f"  sha256 of {len(listed)} file(s) served match what the index lists")
    return sorted(listed)


@frozen
class Venv:
    """A fresh virtual environment, and how to run commands in it alone."""

    installer: Installer
    path: Path
    python: Path
    env: Mapping[str, str]
    work: Path

    def run(self, what: str, cmd: list[str], timeout: float = STEP_TIMEOUT) -> str:
        """Run one command of the check in the venv's isolated environment."""
        return _run(what, cmd, self.env, self.work, timeout)

    def run_together(
        self, steps: Sequence[tuple[str, list[str], float]], passed: Callable[[str], None]
    ) -> list[str]:
        """Run commands of the check at the same time (what, command, timeout each)."""
        return _together(steps, self.env, self.work, passed)


def fresh_venv(installer: Installer, tmp: Path, environ: Mapping[str, str]) -> Venv:
    """A fresh virtual environment in ``tmp``, the installers' temporary files in there too."""
    for sub in ("work", "tmp"):
        (tmp / sub).mkdir()
    # the installers' temporary files go with this directory, even after an interrupt
    env = {**isolated_env(environ), "TMPDIR": str(tmp / "tmp")}
    path = tmp / "venv"
    venv = Venv(installer, path, venv_python(path), env, tmp / "work")
    venv.run("creating a virtual environment", venv_command(installer, path))
    return venv


def verify(
    release: Release,
    where: Where,
    *,
    local: Sequence[Path] = (),
    echo: Echo = print,
    environ: Mapping[str, str] | None = None,
) -> Verified:
    """Wait for the release on the index, check its files, install it alone and use it."""
    environ = inherited(environ)
    installer = choose(environ, tools.which)
    local_hashes = {p.name: index.sha256_file(p) for p in local}
    echo(f"verify: {release} from {where.index_url}")
    listed = wait_for_release(release, where, sorted(local_hashes), echo)
    echo(f"  listed: {', '.join(sorted(listed))}")
    files = check_hashes(listed, local_hashes, echo)
    with slots.place(environ) as tmp:  # the same path each run: uv knows its interpreter
        venv = fresh_venv(installer, tmp, environ)
        hashes = [e.sha256 for e in listed.values() if e.sha256]
        info = _install(venv, release, where, hashes, Path(tmp, "requirements.txt"), echo)
        modules, scripts = _use(venv, info, echo)
    return Verified(tuple(files), tuple(modules), tuple(scripts), installer.kind)


def _install(
    venv: Venv, release: Release, where: Where, hashes: list[str], reqfile: Path, echo: Echo
) -> dict[str, Any]:
    """Install the release alone (by hash), check its version, then its dependencies."""
    name, version, index_url = release.name, release.version, where.index_url
    reqfile.write_text(hashed_requirement(name, version, hashes) + "\n")
    args = ["--no-deps", "--require-hashes", "-r", str(reqfile)]
    what = f"installing {name}=={version} from {index_url} alone"
    try:
        venv.run(what, install_command(venv.installer, venv.python, args, index_url))
    except StepError:
        if venv.installer.uv is None:
            raise
        echo(f"  {name} {version} not installed from uv's copy of the index; reading it again")
        venv.run(
            what, install_command(venv.installer, venv.python, args, index_url, refresh=(name,))
        )
    info = read_installed(venv.path, name)
    try:
        installed = Version(info["version"])
    except InvalidVersion:
        installed = None
    if installed != version:
        raise StepError(f"verify: asked for {release.pin}, the environment has {info['version']}")
    kind = venv.installer.kind
    echo(f"  installed {name} {installed} into a fresh virtual environment ({kind})")
    deps = runtime_requirements(list(info["requires"]))
    if deps:
        extra = where.extra_index_url
        there = index_url + (f" and {extra}" if extra else "")
        try:
            venv.run(
                f"installing the dependencies ({', '.join(deps)}) from {there}",
                install_command(venv.installer, venv.python, deps, index_url, extra),
            )
        except StepError as exc:
            raise _dependency_error(exc, name, deps, there) from None
        echo(f"  dependencies installed: {', '.join(deps)}")
    return info


USE_AT_ONCE = 4
"""How many of the import checks and console scripts run at the same time."""


def _use(venv: Venv, info: Mapping[str, Any], echo: Echo) -> tuple[list[str], list[str]]:
    """Import every top-level module and run every console script with ``--help``.

    They run a few at a time, each in a process of its own, and are judged in this order:
    each is said to pass in turn, and the first failure is the one reported.
    """
    modules, scripts = top_level_modules(list(info["files"])), list(info["scripts"])
    checks = [
        (f"import {m}", [str(venv.python), "-I", "-c", _IMPORT, m], STEP_TIMEOUT) for m in modules
    ] + [
        (f"{s} --help", [str(venv_script(venv.path, s)), "--help"], SCRIPT_TIMEOUT) for s in scripts
    ]
    for at in range(0, len(checks), USE_AT_ONCE):
        venv.run_together(checks[at : at + USE_AT_ONCE], lambda what: echo(f"  {what}: ok"))
    if not checks:
        echo("  nothing to import or run: the distribution has no modules or console scripts")
    return modules, scripts
