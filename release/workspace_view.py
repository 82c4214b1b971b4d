"""What ``status`` and ``--json`` show of a workspace: the package table and the document."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from packaging.version import Version

    from .workspace import Workspace
    from .workspace_plan import Decision, Parts


def rows(ws: Workspace, parts: Parts) -> list[dict[str, str]]:
    """One row per package: what status shows and ``--json`` carries."""
    return [
        {
            "name": p.name,
            "directory": p.directory,
            "version": str(p.current) if p.current is not None else f"? ({p.problem})",
            "next": next_of(p.current, parts.of(p.name)),
            "last_tag": p.last_tag or "-",
            "changed": "yes" if p.changed else "no",
        }
        for p in ws.packages
    ]


def next_of(current: Version | None, part: str) -> str:
    """The version ``part`` gives, or ``?`` where it cannot be known."""
    from .errors import UsageError
    from .version import next_version

    if current is None:
        return "?"
    if part == "auto":
        return "? (nothing unreleased)"
    try:
        return str(next_version(current, part))
    except UsageError:
        return "?"


HEADINGS = {
    "name": "package",
    "directory": "directory",
    "version": "version",
    "next": "next",
    "last_tag": "last tag",
    "changed": "changed",
}


def table(rows: list[dict[str, str]]) -> list[str]:
    """Rows as aligned columns under a heading line."""
    widths = {k: max(len(h), *(len(r[k]) for r in rows)) for k, h in HEADINGS.items()}
    lines = ["  ".join(h.ljust(widths[k]) for k, h in HEADINGS.items()).rstrip()]
    lines.extend("  ".join(r[k].ljust(widths[k]) for k in HEADINGS).rstrip() for r in rows)
    return lines


def document(
    ws: Workspace, decision: Decision, rows: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    """The ``workspace`` object of the ``--json`` document."""
    return {
        "root": str(ws.root),
        "kind": ws.kind,
        "lockstep": ws.lockstep,
        "packages": rows or [],
        "releases": [
            {
                "name": r.name,
                "directory": r.directory,
                "current": str(r.current),
                "next": str(r.version),
                "tag": r.tag,
                "why": r.why,
            }
            for r in decision.releases
        ],
        "rewrites": [{"package": w.package, "old": w.old, "new": w.new} for w in decision.rewrites],
        "refusals": [{"message": r.message, "hint": r.hint} for r in decision.refusals],
    }
