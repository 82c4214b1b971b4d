"""Version sources: find them without configuration, read them, rewrite them together.

Every source is a span of one file's text: the version string and nothing else. Rewriting
splices the new version into that span, so every other byte of the file is kept.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from . import git
from .config import Config
from .errors import SourceError
from .values import frozen

_ASSIGN = r"^[ \t]*(?P<name>{names})[ \t]*(?::[^=\n]*)?=[ \t]*(?P<q>['\"])(?P<v>[^'\"\n]*)(?P=q)"
_PY_NAMES = "__version__|VERSION"
_SENTINEL = "releasekit-version-sentinel-0f3c"

_SCM_REQUIRES = re.compile(
    r"^(setuptools[-_]scm|hatch[-_]vcs|setuptools[-_]git[-_]versioning)\b", re.I
)


@frozen
class Source:
    """One place a version is written: ``path`` holds ``raw`` at ``start``."""

    path: Path
    what: str
    start: int
    raw: str
    line: int

    @property
    def end(self) -> int:
        """Offset just past the version string."""
        return self.start + len(self.raw)

    def label(self, root: Path) -> str:
        """``file:line`` relative to the project."""
        try:
            rel = self.path.relative_to(root).as_posix()
        except ValueError:
            rel = self.path.as_posix()
        return f"{rel}:{self.line}"


@frozen
class Discovery:
    """What the project's version comes from: files, or the VCS (``vcs`` names the plugin)."""

    sources: tuple[Source, ...]
    vcs: str | None


