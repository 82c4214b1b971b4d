"""Verify a wave of a workspace release in one fresh environment, each package on its own terms.

The packages of one wave never require each other (see ``workspace_graph.waves``), so one
environment can hold them all. For each package, as ``verify`` does: the index must list its
files, served with the sha256 of the local artifacts. Then one fresh virtual environment, and
one installer call that installs every package of the wave by hash from the index alone
(``--no-deps --require-hashes``); one call for the union of their runtime dependencies, from
the target index (and the extra index): siblings released earlier come from the target
index, never from the checkout. One process reads every distribution's metadata.

Each package is then checked apart, a few at once: its version, an import of each of its
top-level modules and ``--help`` of each console script, each in a process of its own in which
the modules of every distribution the package would not have alone are hidden (a module it
imports without requiring it fails as it would in an environment of its own). The index
listings are read a few at once too. When the wave cannot share one
environment (its dependencies do not install together, two distributions install the same
file, the installer refuses), every package of the wave is verified alone by ``verify``, so
that a failure names its package.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from . import index, slots, tools
from . import installer as installing
from . import verify as single
from .dists import normalize
from .errors import StepError
from .model import Release
from .secrets import inherited
from .values import frozen

Echo = Callable[[str], None]
T = TypeVar("T")
R = TypeVar("R")
WORKERS = 4
"""Packages of a wave whose index listing, or whose checks, run at the same time."""

_INSPECT = """
import json
from importlib import metadata
print(json.dumps([{
    "name": d.metadata["Name"],
    "version": d.version,
    "files": [str(f) for f in (d.files or [])],
    "scripts": sorted(ep.name for ep in d.entry_points if ep.group == "console_scripts"),
    "requires": d.requires or [],
} for d in metadata.distributions()]))
"""

_HIDE = """
import importlib, json, sys
hidden = frozenset(json.loads(sys.argv[1]))
class Hidden:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.partition(".")[0] in hidden:
            raise ModuleNotFoundError(
                f"No module named {name!r} (installed here only for another package)", name=name
            )
        return None
sys.meta_path.insert(0, Hidden)
"""
_IMPORT = _HIDE + "importlib.import_module(sys.argv[2])\n"
_SCRIPT = _HIDE + (
    "import runpy\nsys.argv = [sys.argv[2], '--help']\nrunpy.run_path(sys.argv[0], run_name='__main__')\n"
)


@frozen
class Dist:
    """One installed distribution, as the environment's metadata has it."""

    name: str
    version: str
    files: tuple[str, ...]
    scripts: tuple[str, ...]
    requires: tuple[str, ...]

    @property
    def modules(self) -> set[str]:
        """Its importable top-level names."""
        return set(single.top_level_modules(list(self.files)))


class Failed(Exception):
    """One package of the wave failed its check; ``error`` says what."""

    def __init__(self, release: Release, error: StepError) -> None:
        super().__init__(error.message)
        self.release, self.error = release, error


class _Apart(Exception):
    """The wave cannot share one environment: verify each package alone."""


