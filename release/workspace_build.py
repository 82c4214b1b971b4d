"""Build environments shared by a workspace's packages: one per set of build requirements.

An isolated build (``uv build``) makes a fresh environment for each package and installs its
``[build-system] requires`` into it; where ``PYTHONDONTWRITEBYTECODE`` is set, every hook of
the backend then compiles what it imports from source, every time. That was most of a large
workspace release. The packages of one workspace mostly declare the same build requirements:
each such set gets one fresh environment, its bytecode compiled once, and every package that
declares exactly that set (at the release commit) builds in it with ``--no-build-isolation``.
It is the same isolation from the developer's environment, made once instead of per package.

A package with a set of its own, an in-tree backend (``backend-path``) or no
``[build-system]`` table builds isolated as before; so does every package when uv is absent,
when the environment cannot be made, or when a build in it fails (the backend asked for more
than it declares): the isolated build then gives the verdict.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from . import build, git, proc, tools
from .errors import StepError
from .secrets import child_env

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

if TYPE_CHECKING:
    from .config import Config
    from .workspace_ship import Run

Echo = Callable[[str], None]


def requirements(repo: git.Repo, directory: str) -> tuple[str, ...] | None:
    """The sorted ``[build-system] requires`` of ``directory`` at HEAD; None: build it alone."""
    rel = "pyproject.toml" if directory in ("", ".") else f"{directory}/pyproject.toml"
    data = git.head_bytes(repo, rel)
    if data is None:
        return None
    try:
        table = tomllib.loads(data.decode()).get("build-system")
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    if not isinstance(table, dict) or "backend-path" in table:
        return None
    reqs = table.get("requires")
    if not isinstance(reqs, list) or not all(isinstance(r, str) for r in reqs):
        return None
    return tuple(sorted(reqs))


def groups(found: Mapping[str, tuple[str, ...] | None]) -> dict[tuple[str, ...], list[str]]:
    """The sets of build requirements that two or more packages share, with those packages."""
    by_set: dict[tuple[str, ...], list[str]] = {}
    for name, reqs in found.items():
        if reqs is not None:
            by_set.setdefault(reqs, []).append(name)
    return {reqs: names for reqs, names in by_set.items() if len(names) > 1}


@contextlib.contextmanager
def environments(
    repo: git.Repo,
    directories: Mapping[str, str],
    environ: Mapping[str, str],
    echo: Echo,
) -> Iterator[dict[str, str]]:
    """For each package (name -> directory) that shares its build requirements, the
    interpreter of the fresh environment it builds in; the others are absent."""
    uv = tools.which("uv")
    shared = groups({n: requirements(repo, d) for n, d in directories.items()}) if uv else {}
    if uv is None or not shared:
        yield {}
        return
    with tempfile.TemporaryDirectory(prefix="release-buildenv-") as tmp:
        found: dict[str, str] = {}
        for i, (reqs, names) in enumerate(shared.items()):
            python = _make(uv, Path(tmp, str(i)), reqs, environ)
            if python is None:
                echo(f"build: no shared environment for {', '.join(reqs)}: each builds alone")
                continue
            echo(f"build: one environment with {', '.join(reqs)} for {', '.join(names)}")
            found.update(dict.fromkeys(names, python))
        yield found


def _make(uv: str, where: Path, reqs: tuple[str, ...], environ: Mapping[str, str]) -> str | None:
    """A fresh environment holding ``reqs``, compiled; None when it cannot be made."""
    (where / "tmp").mkdir(parents=True)
    env = {**child_env(environ), "TMPDIR": str(where / "tmp")}
    python = where / "venv" / "bin" / "python"
    steps = [
        [uv, "venv", "--no-config", "--quiet", "--python", sys.executable, str(where / "venv")],
        [uv, "pip", "install", "--no-config", "--quiet", "--compile-bytecode",
         "--python", str(python), *reqs],
    ]  # fmt: skip
    for cmd in steps:
        try:
            done = proc.run(cmd, env=env, cwd=where)
        except OSError:
            return None
        if done.returncode != 0:
            return None
    return str(python)


def build_member(config: Config, tag: str, dist: Path, run: Run, shared: str | None) -> build.Built:
    """Build in the shared environment; should that fail, alone, which gives the verdict."""
    if shared is not None:
        try:
            return build.build(config, ref=tag, outdir=dist, environ=run.environ, shared=shared)
        except StepError:
            run.echo(f"build: {tag} failed in the shared environment; building it alone")
    return build.build(config, ref=tag, outdir=dist, isolated=run.isolated, environ=run.environ)
