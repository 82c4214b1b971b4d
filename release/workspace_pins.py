"""Requirements between a workspace's packages: checked against the new versions, and moved.

A requirement that excludes a sibling's new version is refused, or with
``update-sibling-pins`` rewritten keeping its operators; a requirement on a sibling that is
not released must be met by a version some index has. Pure: no files, no index.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import Specifier, SpecifierSet
from packaging.version import Version

from .dists import normalize
from .values import frozen
from .workspace import Package, Workspace
from .workspace_graph import sibling_requirements

Problem = tuple[str, str]
"""A refusal's message and hint."""


@frozen
class PinRewrite:
    """A requirement on a sibling rewritten to admit the sibling's new version."""

    package: str
    directory: str
    old: str
    new: str
    sibling: str


def check(
    workspace: Workspace,
    targets: Mapping[str, Version],
    available: Mapping[str, frozenset[Version]] | None,
) -> tuple[list[PinRewrite], list[Problem]]:
    """Every requirement on a sibling, checked against the versions it will meet: the pins
    to rewrite, and the problems as (message, hint)."""
    names = [p.name for p in workspace.packages]
    rewrites, refusals = [], []
    for p in workspace.packages:
        for raw, req in sibling_requirements(p, names):
            sibling = normalize(req.name)
            if sibling in targets:
                new = targets[sibling]
                if req.specifier.contains(new, prereleases=True):
                    continue
                found = _excluding_pin(workspace, p, raw, sibling, new)
                if isinstance(found, tuple):
                    refusals.append(found)
                else:
                    rewrites.append(found)
            elif p.name in targets and available is not None:
                refusal = _unavailable(p, raw, req.specifier, sibling, available)
                if refusal is not None:
                    refusals.append(refusal)
    return rewrites, refusals


def _excluding_pin(
    workspace: Workspace, p: Package, raw: str, sibling: str, new: Version
) -> PinRewrite | Problem:
    where = f"{p.directory}/pyproject.toml"
    if not workspace.update_sibling_pins:
        return (
            f"{p.name} requires {raw!r} ({where}), which excludes {sibling} {new}",
            "widen the requirement, or set update-sibling-pins = true in [tool.release] "
            "to have it rewritten in the release commit",
        )
    rewritten = rewrite_pin(raw, new)
    if rewritten is None:
        return (
            f"{p.name} requires {raw!r} ({where}), which excludes {sibling} {new} and "
            "cannot be rewritten keeping its operators",
            "change the requirement by hand so that it admits the new version",
        )
    return PinRewrite(p.name, p.directory, raw, rewritten, sibling)


def _unavailable(
    p: Package,
    raw: str,
    specifier: SpecifierSet,
    sibling: str,
    available: Mapping[str, frozenset[Version]],
) -> Problem | None:
    versions = available.get(sibling)
    if versions is None or any(specifier.contains(v, prereleases=True) for v in versions):
        return None
    return (
        f"{p.name} requires {raw!r}, but no version of {sibling} it admits is on the index "
        f"and {sibling} is not in this release",
        f"add --package {sibling} to release it too, or change the requirement",
    )


# --- sibling pins ---

_VERSION_CHARS = r"(?![\w.*+!-])"


def rewrite_pin(raw: str, new: Version) -> str | None:
    """``raw`` with each specifier that excludes ``new`` moved to admit it, keeping its operator.

    ===========  ===============  ============================================
    operator     lib 0.2.0 -> 0.3.0  rule
    ===========  ===============  ============================================
    ``==``       ``==0.3.0``      the new version (``==0.2.*`` -> ``==0.3.*``)
    ``~=``       ``~=0.3``        the new version, as many parts as written
    ``<=``       ``<=0.3.0``      the new version
    ``<``        ``<0.4``         the new version's next, as many parts as written
    ``!=``, ``>``  ``>=``         none: refused (they never exclude a newer version by accident)
    ===========  ===============  ============================================

    None when it cannot be rewritten. Every byte but the changed versions is kept.
    """
    try:
        req = Requirement(raw)
    except InvalidRequirement:
        return None
    text = raw
    for spec in req.specifier:
        if spec.contains(new, prereleases=True):
            continue
        moved = _moved(spec, new)
        if moved is None:
            return None
        pattern = (
            r"(?<![=<>!~])" + re.escape(spec.operator) + r"(\s*)" + re.escape(spec.version)
        ) + _VERSION_CHARS
        if len(re.findall(pattern, text)) != 1:
            return None
        text = re.sub(pattern, _splice(spec.operator, moved), text)
    try:
        rewritten = Requirement(text)
    except InvalidRequirement:  # pragma: no cover - a version swapped for a version
        return None
    if not rewritten.specifier.contains(new, prereleases=True):
        return None
    return text


def _splice(operator: str, version: str) -> Callable[[re.Match[str]], str]:
    """A ``re.sub`` replacement: the operator, the spaces as written, the new version."""
    return lambda m: operator + m.group(1) + version


def _moved(spec: Specifier, new: Version) -> str | None:
    """The version ``spec`` needs to admit ``new`` with its own operator, or None."""
    written = spec.version
    if spec.operator in ("==", "===") and written.endswith(".*"):
        width = len(written[:-2].split("."))
        return ".".join(str(n) for n in _release(new, width)) + ".*"
    if spec.operator in ("==", "===", "<="):
        return str(new)
    if spec.operator == "~=":
        return ".".join(str(n) for n in _release(new, len(Version(written).release)))
    if spec.operator == "<":
        parts = list(_release(new, len(Version(written).release)))
        parts[-1] += 1
        return ".".join(str(n) for n in parts)
    return None


def _release(version: Version, width: int) -> tuple[int, ...]:
    return (*version.release, *([0] * width))[:width]
