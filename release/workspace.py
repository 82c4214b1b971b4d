"""Workspaces: several packages in one repository, read from the files and git (no decisions).

A repository root is a workspace when its ``pyproject.toml`` has ``[tool.uv.workspace]`` (the
members are its globs minus ``exclude``, plus the root itself when it declares a project), or
else ``[tool.release] packages``. ``layout`` answers that from the root's ``pyproject.toml``
alone, cheaply, for the front door; ``read`` reads every package: its name, version, tag
format, requirements, last tag and whether it changed since. The decisions are in
``workspace_plan``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from packaging.version import Version

from . import config as config_mod
from . import values
from .config import Config
from .errors import ConfigError, ReleaseError, SourceError, UsageError
from .values import frozen

if TYPE_CHECKING:
    from .gitrepo import Repo

UV = "[tool.uv.workspace]"
PACKAGES = "[tool.release] packages"
WORKSPACE_TAG_FORMAT = "{name}-v{version}"
"""The default ``tag-format`` of a package in a workspace (a repository holds several)."""


@frozen
class Layout:
    """Where a workspace's packages are: directories relative to the root, as posix paths."""

    root: Path
    kind: str
    """``[tool.uv.workspace]`` or ``[tool.release] packages``: what made it a workspace."""
    directories: tuple[str, ...]


@frozen
class Package:
    """One package of a workspace as read from its files and git."""

    name: str
    """The PEP 503 normalised distribution name."""
    directory: str
    """Relative to the workspace root, posix; ``.`` for the root itself."""
    current: Version | None
    problem: str | None
    """Why ``current`` could not be read (the version sources' error), or None."""
    tag_format: str
    """``tag-format`` with ``{name}`` filled in: ``core-v{version}``."""
    tag_format_set: bool
    """Whether the package's own ``[tool.release]`` sets ``tag-format``."""
    requires: tuple[str, ...]
    """``[project] dependencies`` as written (every one, siblings or not)."""
    last_tag: str | None = None
    changed: bool = True
    """Commits touched the directory since ``last_tag`` (always true before the first tag)."""


@frozen
class Workspace:
    """Every package of a workspace and the root's ``[tool.release]`` workspace settings."""

    root: Path
    kind: str
    packages: tuple[Package, ...]
    lockstep: bool = False
    release_dependents: bool = False
    update_sibling_pins: bool = False
    lockstep_tag_format: str = "v{version}"
    """The one tag of a lockstep release (the root's ``tag-format``)."""
    head_tags: tuple[str, ...] = ()
    """The tags at HEAD: a release whose tags are there is resumed, not made again."""

    def package(self, name: str) -> Package | None:
        """The package called ``name`` (any spelling of it), or None."""
        wanted = config_mod.normalize_name(name)
        return next((p for p in self.packages if p.name == wanted), None)

    def listing(self) -> str:
        """``core (packages/core), lib (packages/lib)``: for messages that list the packages."""
        return ", ".join(f"{p.name} ({p.directory})" for p in self.packages)


def layout(root: Path) -> Layout | None:
    """The workspace whose root is ``root``, or None; reads only the root's pyproject.toml."""
    data = config_mod.read_pyproject(root)
    tool = data.get("tool", {}) if isinstance(data.get("tool"), dict) else {}
    uv = tool.get("uv", {}).get("workspace") if isinstance(tool.get("uv"), dict) else None
    release = tool.get("release", {}) if isinstance(tool.get("release"), dict) else {}
    if isinstance(uv, dict):
        directories = _uv_members(root, uv)
        if _declares_project(data):
            directories = (".", *directories)  # uv: a root with a [project] is a member too
        return Layout(root.resolve(), UV, directories)
    if "packages" in release:
        listed = release["packages"]
        if not isinstance(listed, list) or not all(isinstance(d, str) for d in listed):
            raise ConfigError(
                f"[tool.release] packages must be a list of directories, not {listed!r}",
                hint='packages = ["core", "lib"]',
            )
        return Layout(root.resolve(), PACKAGES, _unique(_posix(d) for d in listed))
    return None


def _declares_project(data: Mapping[str, Any]) -> bool:
    project = data.get("project")
    return isinstance(project, dict) and isinstance(project.get("name"), str)


