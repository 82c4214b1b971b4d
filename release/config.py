"""``[tool.release]`` in pyproject.toml, plus flags and environment, as one frozen object."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

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
    "test-requirements",
    "require-tests",
)


@dataclass(frozen=True)
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
    test_requirements: tuple[str, ...] | None = None
    require_tests: bool = False
    pyproject: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def tag(self, version: object) -> str:
        """The tag name for ``version``."""
        return self.tag_format.format(version=version)


def read_pyproject(project: Path) -> dict[str, Any]:
    """Parse pyproject.toml, or return {} when there is none."""
    path = project / "pyproject.toml"
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8: {exc}") from None
    try:
        data: dict[str, Any] = tomllib.loads(text)
        return data
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid TOML: {exc}", hint="fix the syntax, then run the command again"
        ) from None


def _expect(value: Any, kind: type | tuple[type, ...], key: str) -> Any:
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ConfigError(f"[tool.release] {key} must be a {names}, not {value!r}")
    return value


def load(project: Path) -> Config:
    """Read ``[tool.release]`` of the project in ``project``."""
    project = project.resolve()
    if not project.is_dir():
        raise ConfigError(f"project directory {project} does not exist")
    data = read_pyproject(project)
    table = data.get("tool", {}).get("release", {})
    if not isinstance(table, dict):
        raise ConfigError("[tool.release] must be a table")
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ConfigError(
            f"unknown [tool.release] key(s): {', '.join(unknown)}",
            hint=f"known keys: {', '.join(KEYS)}",
        )
    tag_format = _expect(table.get("tag-format", "v{version}"), str, "tag-format")
    if "{version}" not in tag_format:
        raise ConfigError(
            f"[tool.release] tag-format {tag_format!r} has no {{version}}",
            hint='for example tag-format = "v{version}"',
        )
    files = _expect(table.get("version-files", []), list, "version-files")
    for item in files:
        _expect(item, str, "version-files entry")
    optional = {
        k: table.get(k)
        for k in ("repository", "index-url", "branch", "changelog", "extra-index-url")
    }
    for key, value in optional.items():
        if value is not None:
            _expect(value, str, key)
    test_requirements = table.get("test-requirements")
    if test_requirements is not None:
        for item in _expect(test_requirements, list, "test-requirements"):
            _expect(item, str, "test-requirements entry")
        test_requirements = tuple(test_requirements)
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
        test_requirements=test_requirements,
        require_tests=_expect(table.get("require-tests", False), bool, "require-tests"),
        pyproject=data,
    )
