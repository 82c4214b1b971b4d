"""``[tool.release]`` in pyproject.toml, plus flags and environment, as one frozen object."""

from __future__ import annotations

import os
import re
import shlex
import sys
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .tagname import ref_problem as ref_problem  # re-exported: callers read it here
from .tagname import tag_format as check_tag_format
from .values import field, frozen

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

KEYS = (
    "repository",
    "index-url",
    "branch",
    "tag-format",
    "changelog",
    "version-files",
    "extra-index-url",
    "push",
    "github-release",
    "auto-parts",
    "allow-major-from-zero",
    "allow-untracked",
    "require-notes",
    "test-requirements",
    "require-tests",
    "hooks",
    "git-hooks",
    "after-release-bump",
    "packages",
    "release-dependents",
    "version-scheme",
    "update-sibling-pins",
)

VERSION_SCHEMES = ("independent", "lockstep")
"""``version-scheme``: each package its own version, or one shared version for all."""

HOOK_STAGES = ("before-commit", "before-upload", "after-release")
"""The points of ``ship`` where ``[tool.release.hooks]`` commands run."""


@frozen
class Config:
    """The release settings of one project; every field has a default."""

    project: Path
    repository: str | None = None
    index_url: str | None = None
    branch: str | None = None
    tag_format: str = "v{version}"
    changelog: str | None = None
    version_files: tuple[str, ...] = ()
    extra_index_url: str | None = None
    push: bool = True
    github_release: bool = False
    auto_parts: tuple[tuple[str, str], ...] = ()
    allow_major_from_zero: bool = False
    allow_untracked: bool = True
    require_notes: bool = False
    test_requirements: tuple[str, ...] | None = None
    require_tests: bool = False
    hooks: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """``[tool.release.hooks]``: (stage, commands) for each configured stage."""
    git_hooks: bool = True
    after_release_bump: str | None = None
    pyproject: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    name: str | None = None
    """The PEP 503 normalized project name (``{name}`` in ``tag-format``), when declared."""
    tag_format_raw: str = "v{version}"
    """``tag-format`` as written; ``tag_format`` has ``{name}`` filled in already."""
    packages: tuple[str, ...] = ()
    """A workspace root's package directories (when it is no uv workspace)."""
    release_dependents: bool = False
    version_scheme: str = "independent"
    update_sibling_pins: bool = False

    def hook(self, stage: str) -> tuple[str, ...]:
        """The commands of the hook ``stage`` (empty when none are configured)."""
        return dict(self.hooks).get(stage, ())

    def tag(self, version: object) -> str:
        """The tag name for ``version``."""
        return self.tag_format.format(version=version, name=self.name or "")


def read_pyproject(project: Path) -> dict[str, Any]:
    """Parse pyproject.toml, or return {} when there is none."""
    path = project / "pyproject.toml"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    if raw.startswith(b"\xef\xbb\xbf"):
        # TOML forbids it and build backends choke on it: say so rather than "invalid statement"
        raise ConfigError(
            f"{path} starts with a byte order mark (BOM)",
            hint="save pyproject.toml as UTF-8 without a BOM",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path} is not UTF-8: {exc}", hint="save pyproject.toml as UTF-8"
        ) from None
    try:
        data: dict[str, Any] = tomllib.loads(text)
        return data
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid TOML: {exc}", hint="fix the syntax, then run the command again"
        ) from None


def declared_name(project: Path, pyproject: dict[str, Any]) -> str | None:
    """The distribution name from ``[project]``, ``[tool.poetry]`` or ``setup.cfg``."""
    for table in (pyproject.get("project", {}), pyproject.get("tool", {}).get("poetry", {})):
        name = table.get("name") if isinstance(table, dict) else None
        if isinstance(name, str) and name.strip():
            return name.strip()
    cfg = project / "setup.cfg"
    if cfg.is_file():
        import configparser  # only for a setup.cfg project: every command loads this module

        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(cfg, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError):
            return None
        name = parser.get("metadata", "name", fallback="").strip()
        if name:
            return name
    return None