def verify_wave(
    wave: Sequence[tuple[Release, Sequence[Path]]],
    where: single.Where,
    passed: Callable[[Release], None],
    *,
    echo: Echo,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Verify every release of ``wave`` (with its local files); call ``passed`` for each."""
    environ = inherited(environ)
    if len(wave) > 1:

        def look(item: tuple[Release, Sequence[Path]]) -> dict[str, index.IndexFile]:
            with _blaming(item[0]):
                return _listed(item[0], where, item[1], echo)

        found = _each(wave, look)
        for outcome in found:
            if isinstance(outcome, Failed):
                raise outcome
        listed = {r.name: f for (r, _), f in zip(wave, found, strict=True) if isinstance(f, dict)}
        try:
            _together(wave, listed, where, passed, echo, environ)
            return
        except _Apart as why:
            echo(f"verify: the wave cannot share one environment ({why}); each alone")
    for release, local in wave:
        with _blaming(release):
            single.verify(release, where, local=local, echo=echo, environ=environ)
        passed(release)


@contextlib.contextmanager
def _blaming(release: Release) -> Iterator[None]:
    """A step error inside as ``Failed`` of ``release``."""
    try:
        yield
    except StepError as exc:
        raise Failed(release, exc) from exc


def _listed(
    release: Release, where: single.Where, local: Sequence[Path], echo: Echo
) -> dict[str, index.IndexFile]:
    """The release's files as the index lists them, their sha256 checked against ``local``."""
    hashes = {p.name: index.sha256_file(p) for p in local}
    echo(f"verify: {release} from {where.index_url}")
    listed = single.wait_for_release(release, where, sorted(hashes), echo)
    single.check_hashes(listed, hashes, echo)
    return listed


def _together(
    wave: Sequence[tuple[Release, Sequence[Path]]],
    listed: Mapping[str, Mapping[str, index.IndexFile]],
    where: single.Where,
    passed: Callable[[Release], None],
    echo: Echo,
    environ: Mapping[str, str],
) -> None:
    """Install the wave into one environment, then check each package in it apart."""
    installer = installing.choose(environ, tools.which)
    releases = [r for r, _ in wave]
    with slots.place(environ) as tmp:
        venv = single.fresh_venv(installer, tmp, environ)
        baseline = _present(venv.path)
        lines = [
            single.hashed_requirement(
                r.name, r.version, sorted(e.sha256 for e in listed[r.name].values() if e.sha256)
            )
            for r in releases
        ]
        reqfile = Path(tmp, "requirements.txt")
        reqfile.write_text("\n".join(lines) + "\n")
        args = ["--no-deps", "--require-hashes", "-r", str(reqfile)]
        fresh = tuple(r.name for r in releases)
        what = f"installing {len(releases)} packages from the index alone"
        _joint(venv, what, args, where, fresh)
        dists = _inspect(venv)
        deps = sorted({d for r in releases for d in _runtime(dists, r.name)})
        if deps:
            what = f"installing the dependencies ({', '.join(deps)})"
            _joint(venv, what, deps, where, fresh, extra=True)
            dists = _inspect(venv)
        _no_clash(dists)
        names = ", ".join(r.name for r in releases)
        echo(f"  installed {names} into one fresh virtual environment ({installer.kind})")

        def one(release: Release) -> None:
            with _blaming(release):
                _check(venv, release, dists, releases, baseline, echo)

        outcomes = _each(releases, one)  # every package is checked: each that passes is recorded
        for release, outcome in zip(releases, outcomes, strict=True):
            if not isinstance(outcome, Failed):
                passed(release)
        failed = [o for o in outcomes if isinstance(o, Failed)]
        if failed:
            raise failed[0]


def _each(items: Sequence[T], fn: Callable[[T], R]) -> list[R | Failed]:
    """``fn`` of every item, a few at once (each waits on its own requests and processes);
    an item's ``Failed`` is its result. A Ctrl-C starts no more; those running finish."""

    def one(item: T) -> R | Failed:
        try:
            return fn(item)
        except Failed as exc:
            return exc

    pool = ThreadPoolExecutor(max_workers=min(WORKERS, len(items)) or 1)
    try:
        return list(pool.map(one, items))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _joint(
    venv: single.Venv,
    what: str,
    args: list[str],
    where: single.Where,
    fresh: tuple[str, ...],
    extra: bool = False,
) -> None:
    """One installer call for the whole wave; a refusal sends every package to verify alone.

    ``fresh``: the wave's packages, which uv takes from the index, never from its cache.
    """
    more = where.extra_index_url if extra else None
    cmd = installing.install_command(
        venv.installer, venv.python, args, where.index_url, more, refresh=fresh
    )
    try:
        venv.run(what, cmd)
    except StepError as exc:
        raise _Apart(f"{what} failed: {exc.message.splitlines()[0]}") from exc


def _present(venv: Path) -> set[str]:
    """The distributions a fresh environment starts with: none from uv, or where the host's
    pip installs; pip (and setuptools) where the venv module's ensurepip made it."""
    found = venv.glob("lib/python*/site-packages/*.dist-info")
    return {normalize(p.name.split("-")[0]) for p in found}


def _inspect(venv: single.Venv) -> dict[str, Dist]:
    """Every distribution installed in the environment, by normalised name."""
    out = venv.run("reading the installed metadata", [str(venv.python), "-I", "-c", _INSPECT])
    return {
        normalize(d["name"]): Dist(
            d["name"], d["version"], tuple(d["files"]), tuple(d["scripts"]), tuple(d["requires"])
        )
        for d in json.loads(out)
    }


def _runtime(dists: Mapping[str, Dist], name: str) -> list[str]:
    dist = dists.get(normalize(name))
    return single.runtime_requirements(list(dist.requires)) if dist else []


def _no_clash(dists: Mapping[str, Dist]) -> None:
    """Two distributions installing one file would overwrite each other: not in one env."""
    owner: dict[str, str] = {}
    for name, dist in dists.items():
        for path in dist.files:
            if "__pycache__" in path or ".dist-info/" in path:
                continue
            if owner.setdefault(path, name) != name:
                raise _Apart(f"{owner[path]} and {name} both install {path}")


def closure(dists: Mapping[str, Dist], name: str) -> set[str]:
    """``name`` and every installed distribution it requires, through extras too (pure)."""
    todo: list[tuple[str, frozenset[str]]] = [(normalize(name), frozenset())]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        item = todo.pop()
        if item in seen or item[0] not in dists:
            continue
        seen.add(item)
        for line in dists[item[0]].requires:
            try:
                req = Requirement(line)
            except InvalidRequirement:
                continue
            extras = {"", *item[1]}
            if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in extras):
                todo.append((normalize(req.name), frozenset(req.extras)))
    return {n for n, _ in seen}


def hidden(
    dists: Mapping[str, Dist], name: str, releases: Sequence[Release], baseline: set[str]
) -> list[str]:
    """The modules ``name`` would not have in an environment of its own (pure)."""
    own = closure(dists, name) | baseline
    brought: set[str] = set().union(*(closure(dists, r.name) for r in releases)) - own
    visible: set[str] = set().union(*(dists[n].modules for n in own if n in dists))
    return sorted(set().union(*(dists[n].modules for n in brought)) - visible)


def _check(
    venv: single.Venv,
    release: Release,
    dists: Mapping[str, Dist],
    releases: Sequence[Release],
    baseline: set[str],
    echo: Echo,
) -> None:
    """The release's version, its imports and its console scripts, with the others hidden."""
    dist = dists.get(normalize(release.name))
    if dist is None or _version(dist.version) != release.version:
        found = dist.version if dist else "nothing"
        raise StepError(f"verify: asked for {release.pin}, the environment has {found}")
    blind = json.dumps(hidden(dists, release.name, releases, baseline))
    python = str(venv.python)
    modules = sorted(dist.modules)
    for module in modules:
        venv.run(f"import {module}", [python, "-I", "-c", _IMPORT, blind, module])
    for script in dist.scripts:
        launcher = str(installing.venv_script(venv.path, script))
        venv.run(
            f"{script} --help",
            [python, "-I", "-c", _SCRIPT, blind, launcher],
            single.SCRIPT_TIMEOUT,
        )
    done = [*(f"import {m}" for m in modules), *(f"{s} --help" for s in dist.scripts)]
    echo(f"  {release}: {', '.join(done) or 'nothing to import or run'}: ok")


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None
