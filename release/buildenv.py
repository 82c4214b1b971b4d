"""A fresh environment holding exactly the build requirements a project declares.

``uv build`` makes an isolated environment for the sdist and another for the wheel, and asks
the backend, in a process of its own each time, what more it needs
(``get_requires_for_build_sdist`` and ``_wheel``) before each build: four Python processes
that each load the backend, about 1.1 s for a small hatchling project here. Made once with the
``[build-system] requires`` alone, at a place whose path uv already knows (``slots``), the
environment serves both builds with ``--no-build-isolation``: two backend processes, about
0.8 s in all. It is the same isolation from the developer's environment.

What the backend would have asked for beyond what it declares is not installed, so a backend
that needs more fails there; the isolated build then runs and gives the verdict. A project
with an in-tree backend (``backend-path``) or without ``[build-system]`` builds isolated
from the start, as does every project when uv is absent or the environment cannot be made.
A workspace makes one such environment per set of requirements its packages share
(``workspace_build``).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from . import proc
from .secrets import child_env

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def declared(data: bytes | None) -> tuple[str, ...] | None:
    """The sorted ``[build-system] requires`` of a pyproject.toml's bytes; None: build isolated."""
    if data is None:
        return None
    try:
        table = tomllib.loads(data.decode()).get("build-system")
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    if not isinstance(table, dict) or "backend-path" in table:
        return None
    reqs = table.get("requires")
    if not reqs or not isinstance(reqs, list) or not all(isinstance(r, str) for r in reqs):
        return None
    return tuple(sorted(reqs))


def make(
    uv: str, where: Path, reqs: tuple[str, ...], environ: Mapping[str, str], *, bytecode: bool
) -> str | None:
    """The interpreter of a fresh environment in ``where`` holding ``reqs``; None when it
    cannot be made.

    ``bytecode``: its bytecode written at once, which pays where many builds share it and
    ``PYTHONDONTWRITEBYTECODE`` is set (each backend process would compile what it imports);
    for two builds it costs more than it saves (0.4 s against nothing measurable here), so
    without it an inherited ``UV_COMPILE_BYTECODE`` is not passed on either, as ``uv build``
    does not compile its build environments.
    """
    (where / "tmp").mkdir(parents=True, exist_ok=True)
    env = {**child_env(environ), "TMPDIR": str(where / "tmp")}
    if not bytecode:
        env.pop("UV_COMPILE_BYTECODE", None)  # set in many CI images: 0.4 s for two builds
    python = where / "venv" / "bin" / "python"
    steps = [
        [uv, "venv", "--no-config", "--quiet", "--python", sys.executable, str(where / "venv")],
        [uv, "pip", "install", "--no-config", "--quiet", "--python", str(python), *reqs],
    ]
    if bytecode:
        steps[1].insert(-len(reqs), "--compile-bytecode")
    for cmd in steps:
        try:
            done = proc.run(cmd, env=env, cwd=where)
        except OSError:
            return None
        if done.returncode != 0:
            return None
    return str(python)
