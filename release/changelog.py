"""Keep a Changelog rotation: pure text in, text out."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from .values import frozen

NAMES = ("CHANGELOG.md", "CHANGES.md", "HISTORY.md", "NEWS.md")

_UNRELEASED = re.compile(r"^##[ \t]*\[?unreleased\]?[ \t]*\r?$", re.IGNORECASE)
_UNRELEASED_LINK = re.compile(
    r"^\[unreleased\]:[ \t]*(?P<base>\S+/compare/)(?P<old>\S+?)\.\.\.(?P<head>\S+?)[ \t]*(?P<eol>\r?)$",
    re.IGNORECASE,
)
_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})")
_LINK_DEFINITION = re.compile(r"^\[[^\]]+\]:")
_ENTRY = re.compile(r"^[-*+][ \t]+(?P<text>\S.*?)\r?$")


@frozen
class Line:
    """A line of the changelog outside any fenced code block, and where it starts."""

    start: int
    text: str  # without its line ending


def lines_outside_fences(text: str) -> list[Line]:
    """The lines that are Markdown, not code: fences and what is inside them are left out."""
    found: list[Line] = []
    fence: str | None = None
    start = 0
    for raw in text.splitlines(keepends=True):
        line = raw.rstrip("\r\n")
        opening = _FENCE.match(line)
        if fence is None and opening is not None:
            fence = opening.group("fence")
        elif fence is not None:
            stripped = line.strip()
            if stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0]):
                fence = None
        else:
            found.append(Line(start, line))
        start += len(raw)
    return found


def _unreleased_heading(text: str) -> Line | None:
    return next((ln for ln in lines_outside_fences(text) if _UNRELEASED.match(ln.text)), None)


@frozen
class Rotation:
    """The result of rotating a changelog: the new text and whether links were updated."""

    text: str
    links_updated: bool


def find(project: Path, configured: str | None) -> Path | None:
    """The changelog file: the configured one, else the first of NAMES that exists."""
    if configured:
        return project / configured
    for name in NAMES:
        if (project / name).is_file():
            return project / name
    return None


def has_unreleased(text: str) -> bool:
    """Whether the text has a ``## [Unreleased]`` heading."""
    return _unreleased_heading(text) is not None


def has_version(text: str, version: str) -> bool:
    """Whether the text already has a section for ``version``."""
    pattern = re.compile(rf"^##[ \t]*\[?{re.escape(version)}\]?(?:[ \t]|$)")
    return any(pattern.match(ln.text) for ln in lines_outside_fences(text))


def rotate(text: str, version: str, date: str, tag: str) -> Rotation:
    """Turn ``## [Unreleased]`` into ``## [version] - date`` under a fresh empty Unreleased.

    When the bottom has an ``[Unreleased]: .../compare/OLD...HEAD`` link, it moves to
    ``compare/TAG...HEAD`` and a ``[version]: .../compare/OLD...TAG`` link is added.
    """
    found = _unreleased_heading(text)
    if found is None:
        raise ValueError("no ## [Unreleased] heading")
    newline = "\r\n" if "\r\n" in text else "\n"
    heading = found.text
    new_heading = f"{heading}{newline}{newline}## [{version}] - {date}"
    text = text[: found.start] + new_heading + text[found.start + len(heading) :]
    for line in lines_outside_fences(text):
        link = _UNRELEASED_LINK.match(line.text)
        if link is None:
            continue
        base, old, head = link.group("base", "old", "head")
        links = f"[Unreleased]: {base}{tag}...{head}{newline}[{version}]: {base}{old}...{tag}"
        end = line.start + len(line.text)
        return Rotation(text[: line.start] + links + text[end:], True)
    return Rotation(text, False)


def notes_for(text: str, version: str) -> str:
    """The notes ``version`` is released with: its hand-written section, else [Unreleased]."""
    if has_version(text, version):
        return section(text, version) or ""
    return unreleased(text) or ""


def section(text: str, version: str) -> str | None:
    """The body of ``version``'s section, without its heading, or None when absent."""
    heading = re.compile(rf"^##[ \t]*\[?{re.escape(version)}\]?(?:[ \t]|\r?$)")
    return _body(text, lambda line: heading.match(line) is not None)


def _body(text: str, is_heading: Callable[[str], bool]) -> str | None:
    """The text between the first heading ``is_heading`` accepts and the next ``##`` or link."""
    outside = lines_outside_fences(text)
    for i, line in enumerate(outside):
        if not is_heading(line.text):
            continue
        start = line.start + len(line.text)
        end = len(text)
        for later in outside[i + 1 :]:
            if re.match(r"##[ \t]|##\r?$", later.text) or _LINK_DEFINITION.match(later.text):
                end = later.start
                break
        return text[start:end].strip()
    return None


def unreleased(text: str) -> str | None:
    """The body of the ``[Unreleased]`` section, or None when there is none."""
    return _body(text, lambda line: _UNRELEASED.match(line) is not None)


def unreleased_entries(text: str) -> list[tuple[str, str]]:
    """The ``(subsection, entry)`` pairs of ``[Unreleased]``; code blocks are not entries."""
    body = unreleased(text)
    if body is None:
        return []
    entries = []
    subsection = ""
    for line in lines_outside_fences(body):
        if line.text.startswith("###"):
            subsection = line.text.lstrip("#").strip()
        else:
            match = _ENTRY.match(line.text)
            if match is not None:
                entries.append((subsection, match.group("text")))
    return entries


def titled_section(text: str, version: str) -> str | None:
    """The body under the first Markdown heading that names ``version`` (towncrier's titles).

    towncrier titles a section as its template says (``# name 1.2.4 (2026-11-22)``); the body
    runs to the next heading of the same or a higher level.
    """
    token = re.compile(rf"(?<![\w.]){re.escape(version)}(?!\w|\.\w)")
    outside = lines_outside_fences(text)
    for i, line in enumerate(outside):
        level = len(line.text) - len(line.text.lstrip("#"))
        if not (0 < level <= 6 and line.text[level : level + 1] in (" ", "\t")):
            continue
        if token.search(line.text) is None:
            continue
        end = len(text)
        for later in outside[i + 1 :]:
            depth = len(later.text) - len(later.text.lstrip("#"))
            if 0 < depth <= level and later.text[depth : depth + 1] in (" ", "\t", ""):
                end = later.start
                break
        return text[line.start + len(line.text) : end].strip()
    return None
