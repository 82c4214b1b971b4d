"""What a project's existing GitHub workflows do: their triggers, jobs, and which publish."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

from .render import CI, RELEASE

PUBLISHES = re.compile(
    r"twine\s+upload|pypa/gh-action-pypi-publish|\buv\s+publish|\brelease\s+ship\b"
    r"|\b(poetry|flit|hatch|pdm)\s+publish|nox\s+-s\s+(release|publish)\b"
)
"""A workflow step that uploads to an index."""


def _on_block(text: str) -> tuple[str, str]:
    """The inline value and the indented block of a workflow's ``on:`` key."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        match = re.match(r"""^["']?(on|true)["']?\s*:(.*)$""", line)
        if not match:
            continue
        block = []
        for nxt in lines[i + 1 :]:
            if nxt.strip() and not nxt.startswith((" ", "\t", "#")):
                break
            block.append(nxt)
        return match.group(2).split("#")[0].strip(), "\n".join(block)
    return "", ""


def _sub_block(block: str, key: str) -> str | None:
    """The lines indented under ``key:`` in ``block`` (None when the key is absent)."""
    lines = block.splitlines()
    for i, line in enumerate(lines):
        match = re.match(rf"^(\s*){key}\s*:(.*)$", line)
        if not match:
            continue
        indent = len(match.group(1))
        out = [match.group(2)]
        for nxt in lines[i + 1 :]:
            if nxt.strip() and len(nxt) - len(nxt.lstrip()) <= indent:
                break
            out.append(nxt)
        return "\n".join(out)
    return None


def _names(block: str) -> list[str]:
    """The items of a YAML list, inline (``[a, b]``) or one per line (``- a``)."""
    items = re.findall(r"\[([^\]]*)\]", block)
    names = [n for group in items for n in group.split(",")]
    names += re.findall(r"^\s*-\s*(.+)$", block, re.M)
    return [n.split("#")[0].strip().strip("'\"") for n in names if n.strip()]


def workflow_triggers(text: str) -> set[str]:
    """What starts a workflow: ``tag``, ``branch:NAME`` (``branch:*``: any) and ``release``."""
    inline, block = _on_block(text)
    events = set(_names(inline) if inline.startswith("[") else [inline] if inline else [])
    found: set[str] = set()
    if "release" in events or _sub_block(block, "release") is not None:
        found.add("release")
    push = _sub_block(block, "push")
    if push is None and "push" not in events:
        return found
    tags = _sub_block(push or "", "tags")
    branches = _sub_block(push or "", "branches")
    if tags is not None:
        found.add("tag")
    if branches is not None:
        found.update(f"branch:{b}" for b in _names(branches))
    if tags is None and branches is None:
        found.update({"tag", "branch:*"})
    return found


def _our_triggers(trigger: str, branch: str) -> set[str]:
    return {
        "tag": {"tag"},
        "main": {f"branch:{branch}"},
        "deploy": {f"branch:{branch}"},
        "release": {"release"},
        "testpypi": {"tag", f"branch:{branch}"},
    }[trigger]


def _overlaps(ours: set[str], theirs: set[str]) -> bool:
    for item in ours:
        if item in theirs:
            return True
        if item.startswith("branch:"):
            name = item.split(":", 1)[1]
            patterns = [t.split(":", 1)[1] for t in theirs if t.startswith("branch:")]
            if any(fnmatch.fnmatchcase(name, p) for p in patterns):
                return True
    return False


def publishing_workflows(root: Path, trigger: str, branch: str) -> list[str]:
    """The existing workflows (other than ours) that publish on the trigger ``init`` sets up."""
    folder = root / ".github" / "workflows"
    ours = _our_triggers(trigger, branch)
    found = []
    for path in sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]):
        rel = path.relative_to(root).as_posix()
        if rel in (CI, RELEASE):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if PUBLISHES.search(text) and _overlaps(ours, workflow_triggers(text)):
            found.append(rel)
    return found


def job_names(text: str) -> list[str]:
    """The job ids of a workflow."""
    jobs = _sub_block(text, "jobs") or ""
    return re.findall(r"^  ([A-Za-z_][\w-]*)\s*:", jobs, re.M)
