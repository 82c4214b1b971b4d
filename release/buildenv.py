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

import os
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from . import git, proc
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


SAME_FOR_BOTH = frozenset(
    {
        "UV_CACHE_DIR", "UV_NO_CACHE", "UV_COMPILE_BYTECODE", "UV_LINK_MODE", "UV_NATIVE_TLS",
        "UV_HTTP_TIMEOUT", "UV_HTTP_RETRIES", "UV_REQUEST_TIMEOUT", "UV_CONCURRENT_DOWNLOADS",
        "UV_CONCURRENT_BUILDS", "UV_CONCURRENT_INSTALLS", "UV_NO_PROGRESS", "UV_OFFLINE",
        "UV_INDEX_URL", "UV_DEFAULT_INDEX", "UV_EXTRA_INDEX_URL", "UV_INDEX", "UV_FIND_LINKS",
        "UV_NO_INDEX", "UV_INDEX_STRATEGY", "UV_KEYRING_PROVIDER", "UV_INSECURE_HOST",
        "UV_PYTHON_DOWNLOADS", "UV_PYTHON_INSTALL_DIR", "UV_NO_CONFIG",
        "UV_PYTHON", "UV_PROJECT_ENVIRONMENT",
    }
)  # fmt: skip
"""uv's variables that act alike on ``uv pip install`` and on ``uv build``'s build environments:
where packages come from and how they are fetched, not which versions are chosen. nox sets
the last two in every session; both are moot here (each command names its ``--python``, and
none is a project command)."""


def same_resolution(environ: Mapping[str, str]) -> bool:
    """Whether ``uv pip install`` would choose the build requirements ``uv build`` would.

    Some of uv's settings apply to one and not the other (``UV_CONSTRAINT``,
    ``UV_RESOLUTION=lowest-direct`` and ``UV_PRERELEASE`` to the install alone,
    ``UV_BUILD_CONSTRAINT`` to the build alone): with any variable of uv's outside
    ``SAME_FOR_BOTH`` set, the project builds isolated, as ``uv build`` builds it (pure).
    """
    return all(not k.startswith("UV_") or k in SAME_FOR_BOTH for k in environ)


def requirements(
    repo: git.Repo, directory: str, environ: Mapping[str, str], ref: str = "HEAD"
) -> tuple[str, ...] | None:
    """What ``directory`` (relative to the top) declares at ``ref`` (``declared``); None: it
    builds isolated, as it does wherever ``same_resolution`` is false for ``environ``."""
    if not same_resolution(environ):
        return None
    rel = "pyproject.toml" if directory in ("", ".") else f"{directory}/pyproject.toml"
    return declared(git.head_bytes(repo, rel, ref))


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
    return Making(uv, where, reqs, environ, bytecode=bytecode).run()


class Making:
    """The making of one fresh environment: ``run`` here, or ``start`` in a thread."""

    def __init__(
        self,
        uv: str,
        where: Path,
        reqs: tuple[str, ...],
        environ: Mapping[str, str],
        *,
        bytecode: bool,
    ) -> None:
        self.reqs, self.where = reqs, where
        self.env = {**child_env(environ), "TMPDIR": str(where / "tmp")}
        if not bytecode:
            self.env.pop("UV_COMPILE_BYTECODE", None)  # set in many CI images: 0.4 s for two builds
        self.python = where / "venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        self.steps = [
            [uv, "venv", "--no-config", "--quiet", "--python", sys.executable, str(where / "venv")],
            [uv, "pip", "install", "--no-config", "--quiet", "--python", str(self.python), *reqs],
        ]
        if bytecode:
            self.steps[1].insert(-len(reqs), "--compile-bytecode")
        self._lock = threading.Lock()
        self._running: subprocess.Popen[str] | None = None
        self._cancelled = False
        self._made: str | None = None
        self._thread: threading.Thread | None = None

    def run(self) -> str | None:
        """Make it; its interpreter, or None when it cannot be made (or was cancelled)."""
        (self.where / "tmp").mkdir(parents=True, exist_ok=True)
        for cmd in self.steps:
            with self._lock:
                if self._cancelled:
                    return None
                try:
                    self._running = proc.start(cmd, env=self.env, cwd=self.where)
                except OSError:
                    return None
            if proc.finish(self._running).returncode != 0:
                return None
        return str(self.python)

    def start(self) -> Making:
        """Make it in a thread; ``made`` waits for it."""
        self._thread = threading.Thread(target=self._in_thread, name="build-env")
        self._thread.start()
        return self

    def _in_thread(self) -> None:
        self._made = self.run()

    def made(self) -> str | None:
        """``run``'s answer, once the thread has it."""
        if self._thread is not None:
            self._thread.join()
        return self._made

    def cancel(self) -> None:
        """Stop at once (the caller failed or was interrupted): the running step's group is
        killed, no further step starts, and the thread is waited for."""
        with self._lock:
            self._cancelled = True
            if self._running is not None and self._running.returncode is None:
                proc.kill_group(self._running)
        self.made()