def _strings(table: Mapping[str, Any], key: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(
            f"{UV} {key} must be a list of glob strings, not {value!r}",
            hint='members = ["packages/*"]',
        )
    return value


def _uv_members(root: Path, table: Mapping[str, Any]) -> tuple[str, ...]:
    """The directories ``members`` globs match, minus those ``exclude`` globs match (uv's rule)."""
    excluded = {d for pattern in _strings(table, "exclude") for d in _glob(root, pattern)}
    found = [d for pattern in _strings(table, "members") for d in _glob(root, pattern)]
    return _unique(d for d in found if d not in excluded)


def _glob(root: Path, pattern: str) -> list[str]:
    """The directories under ``root`` that ``pattern`` matches, sorted, relative and posix."""
    pattern = _posix(pattern)
    if pattern == ".":
        return ["."]
    if Path(pattern).is_absolute() or ".." in PurePosixPath(pattern).parts:
        raise ConfigError(
            f"{UV} glob {pattern!r} leads outside the workspace",
            hint="members are directories below the workspace root",
        )
    return sorted(p.relative_to(root).as_posix() for p in root.glob(pattern) if p.is_dir())


def _posix(path: str) -> str:
    return PurePosixPath(path.replace("\\", "/")).as_posix()


def _unique(items: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def read(root: Path) -> Workspace:
    """Read every package of the workspace at ``root`` (exit 2 when it is none or is broken)."""
    found = layout(root)
    if found is None:
        raise not_a_workspace(root)
    root_config = config_mod.load(found.root)
    lockstep = root_config.version_scheme == "lockstep"
    configs = [package_config(found.root, d, lockstep, root_config) for d in found.directories]
    packages = [_package(found.root, d, c) for d, c in zip(found.directories, configs, strict=True)]
    _refuse_duplicates(packages)
    packages = _with_history(found.root, packages)
    return Workspace(
        head_tags=_head_tags(found.root),
        root=found.root,
        kind=found.kind,
        packages=tuple(packages),
        lockstep=lockstep,
        release_dependents=root_config.release_dependents,
        update_sibling_pins=root_config.update_sibling_pins,
        lockstep_tag_format=root_config.tag_format,
    )


def not_a_workspace(root: Path) -> UsageError:
    """The refusal of a workspace-only option outside a workspace."""
    return UsageError(
        f"{root.resolve()} is not a workspace: its pyproject.toml has neither {UV} nor {PACKAGES}",
        hint="leave out --package, --all, --changed and --part NAME=PART to release the one "
        "project, or run at the workspace root (--project DIR)",
    )


def package_config(root: Path, directory: str, lockstep: bool, root_config: Config) -> Config:
    """The ``Config`` of one package, its ``tag-format`` defaulting to the workspace's."""
    path = root / directory
    if not (path / "pyproject.toml").is_file():
        raise ConfigError(
            f"workspace member {directory} has no pyproject.toml",
            hint="add one, or leave the directory out of the workspace (exclude)",
        )
    cfg = root_config if directory == "." else config_mod.load(path)
    table = cfg.pyproject.get("tool", {}).get("release", {})
    if directory != "." and "tag-format" in table:
        return cfg
    if cfg.name is None:
        raise ConfigError(
            f"workspace member {directory} declares no name",
            hint=f'set [project] name = "..." in {directory}/pyproject.toml',
        )
    raw = root_config.tag_format_raw if lockstep else WORKSPACE_TAG_FORMAT
    if directory == "." and "tag-format" in table and not lockstep:
        raw = cfg.tag_format_raw
    resolved = raw.replace("{name}", cfg.name)
    return values.replace(cfg, tag_format=resolved, tag_format_raw=raw)


def _package(root: Path, directory: str, cfg: Config) -> Package:
    """One package's name, version, tag format and requirements (no git yet)."""
    from . import bump  # the version sources: tomlkit and git only when a workspace is read

    name = cfg.name
    if name is None:
        raise ConfigError(
            f"workspace member {directory} declares no name",
            hint=f'set [project] name = "..." in {directory}/pyproject.toml',
        )
    current: Version | None = None
    problem = None
    try:
        current = bump.read_state(cfg).current
    except UsageError as exc:
        problem = exc.message
    table = cfg.pyproject.get("tool", {}).get("release", {})
    requires = cfg.pyproject.get("project", {}).get("dependencies", [])
    if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
        raise ConfigError(
            f"{directory}/pyproject.toml: [project] dependencies must be a list of strings",
            hint='dependencies = ["core>=0.1"]',
        )
    return Package(
        name=name,
        directory=directory,
        current=current,
        problem=problem,
        tag_format=cfg.tag_format,
        tag_format_set="tag-format" in table,
        requires=tuple(requires),
    )


def _refuse_duplicates(packages: list[Package]) -> None:
    seen: dict[str, str] = {}
    for p in packages:
        if p.name in seen:
            raise ConfigError(
                f"two workspace members are both called {p.name}: {seen[p.name]} and {p.directory}",
                hint="each package of a workspace needs a name of its own",
            )
        seen[p.name] = p.directory


def _with_history(root: Path, packages: list[Package]) -> list[Package]:
    """Each package with its last tag and whether commits touched it since."""
    from . import git
    from .version import greatest_tag

    repo = git.open_repo(root)
    if not repo.head.is_valid():
        return packages
    merged = git.tags_merged(repo, "HEAD")
    others = [p.directory for p in packages]
    result = []
    for p in packages:
        found = greatest_tag(merged, p.tag_format)
        tag = found[0] if found else None
        nested = [d for d in others if d != p.directory and _below(d, p.directory)]
        changed = tag is None or bool(_commits_touching(repo, root, tag, p.directory, nested))
        result.append(values.replace(p, last_tag=tag, changed=changed))
    return result


def _head_tags(root: Path) -> tuple[str, ...]:
    from . import git

    repo = git.open_repo(root)
    return tuple(git.tags_at(repo, git.head_sha(repo))) if repo.head.is_valid() else ()


def _below(directory: str, parent: str) -> bool:
    return parent == "." or directory.startswith(parent.rstrip("/") + "/")


def _commits_touching(
    repo: Repo, root: Path, tag: str, directory: str, nested: list[str]
) -> list[str]:
    """The commits after ``tag`` that touch ``directory`` (not its nested members)."""
    from . import git
    from .gitrepo import wrapped

    top = git.root(repo).resolve()
    base = (root / directory).resolve().relative_to(top).as_posix()
    specs = [f":(top,literal){base}" if base != "." else ":(top)"]  # ":(top)." matches nothing
    for d in nested:
        rel = (root / d).resolve().relative_to(top).as_posix()
        specs.append(f":(top,exclude,literal){rel}")
    with wrapped(f"read the history of {directory}"):
        out = repo.git("log", "--format=%H", f"{tag}..HEAD", "--", *specs)
    return out.split()


def sibling_versions(
    workspace: Workspace, index_url: str | None, timeout: float
) -> dict[str, frozenset[Version]]:
    """The versions of each package that a dependent may install: the index's, else the tags'.

    Without an index to read (the local rehearsal's is empty), every tagged version counts.
    """
    from . import git, index
    from .version import greatest_tag

    repo = git.open_repo(workspace.root)
    tags = git.tags_merged(repo, "HEAD") if repo.head.is_valid() else []
    result: dict[str, frozenset[Version]] = {}
    for p in workspace.packages:
        tagged = {v for t in tags if (v := _version_of(t, p.tag_format, greatest_tag))}
        result[p.name] = frozenset(tagged)
        if index_url is None:
            continue
        try:
            listed = index.read_project(index_url, p.name, timeout=timeout)
        except (index.Unavailable, ReleaseError):
            continue  # the tags stand in; preflight of each package says what is wrong
        found = {ident[1] for n in listed if (ident := index.artifact_id(n))}
        result[p.name] = frozenset(found)
    return result


def _version_of(tag: str, tag_format: str, greatest: Any) -> Version | None:
    found = greatest([tag], tag_format)
    return found[1] if found else None


_SENTINEL = "releasekit-pin-sentinel-5d1e"


def pin_files(
    root: Path,
    rewrites: Iterable[tuple[str, str, str]],
    base: Mapping[Path, bytes] | None = None,
) -> dict[Path, bytes]:
    """The new bytes of each ``pyproject.toml`` whose sibling pins move: (directory, old, new).

    Only the requirement string changes: every other byte of the file is kept. ``base``
    holds files already rewritten in memory (the version bump), which the pins go on top of.
    """
    from . import sources

    result: dict[Path, bytes] = {}
    for path, data in (base or {}).items():
        result[path.resolve()] = data
    for directory, old, new in rewrites:
        path = (root / directory / "pyproject.toml").resolve()
        text = result[path].decode("utf-8") if path in result else sources.read_text(path)
        start = _requirement_offset(path, text, old)
        result[path] = (text[:start] + new + text[start + len(old) :]).encode("utf-8")
    return result


def _requirement_offset(path: Path, text: str, requirement: str) -> int:
    """Where ``requirement``, an entry of ``[project] dependencies``, starts in ``text``."""
    import tomlkit
    from tomlkit.items import String, StringType

    doc = tomlkit.parse(text)
    entries: Any = doc.get("project", {}).get("dependencies", [])
    for i, item in enumerate(entries):
        if isinstance(item, String) and str(item) == requirement:
            literal = item.type in (StringType.SLL, StringType.MLL)
            entries[i] = tomlkit.string(_SENTINEL, literal=literal)
            start = tomlkit.dumps(doc).find(_SENTINEL)
            if start >= 0 and text[start : start + len(requirement)] == requirement:
                return start
            break
    raise SourceError(
        f"{path}: the requirement {requirement!r} is written in a form we cannot rewrite in place",
        hint="write it as a plain one-line string in [project] dependencies",
    )
