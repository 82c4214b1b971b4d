"""Tag names: git's rules for a ref name, and ``[tool.release] tag-format`` checked against them."""

from __future__ import annotations

import re
import string

from .errors import ConfigError

_REF_BAD = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//")


def ref_problem(name: str) -> str | None:
    """Why ``name`` cannot be a git tag name (``git check-ref-format`` rules), or None."""
    bad = _REF_BAD.search(name)
    if bad:
        what = {" ": "a space", "..": "'..'", "@{": "'@{'", "//": "'//'"}.get(bad.group())
        return f"contains {what or repr(bad.group())}"
    if name in ("", "@") or name.startswith(("-", "/")) or name.endswith(("/", ".")):
        return "is not a valid tag name (it is empty, '@', or starts or ends wrongly)"
    if any(part.startswith(".") or part.endswith(".lock") for part in name.split("/")):
        return "has a part that starts with '.' or ends with '.lock'"
    return None


TAG_FIELDS = ("version", "name")


def tag_format(raw: str, name: str | None) -> str:
    """``tag-format`` checked, with ``{name}`` filled in; a ConfigError says what is wrong."""
    example = 'for example tag-format = "v{version}" or "{name}-v{version}"'
    try:
        parts = list(string.Formatter().parse(raw))
    except ValueError as exc:
        raise ConfigError(
            f"[tool.release] tag-format {raw!r} is malformed: {exc}", hint=example
        ) from None
    fields = [f for _, f, _, _ in parts if f is not None]
    unknown = sorted({f for f in fields if f not in TAG_FIELDS})
    if unknown:
        raise ConfigError(
            f"[tool.release] tag-format {raw!r} has unknown placeholder(s): "
            + ", ".join(f"{{{f}}}" for f in unknown),
            hint=f"only {{version}} and {{name}} are known; {example}",
        )
    if any(spec or conv for _, f, spec, conv in parts if f is not None):
        raise ConfigError(
            f"[tool.release] tag-format {raw!r} has a conversion or format spec", hint=example
        )
    if fields.count("version") != 1 or any(lit and ("{" in lit or "}" in lit) for lit, *_ in parts):
        raise ConfigError(
            f"[tool.release] tag-format {raw!r} must have {{version}} exactly once and no other braces",
            hint=example,
        )
    if "name" in fields and not name:
        raise ConfigError(
            f"[tool.release] tag-format {raw!r} uses {{name}} but the project declares no name",
            hint='set [project] name = "..." in pyproject.toml',
        )
    resolved = "".join(
        lit + ("{version}" if f == "version" else (name or "") if f == "name" else "")
        for lit, f, _, _ in parts
    )
    problem = ref_problem(resolved.format(version="1.2.3"))
    if problem:
        raise ConfigError(
            f"[tool.release] tag-format {raw!r} makes tags like "
            f"{resolved.format(version='1.2.3')!r}, which git refuses: it {problem}",
            hint=example,
        )
    return resolved
