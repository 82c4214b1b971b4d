"""towncrier projects: where the news fragments are, and towncrier itself building the section.

The fragments are read here (towncrier's own rules for directories, types and names) so that
``--part auto`` and ``status`` work without towncrier; the section is always built by towncrier,
run as a command in the project with upload credentials scrubbed from its environment.
"""

from __future__ import annotations

import fnmatch
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Config
from .errors import ConfigError, StepError, UsageError
from .fsutil import write_new
from .secrets import child_env
from .values import frozen

if TYPE_CHECKING:
    from .preflight import Check

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DIRECTORIES = ("changelog.d", "newsfragments")
DEFAULT_TYPES = ("feature", "bugfix", "doc", "removal", "misc")
INSTALL_HINT = "pip install 'releasekit[towncrier]' (or pip install towncrier)"
_IGNORED = (".gitignore", ".gitkeep", ".keep", "readme", "readme.md", "readme.rst")


@frozen
class Setup:
    """A project's towncrier setup; ``configured`` is False for a bare fragment directory."""

    root: Path
    configured: bool
    directories: tuple[Path, ...]
    types: tuple[str, ...]
    news_file: Path
    ignore: tuple[str, ...] = ()

    def label(self, path: Path) -> str:
        """``path`` relative to the project, for messages."""
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    @property
    def where(self) -> str:
        """``in changelog.d/``: the fragment directories, for messages."""
        return "in " + ", ".join(self.label(d) + "/" for d in self.directories)


@frozen
class Fragment:
    """One news fragment file and its type."""

    path: Path
    kind: str


