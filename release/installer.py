"""The fresh environment verify installs into, and installs from one index and nowhere else.

uv when it is on PATH, else pip (``RELEASE_INSTALLER`` decides instead). Every ``PIP_*`` and
``UV_*`` variable is removed, pip runs with ``--isolated`` and ``PIP_CONFIG_FILE`` set to the
null device, uv with ``--no-config``, and both with an explicit index.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from packaging.version import Version

from .errors import UsageError
from .secrets import scrubbed_env
from .values import frozen, replace

_DROP_PREFIXES = ("PIP_", "UV_")
_DROP = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "CONDA_PREFIX")


@frozen
class Installer:
    """``uv`` (with the path of its executable) or ``pip``.

    For pip, ``pip_host`` is the interpreter whose own pip installs into the fresh venv
    (``pip --python``), which is then made without one; with none, the venv gets its own pip
    from ``ensurepip``, which costs seconds (see ``host_pip``).
    """

    kind: str
    uv: str | None = None
    pip_host: str | None = None


def host_pip(python: str = sys.executable) -> str | None:
    """``python`` when this environment's pip can install into another venv (22.3 or later).

    ``ensurepip`` installs and compiles pip and setuptools into every venv it makes: ten
    seconds of CPU where bytecode is not cached. A venv without them is also the stricter
    test, since nothing the package forgot to require is there by chance.
    """
    from importlib import metadata

    try:
        version = metadata.version("pip")
    except metadata.PackageNotFoundError:
        return None
    return python if Version(version) >= Version("22.3") else None


def choose_installer(environ: Mapping[str, str], which: Callable[[str], str | None]) -> Installer:
    """uv when it is on PATH, else pip; ``RELEASE_INSTALLER=uv|pip`` decides instead."""
    wanted = environ.get("RELEASE_INSTALLER", "").strip().lower()
    if wanted not in ("", "uv", "pip"):
        raise UsageError(f"RELEASE_INSTALLER={wanted!r} is neither uv nor pip")
    uv = which("uv")
    if wanted == "uv" and uv is None:
        raise UsageError(
            "RELEASE_INSTALLER=uv but uv is not on PATH",
            hint="install uv, or unset RELEASE_INSTALLER",
        )
    if wanted == "pip" or uv is None:
        return Installer("pip")
    return Installer("uv", uv)


def isolated_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The installer's environment: no pip/uv settings, no credentials, no config files (pure)."""
    env = {
        k: v
        for k, v in scrubbed_env(environ).items()
        if not k.startswith(_DROP_PREFIXES) and k not in _DROP
    }
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["UV_NO_CONFIG"] = "1"
    return env


def venv_python(venv: Path) -> Path:
    """The interpreter of a virtual environment."""
    if sys.platform == "win32":  # pragma: no cover
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def venv_script(venv: Path, name: str) -> Path:
    """A console script installed into a virtual environment."""
    if sys.platform == "win32":  # pragma: no cover
        return venv / "Scripts" / f"{name}.exe"
    return venv / "bin" / name


def venv_command(installer: Installer, venv: Path, python: str = sys.executable) -> list[str]:
    """The command that creates a fresh virtual environment (pure)."""
    if installer.uv is not None:
        return [installer.uv, "venv", "--no-config", "--quiet", "--python", python, str(venv)]
    if installer.pip_host is not None:
        return [python, "-m", "venv", "--without-pip", str(venv)]
    return [python, "-m", "venv", str(venv)]


def install_command(
    installer: Installer,
    python: Path,
    args: list[str],
    index_url: str,
    extra_index_url: str | None = None,
    refresh: tuple[str, ...] = (),
) -> list[str]:
    """An install from ``index_url`` (and ``extra_index_url``) and nowhere else (pure).

    uv takes the packages named in ``refresh`` from the index, never from its cache.
    """
    if installer.uv is not None:
        # uv's cache serves what is not under test (its probe of the interpreter, the
        # dependencies' files); everything of the release itself is fetched afresh
        cmd = [installer.uv, "pip", "install", "--no-config", "--python", str(python)]
        cmd += [f"--refresh-package={name}" for name in refresh]
    else:
        # the host's pip installs into the venv (made without pip) when there is one
        pip = [installer.pip_host, "-m", "pip", "--python", str(python)]
        cmd = [*(pip if installer.pip_host else [str(python), "-m", "pip"]), "--isolated"]
        cmd += ["install", "--no-cache-dir", "--no-input"]
    cmd += ["--index-url", index_url]
    for url in (extra_index_url or "").split():  # several, space-separated, as pip's variable
        cmd += ["--extra-index-url", url]
    return cmd + args


def choose(environ: Mapping[str, str], which: Callable[[str], str | None]) -> Installer:
    """``choose_installer``, with this environment's pip to install for pip (``host_pip``)."""
    chosen = choose_installer(environ, which)
    return replace(chosen, pip_host=host_pip()) if chosen.kind == "pip" else chosen