def read_text(path: Path) -> str:
    """A file's text with its line endings untouched."""
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise SourceError(f"{path} does not exist") from None
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path} is not UTF-8: {exc}") from None


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _lookup(data: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _quick_span(text: str, keys: tuple[str, ...]) -> tuple[int, str] | None:
    """Where the value at ``keys`` starts in ``text``, found without tomlkit, or None.

    Each place the value is written as a plain one-line string is tried: the one where a
    sentinel in its place makes the parsed document hold the sentinel at ``keys`` is it.
    """
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    value = _lookup(tomllib.loads(text), keys)
    if not isinstance(value, str) or not value:
        return None
    found = []
    for match in re.finditer(re.escape(value), text):
        start, end = match.span()
        quote = text[start - 1 : start]
        if quote not in ("'", '"') or text[end : end + 1] != quote:
            continue
        if text[start - 2 : start - 1] == quote or text[end + 1 : end + 2] == quote:
            continue  # a multi-line string: tomlkit decides below
        try:
            doc = tomllib.loads(text[:start] + _SENTINEL + text[end:])
        except tomllib.TOMLDecodeError:
            continue
        if _lookup(doc, keys) == _SENTINEL:
            found.append(start)
    return (found[0], value) if len(found) == 1 else None


def _toml_source(path: Path, text: str, keys: tuple[str, ...]) -> Source | None:
    """Locate the string at ``keys`` in TOML ``text`` by writing a sentinel in its place."""
    quick = _quick_span(text, keys)
    if quick is not None:
        start, value = quick
        what = "[" + ".".join(keys[:-1]) + "]." + keys[-1]
        return Source(path, what, start, value, _line_of(text, start))
    # tomlkit (slow to import) only for what the plain reader cannot place
    import tomlkit
    from tomlkit.items import String, StringType

    doc = tomlkit.parse(text)
    container: Any = doc
    for key in keys[:-1]:
        if key not in container:
            return None
        container = container[key]
    item = container.get(keys[-1]) if hasattr(container, "get") else None
    if item is None:
        return None
    what = "[" + ".".join(keys[:-1]) + "]." + keys[-1]
    if not isinstance(item, String):
        raise SourceError(f"{path}: {what} is not a string: {item!r}")
    value = str(item)
    literal = item.type in (StringType.SLL, StringType.MLL)
    container[keys[-1]] = tomlkit.string(_SENTINEL, literal=literal)
    start = tomlkit.dumps(doc).find(_SENTINEL)
    if start < 0 or text[start : start + len(value)] != value:
        raise SourceError(
            f"{path}: {what} = {value!r} is written in a form we cannot rewrite in place",
            hint='write it as a plain one-line string, e.g. version = "1.2.3"',
        )
    return Source(path, what, start, value, _line_of(text, start))


def _assignment(path: Path, names: str, what: str) -> Source:
    text = read_text(path)
    match = re.search(_ASSIGN.format(names=names), text, re.MULTILINE)
    if match is None:
        raise SourceError(
            f'{path} has no version assignment ({names.replace("|", " or ")} = "...")',
            hint='add a line such as __version__ = "0.1.0"',
        )
    start = match.start("v")
    return Source(path, what, start, match.group("v"), _line_of(text, start))


def _plain_file(path: Path, what: str) -> Source:
    text = read_text(path)
    raw = text.strip()
    start = text.find(raw) if raw else 0
    return Source(path, what, start, raw, _line_of(text, start))


def _module_file(project: Path, module: str) -> Path | None:
    rel = module.replace(".", "/")
    for base in ("", "src/"):
        for candidate in (f"{base}{rel}/__init__.py", f"{base}{rel}.py"):
            if (project / candidate).is_file():
                return project / candidate
    return None


def _attr_source(project: Path, attr: str, what: str) -> Source:
    module, _, name = attr.strip().rpartition(".")
    path = _module_file(project, module) if module else None
    if path is None:
        raise SourceError(
            f"{what} names {attr!r} but no module file for {module or attr!r} was found",
            hint=f"create {module.replace('.', '/')}/__init__.py or fix the attr",
        )
    return _assignment(path, re.escape(name), f"{what} ({name})")


def _setup_cfg(project: Path) -> Source | None:
    path = project / "setup.cfg"
    if not path.is_file():
        return None
    text = read_text(path)
    section = re.search(r"^\[metadata\][ \t]*\r?$(?P<body>.*?)(?=^\[|\Z)", text, re.M | re.S)
    if section is None:
        return None
    match = re.search(
        r"^version[ \t]*[=:][ \t]*(?P<v>[^\r\n]*?)[ \t]*\r?$", section.group("body"), re.M
    )
    if match is None:
        return None
    value = match.group("v")
    if value.startswith("attr:"):
        return _attr_source(project, value[5:], "setup.cfg [metadata] version = attr:")
    if value.startswith("file:"):
        return _plain_file(project / value[5:].strip(), "setup.cfg [metadata] version = file:")
    start = section.start("body") + match.start("v")
    return Source(path, "setup.cfg [metadata] version", start, value, _line_of(text, start))


def _scm(data: dict[str, Any]) -> str | None:
    project = data.get("project", {})
    if "version" in project and "version" not in project.get("dynamic", []):
        return None  # a static [project].version wins over any VCS plugin
    tool = data.get("tool", {})
    if tool.get("hatch", {}).get("version", {}).get("source") == "vcs":
        return "hatch-vcs"
    if tool.get("pdm", {}).get("version", {}).get("source") == "scm":
        return "pdm-backend scm"
    dynamic = "version" in data.get("project", {}).get("dynamic", [])
    if "setuptools_scm" in tool or "setuptools-scm" in tool:
        return "setuptools-scm"
    requires = data.get("build-system", {}).get("requires", [])
    if dynamic and any(_SCM_REQUIRES.match(r.strip()) for r in requires):
        return "setuptools-scm"
    return None


def _from_pyproject(project: Path, data: dict[str, Any]) -> Iterable[Source]:
    path = project / "pyproject.toml"
    if not data:
        return
    text = read_text(path)
    table = data.get("project", {})
    if "version" in table:
        found = _toml_source(path, text, ("project", "version"))
        if found:
            yield found
    tool = data.get("tool", {})
    if "version" in tool.get("poetry", {}):
        found = _toml_source(path, text, ("tool", "poetry", "version"))
        if found:
            yield found
    hatch = tool.get("hatch", {}).get("version", {})
    if "path" in hatch and hatch.get("source", "regex") == "regex":
        yield _assignment(project / hatch["path"], _PY_NAMES, "[tool.hatch.version].path")
    attr = tool.get("setuptools", {}).get("dynamic", {}).get("version", {})
    if isinstance(attr, dict) and "attr" in attr:
        yield _attr_source(project, attr["attr"], "[tool.setuptools.dynamic].version.attr")
    if isinstance(attr, dict) and "file" in attr:
        files = attr["file"] if isinstance(attr["file"], list) else [attr["file"]]
        for name in files:
            yield _plain_file(project / name, "[tool.setuptools.dynamic].version.file")
    pdm = tool.get("pdm", {}).get("version", {})
    if pdm.get("source") == "file" and "path" in pdm:
        yield _assignment(project / pdm["path"], _PY_NAMES, "[tool.pdm.version].path")
    backend = data.get("build-system", {}).get("build-backend", "")
    if backend.startswith("flit") and "version" in table.get("dynamic", []):
        module = tool.get("flit", {}).get("module", {}).get("name")
        module = module or str(table.get("name", "")).replace("-", "_").replace(".", "_")
        module_path = _module_file(project, module)
        if module_path is None:
            raise SourceError(
                f"flit module {module!r} not found (looked for {module}/__init__.py and {module}.py)",
                hint="set [tool.flit.module] name, or add the module",
            )
        yield _assignment(module_path, _PY_NAMES, "flit module __version__")


def _configured(project: Path, names: Iterable[str]) -> Iterable[Source]:
    for name in names:
        path = project / name
        if not path.is_file():
            raise SourceError(
                f"version file {name} is listed in [tool.release] version-files but does not exist",
                hint="create it, or remove it from version-files",
            )
        text = read_text(path)
        if re.fullmatch(r"\s*v?\d[^\s]*\s*", text):
            yield _plain_file(path, "[tool.release] version-files")
        else:
            yield _assignment(path, r"__version__|VERSION|version", "[tool.release] version-files")


def boundary(project: Path) -> Path:
    """The directory every file we rewrite must be in: the repository, else the project."""
    top = git.find_root(project)
    return (top or project).resolve()


def real_path(path: Path, top: Path, what: str) -> Path:
    """The file ``path`` names after following symlinks; refused when it is outside ``top``.

    A version file that is a link is rewritten through the link, so the link stays a link.
    """
    target = path.resolve()
    if target.is_relative_to(top) and ".git" not in target.relative_to(top).parts:
        return target
    linked = target != Path(os.path.abspath(path))
    where = f"is a symbolic link to {target.as_posix()}" if linked else f"is {target.as_posix()}"
    raise SourceError(
        f"{what} {where}, outside the repository {top.as_posix()}",
        hint="point it at a file inside the repository, or list that file instead",
    )


def scm_plugin(pyproject: dict[str, Any]) -> str | None:
    """The VCS plugin the version comes from (setuptools-scm, hatch-vcs, ...), or None."""
    return _scm(pyproject)


def discover(config: Config) -> Discovery:
    """Find every version source of the project, or the VCS plugin that derives it."""
    project = config.project
    data = config.pyproject
    found: list[Source] = []
    vcs = _scm(data)
    if vcs is None:
        found.extend(_from_pyproject(project, data))
        cfg = _setup_cfg(project)
        if cfg is not None:
            found.append(cfg)
    found.extend(_configured(project, config.version_files))
    top = boundary(project)
    unique: dict[tuple[Path, int], Source] = {}
    for source in found:
        real = real_path(source.path, top, f"version source {source.label(project)}")
        unique.setdefault((real, source.start), source)
    sources = tuple(unique.values())
    if not sources and vcs is None:
        raise SourceError(
            f"no version found in {project}",
            hint="set [project] version in pyproject.toml, or list files in [tool.release] version-files",
        )
    return Discovery(sources, vcs)


def agreed_version(sources: Iterable[Source], root: Path) -> Version:
    """The one version every source holds; disagreement lists each file, line and value."""
    sources = tuple(sources)
    versions: list[Version] = []
    for source in sources:
        try:
            versions.append(Version(source.raw))
        except InvalidVersion:
            raise SourceError(
                f"{source.label(root)}: {source.raw!r} is not a valid PEP 440 version ({source.what})",
                hint="write a version such as 1.2.3, then run the command again",
            ) from None
    if len(set(versions)) > 1:
        lines = "; ".join(f"{s.label(root)} has {s.raw} ({s.what})" for s in sources)
        raise SourceError(
            f"version sources disagree: {lines}",
            hint="make them equal (release bump rewrites them all together)",
        )
    return versions[0]


def rewritten(sources: Iterable[Source], new: str) -> Mapping[Path, bytes]:
    """The new bytes of every file that holds a source, with each version replaced by ``new``.

    Keyed by each file's real path: through a symlink, the link's target is rewritten.
    """
    by_path: dict[Path, list[Source]] = {}
    for source in sources:
        by_path.setdefault(source.path.resolve(), []).append(source)
    result: dict[Path, bytes] = {}
    for path, group in by_path.items():
        text = read_text(path)
        for source in sorted(group, key=lambda s: s.start, reverse=True):
            if text[source.start : source.end] != source.raw:
                raise SourceError(f"{source.label(path.parent)} changed while we were reading it")
            text = text[: source.start] + new + text[source.end :]
        result[path] = text.encode("utf-8")
    return result
