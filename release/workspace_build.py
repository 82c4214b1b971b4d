"""Build environments shared by a workspace's packages: one per set of build requirements.

A package's build makes a fresh environment of its ``[build-system] requires`` (``buildenv``);
where ``PYTHONDONTWRITEBYTECODE`` is set, every backend process then compiles what it imports
from source, every time. That was most of a large workspace release. The packages of one
workspace mostly declare the same build requirements: each such set gets one fresh
environment, its bytecode compiled once, and every package that declares exactly that set
(at the release commit) builds in it with ``--no-build-isolation``. It is the same isolation
from the developer's environment, made once instead of per package.

A package with a set of its own builds in an environment of its own, and one with an in-tree
backend (``backend-path``) or no ``[build-system]`` table isolated, as a single package does;
so does every package when uv is absent or the environment cannot be made. When a build in
the shared environment fails (the backend asked for more than it declares), the isolated
build gives the verdict.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from . import build, buildenv, git, tools
from .errors import StepError

if TYPE_CHECKING:
    from .config import Config
    from .workspace_ship import Run

Echo = Callable[[str], None]


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
    shared = (
        groups({n: buildenv.requirements(repo, d, environ) for n, d in directories.items()})
        if uv
        else {}
    )
    if uv is None or not shared:
        yield {}
        return
    with tempfile.TemporaryDirectory(prefix="release-buildenv-") as tmp:
        found: dict[str, str] = {}
        for i, (reqs, names) in enumerate(shared.items()):
            python = buildenv.make(uv, Path(tmp, str(i)), reqs, environ, bytecode=True)
            if python is None:
                echo(f"build: no shared environment for {', '.join(reqs)}: each builds alone")
                continue
            echo(f"build: one environment with {', '.join(reqs)} for {', '.join(names)}")
            found.update(dict.fromkeys(names, python))
        yield found


def build_member(config: Config, tag: str, dist: Path, run: Run, shared: str | None) -> build.Built:
    """Build in the shared environment; should that fail, alone, which gives the verdict."""
    if shared is not None:
        try:
            return build.build(config, ref=tag, outdir=dist, environ=run.environ, shared=shared)
        except StepError:
            run.echo(f"build: {tag} failed in the shared environment; building it alone")
    return build.build(
        config,
        ref=tag,
        outdir=dist,
        isolated=run.isolated,
        environ=run.environ,
        declared=shared is None,  # after a failure in the shared one: not the same set again
        echo=run.echo,
    )