def normalize_name(name: str) -> str:
    """The PEP 503 normalized form of a project name: ``My_Pkg`` -> ``my-pkg``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _repository_root(project: Path) -> Path:
    """The top of the git work tree holding ``project`` (found without running git)."""
    for folder in (project, *project.parents):
        if (folder / ".git").exists():
            return folder
    return project


def inside(project: Path, rel: str, key: str) -> str:
    """``rel``, refused with a ConfigError when it is absolute or leads outside the repository."""
    root = _repository_root(project).resolve()
    path = project / rel
    escapes = os.path.isabs(rel) or not path.resolve().is_relative_to(root)
    if escapes:
        link = " (through a symbolic link)" if not os.path.isabs(rel) and path.is_symlink() else ""
        raise ConfigError(
            f"[tool.release] {key} {rel!r} is outside the repository {root}{link}",
            hint=f"list files inside the repository, relative to {project}",
        )
    return rel


EXAMPLES = {
    "repository": 'repository = "testpypi"',
    "index-url": 'index-url = "https://example.org/simple/"',
    "branch": 'branch = "main"',
    "tag-format": 'tag-format = "v{version}"',
    "changelog": 'changelog = "CHANGELOG.md"',
    "version-files": 'version-files = ["src/pkg/__init__.py"]',
    "version-files entry": 'version-files = ["src/pkg/__init__.py"]',
    "extra-index-url": 'extra-index-url = "https://pypi.org/simple/"',
    "push": "push = false",
    "github-release": "github-release = true",
    "packages": 'packages = ["core", "lib"]',
    "packages entry": 'packages = ["core", "lib"]',
    "release-dependents": "release-dependents = true",
    "update-sibling-pins": "update-sibling-pins = true",
}


def _expect(value: Any, kind: type | tuple[type, ...], key: str) -> Any:
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        example = EXAMPLES.get(key)
        raise ConfigError(
            f"[tool.release] {key} must be a {names}, not {value!r}",
            hint=f"for example {example}" if example else f"fix {key} in pyproject.toml",
        )
    return value


def load(project: Path) -> Config:
    """Read ``[tool.release]`` of the project in ``project``."""
    project = project.resolve()
    if not project.is_dir():
        raise ConfigError(f"project directory {project} does not exist")
    data = read_pyproject(project)
    table = _release_table(data)
    raw_format = _expect(table.get("tag-format", "v{version}"), str, "tag-format")
    declared = declared_name(project, data)
    name = normalize_name(declared) if declared else None
    tag_format = check_tag_format(raw_format, name)
    files = _expect(table.get("version-files", []), list, "version-files")
    for item in files:
        inside(project, _expect(item, str, "version-files entry"), "version-files entry")
    optional = _optional(project, table)
    auto_parts = _auto_parts(table.get("auto-parts", {}))
    test_requirements = _test_requirements(table.get("test-requirements"))
    return Config(
        project=project,
        repository=optional["repository"],
        index_url=optional["index-url"],
        branch=optional["branch"],
        tag_format=tag_format,
        changelog=optional["changelog"],
        version_files=tuple(files),
        extra_index_url=optional["extra-index-url"],
        push=_expect(table.get("push", True), bool, "push"),
        github_release=_expect(table.get("github-release", False), bool, "github-release"),
        auto_parts=auto_parts,
        allow_major_from_zero=_expect(
            table.get("allow-major-from-zero", False), bool, "allow-major-from-zero"
        ),
        allow_untracked=_expect(table.get("allow-untracked", True), bool, "allow-untracked"),
        require_notes=_expect(table.get("require-notes", False), bool, "require-notes"),
        test_requirements=test_requirements,
        require_tests=_expect(table.get("require-tests", False), bool, "require-tests"),
        hooks=_hooks(table.get("hooks", {})),
        git_hooks=_expect(table.get("git-hooks", True), bool, "git-hooks"),
        after_release_bump=_after_release_bump(table.get("after-release-bump")),
        pyproject=data,
        name=name,
        tag_format_raw=raw_format,
        packages=_packages(project, table.get("packages", [])),
        release_dependents=_expect(
            table.get("release-dependents", False), bool, "release-dependents"
        ),
        version_scheme=_version_scheme(table.get("version-scheme", "independent")),
        update_sibling_pins=_expect(
            table.get("update-sibling-pins", False), bool, "update-sibling-pins"
        ),
    )


def _release_table(data: dict[str, Any]) -> dict[str, Any]:
    """``[tool.release]``: a table of known keys (empty when absent)."""
    table = data.get("tool", {}).get("release", {})
    if not isinstance(table, dict):
        raise ConfigError(
            "[tool.release] must be a table", hint="write it as a [tool.release] section"
        )
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ConfigError(
            f"unknown [tool.release] key(s): {', '.join(unknown)}",
            hint=f"known keys: {', '.join(KEYS)}",
        )
    return table


def _optional(project: Path, table: dict[str, Any]) -> dict[str, Any]:
    """The optional string keys: each absent, or a non-empty string that is valid where it goes."""
    optional = {
        k: table.get(k)
        for k in ("repository", "index-url", "branch", "changelog", "extra-index-url")
    }
    for key, value in optional.items():
        if value is not None and not _expect(value, str, key).strip():
            raise ConfigError(
                f"[tool.release] {key} is empty", hint=f"remove {key} or give a value"
            )
    if optional["changelog"] is not None:
        inside(project, optional["changelog"], "changelog")
    if optional["branch"] is not None and ref_problem(optional["branch"]):
        raise ConfigError(
            f"[tool.release] branch {optional['branch']!r} is not a valid branch name: "
            f"it {ref_problem(optional['branch'])}",
            hint="name the branch releases are made from, e.g. main",
        )
    return optional


def _test_requirements(value: Any) -> tuple[str, ...] | None:
    """``test-requirements``: a list of requirement strings, or None when unset."""
    if value is None:
        return None
    for item in _expect(value, list, "test-requirements"):
        _expect(item, str, "test-requirements entry")
    return tuple(value)


def _packages(project: Path, value: Any) -> tuple[str, ...]:
    """``packages``: directories inside the repository, each named once."""
    for item in _expect(value, list, "packages"):
        if not _expect(item, str, "packages entry").strip():
            raise ConfigError(
                "[tool.release] packages has an empty entry", hint='packages = ["core", "lib"]'
            )
        inside(project, item, "packages entry")
    return tuple(value)


def _version_scheme(value: Any) -> str:
    """``version-scheme``: independent (the default) or lockstep."""
    if value not in VERSION_SCHEMES:
        raise ConfigError(
            f"[tool.release] version-scheme must be independent or lockstep, not {value!r}",
            hint='version-scheme = "lockstep" releases every package at one shared version',
        )
    return str(value)


def _auto_parts(value: Any) -> tuple[tuple[str, str], ...]:
    """``auto-parts``: a table of fragment type -> major, minor or patch."""
    _expect(value, dict, "auto-parts")
    for kind, part in value.items():
        if part not in ("major", "minor", "patch"):
            raise ConfigError(
                f"[tool.release] auto-parts: {kind} = {part!r} is not a part",
                hint=f'use major, minor or patch, e.g. auto-parts = {{{kind} = "minor"}}',
            )
    return tuple(sorted(value.items()))


_HOOK_EXAMPLE = 'for example [tool.release.hooks] before-commit = ["python scripts/stamp.py"]'


def _hooks(value: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``[tool.release.hooks]``: each stage a list of non-empty commands that shlex can split."""
    if not isinstance(value, dict):
        raise ConfigError(
            f"[tool.release] hooks must be a table, not {value!r}", hint=_HOOK_EXAMPLE
        )
    unknown = sorted(set(value) - set(HOOK_STAGES))
    if unknown:
        raise ConfigError(
            f"unknown [tool.release.hooks] key(s): {', '.join(unknown)}",
            hint=f"known hooks: {', '.join(HOOK_STAGES)}",
        )
    stages = []
    for stage in HOOK_STAGES:
        commands = value.get(stage, [])
        if not isinstance(commands, list) or not all(isinstance(c, str) for c in commands):
            raise ConfigError(
                f"[tool.release.hooks] {stage} must be a list of command strings, not {commands!r}",
                hint=_HOOK_EXAMPLE,
            )
        for command in commands:
            _hook_command(stage, command)
        if commands:
            stages.append((stage, tuple(commands)))
    return tuple(stages)


def _hook_command(stage: str, command: str) -> None:
    """Refuse a command that is empty or that ``shlex.split`` cannot split."""
    try:
        words = shlex.split(command)
    except ValueError as exc:
        raise ConfigError(
            f"[tool.release.hooks] {stage}: cannot split {command!r}: {exc}",
            hint="close the quotes; commands run without a shell, split as a POSIX shell would",
        ) from None
    if not words:
        raise ConfigError(f"[tool.release.hooks] {stage} has an empty command", hint=_HOOK_EXAMPLE)


def _after_release_bump(value: Any) -> str | None:
    """``after-release-bump``: only ``"dev"`` (a commit to the next .dev0 version)."""
    if value is None:
        return None
    if value == "dev":
        return "dev"
    raise ConfigError(
        f'[tool.release] after-release-bump must be "dev", not {value!r}',
        hint='after-release-bump = "dev" moves to the next .dev0 version after the release',
    )
