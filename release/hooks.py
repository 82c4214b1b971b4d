"""``[tool.release.hooks]``: the project's own commands at fixed points of ``ship``.

Each command is split with ``shlex`` and run without a shell, in the project directory, in a
process group of its own, with the scrubbed environment (no upload credentials or tokens)
plus the release's ``RELEASE_*`` values.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

from packaging.version import Version

from . import proc
from .config import Config
from .errors import StepError
from .secrets import scrubbed_env
from .version import bump


def environment(
    environ: Mapping[str, str],
    *,
    version: object,
    previous: object,
    tag: str,
    dist: Path | None,
) -> dict[str, str]:
    """The environment a hook runs with: no secrets, plus the release's values (pure)."""
    env = scrubbed_env(environ)
    env.update(
        RELEASE_VERSION=str(version),
        RELEASE_PREVIOUS_VERSION=str(previous),
        RELEASE_TAG=tag,
    )
    env.pop("RELEASE_DIST", None)
    if dist is not None:
        env["RELEASE_DIST"] = str(dist)
    return env


def run(config: Config, stage: str, env: Mapping[str, str], echo: Callable[[str], None]) -> None:
    """Run the commands of ``stage`` in order; the first that fails raises a StepError."""
    for command in config.hook(stage):
        echo(f"$ {command}")
        try:
            done = proc.run(shlex.split(command), env=env, cwd=config.project, merge=True)
        except OSError as exc:
            raise StepError(
                f"{stage} hook `{command}` could not start: {exc.strerror or exc}",
                hint=f"fix [tool.release.hooks] {stage} in pyproject.toml",
            ) from None
        for line in done.stdout.splitlines():
            echo(line)
        if done.returncode != 0:
            raise StepError(
                f"{stage} hook `{command}` {_exit(done)}",
                hint=f"fix what the {stage} hook reports",
            )


def _exit(done: subprocess.CompletedProcess[str]) -> str:
    code = done.returncode
    return f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"


def next_dev(version: Version) -> Version:
    """The development version after ``version``: the next patch, then ``.dev0`` (pure)."""
    dev = Version(f"{bump(version, 'patch').base_version}.dev0")
    if dev <= version:  # a pre-release: its patch is the release itself
        major, minor, micro = (*version.release, 0, 0)[:3]
        dev = Version(f"{major}.{minor}.{micro + 1}.dev0")
    return dev