def _table(project: Path, pyproject: Mapping[str, Any]) -> dict[str, Any] | None:
    """``[tool.towncrier]`` from towncrier.toml (which towncrier prefers), else pyproject.toml."""
    own = project / "towncrier.toml"
    data: Mapping[str, Any] = pyproject
    if own.is_file():
        try:
            data = tomllib.loads(own.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{own} is not valid TOML: {exc}") from None
    table = data.get("tool", {}).get("towncrier")
    return table if isinstance(table, dict) else None


def _types(table: Mapping[str, Any]) -> tuple[str, ...]:
    """The fragment types, as towncrier reads them: [fragment.X], [[type]] or its defaults."""
    if isinstance(table.get("fragment"), dict) and table["fragment"]:
        return tuple(sorted(table["fragment"]))
    if isinstance(table.get("type"), list) and table["type"]:
        return tuple(
            str(t.get("directory", str(t.get("name", "")).lower()))
            for t in table["type"]
            if isinstance(t, dict)
        )
    return DEFAULT_TYPES


def _directories(root: Path, table: Mapping[str, Any], package: str) -> tuple[Path, ...]:
    """The fragment directories, one per towncrier section."""
    sections = [
        str(s.get("path", "")) for s in table.get("section", [{"path": ""}]) if isinstance(s, dict)
    ] or [""]
    directory = table.get("directory")
    if isinstance(directory, str):
        return tuple((root / directory / s).resolve() for s in sections)
    base = root / str(table.get("package_dir", ".")) / str(table.get("package", package))
    return tuple((base / s / "newsfragments").resolve() for s in sections)


def find(root: Path, pyproject: Mapping[str, Any]) -> Setup | None:
    """The towncrier setup of the project in ``root``, or None when it uses no fragments."""
    table = _table(root, pyproject)
    if table is None:
        bare = [root / d for d in DIRECTORIES if (root / d).is_dir()]
        if not bare:
            return None
        return Setup(root, False, (bare[0],), DEFAULT_TYPES, root / "NEWS.rst")
    if table.get("single_file") is False:
        raise ConfigError(
            "[tool.towncrier] single_file = false is not supported by release",
            hint="use one news file (single_file = true), or bump with towncrier by hand",
        )
    package = str(pyproject.get("project", {}).get("name", ""))
    ignore = tuple(str(p).lower() for p in table.get("ignore", []) or [])
    template = table.get("template")
    if isinstance(template, str) and ":" not in template:
        ignore += (Path(template).name.lower(),)
    return Setup(
        root=root,
        configured=True,
        directories=_directories(root, table, package),
        types=_types(table),
        news_file=root / str(table.get("filename", "NEWS.rst")),
        ignore=ignore,
    )


def kind_of(name: str, types: tuple[str, ...]) -> str | None:
    """A fragment file name's type, found from the back as towncrier does; None when none."""
    parts = name.split(".")
    for i in reversed(range(1, len(parts))):
        if parts[i] in types:
            return parts[i]
    return None


def listing(setup: Setup) -> list[Fragment]:
    """The fragments a build would consume; a file towncrier would leave behind is refused."""
    found = []
    for directory in setup.directories:
        if not directory.is_dir():
            continue
        for path in sorted(directory.iterdir()):
            name = path.name.lower()
            if not path.is_file() or name.startswith("."):
                continue
            if any(fnmatch.fnmatch(name, p) for p in (*_IGNORED, *setup.ignore)):
                continue
            kind = kind_of(path.name, setup.types)
            if kind is None:
                raise UsageError(
                    f"news fragment {setup.label(path)} has no known type; towncrier would leave it behind",
                    hint=f"name it NAME.TYPE.md with TYPE one of {', '.join(setup.types)}, "
                    "or add the type to [tool.towncrier]",
                )
            found.append(Fragment(path, kind))
    return found


def problem(setup: Setup | None) -> UsageError | None:
    """Why towncrier cannot build this project's section, or None when it can."""
    if setup is None:
        return None
    if not setup.configured:
        where = setup.label(setup.directories[0])
        return UsageError(
            f"{where}/ holds news fragments but towncrier is not configured",
            hint=f'add [tool.towncrier] with directory = "{where}" and filename = "CHANGELOG.md" '
            "to pyproject.toml",
        )
    import importlib.util

    if importlib.util.find_spec("towncrier") is None:
        return UsageError(
            "the project is configured for towncrier, which is not installed",
            hint=INSTALL_HINT,
        )
    return None


@frozen
class Snapshot:
    """The news file and every fragment, byte for byte, to put back after a failure."""

    files: Mapping[Path, bytes | None]
    modes: Mapping[Path, int]

    @property
    def paths(self) -> tuple[Path, ...]:
        """Every path towncrier may change: the release commit includes them all."""
        return tuple(self.files)


def snapshot(setup: Setup, fragments: list[Fragment]) -> Snapshot:
    """Read the bytes (None: absent) and modes of the news file and the fragments."""
    paths = [setup.news_file, *(f.path for f in fragments)]
    files = {p: p.read_bytes() if p.is_file() else None for p in paths}
    modes = {p: p.stat().st_mode & 0o7777 for p in paths if p.is_file()}
    return Snapshot(files, modes)


def restore(snap: Snapshot) -> None:
    """Put every fragment and the news file back as they were (a new news file is removed)."""
    for path, data in snap.files.items():
        if data is None:
            path.unlink(missing_ok=True)
            continue
        if path.is_file() and path.read_bytes() == data:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)  # git rm drops emptied directories
        write_new(path, data)
        os.chmod(path, snap.modes.get(path, 0o644))


def build(setup: Setup, version: str, date: str, environ: Mapping[str, str] | None = None) -> None:
    """Run ``towncrier build --yes`` in ``environ`` without secrets: the section, no fragments."""
    argv = [sys.executable, "-m", "towncrier", "build", "--yes", "--version", version]
    argv += ["--date", date]
    import subprocess  # only when towncrier runs: bump --dry-run starts no process

    try:
        proc = subprocess.run(
            argv,
            cwd=setup.root,
            env=child_env(environ),
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=300,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise StepError(f"towncrier build could not run: {exc}") from None
    if proc.returncode != 0:
        said = (proc.stderr or proc.stdout).strip().splitlines()
        raise StepError(
            f"towncrier build failed (status {proc.returncode}): {said[-1] if said else 'no output'}",
            hint="run towncrier build --draft to see the problem; every fragment was put back",
        )


def preflight_checks(config: Config) -> list[Check]:
    """A towncrier project needs towncrier installed, and fragments it will consume."""
    from .preflight import Check

    try:
        setup = find(config.project, config.pyproject)
        if setup is None:
            return []
        refused = problem(setup)
        if refused is None:
            listing(setup)
    except UsageError as exc:
        refused = exc
    if refused is not None:
        return [Check("towncrier", False, refused.message, refused.hint or "")]
    return [Check("towncrier", True, "towncrier builds the changelog section")]
