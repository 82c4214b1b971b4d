"""Keep a Changelog rotation: pure text in, text out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

NAMES = ("CHANGELOG.md", "CHANGES.md", "HISTORY.md", "NEWS.md")

_UNRELEASED = re.compile(r"^##[ \t]*\[?unreleased\]?[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
_UNRELEASED_LINK = re.compile(
    r"^\[unreleased\]:[ \t]*(?P<base>\S+/compare/)(?P<old>\S+?)\.\.\.(?P<head>\S+?)[ \t]*(?P<eol>\r?)$",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass(frozen=True)
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
    return _UNRELEASED.search(text) is not None


def has_version(text: str, version: str) -> bool:
    """Whether the text already has a section for ``version``."""
    pattern = rf"^##[ \t]*\[?{re.escape(version)}\]?(?:[ \t]|$)"
    return re.search(pattern, text, re.MULTILINE) is not None


def rotate(text: str, version: str, date: str, tag: str) -> Rotation:
    """Turn ``## [Unreleased]`` into ``## [version] - date`` under a fresh empty Unreleased.

    When the bottom has an ``[Unreleased]: .../compare/OLD...HEAD`` link, it moves to
    ``compare/TAG...HEAD`` and a ``[version]: .../compare/OLD...TAG`` link is added.
    """
    match = _UNRELEASED.search(text)
    if match is None:
        raise ValueError("no ## [Unreleased] heading")
    newline = "\r\n" if "\r\n" in text else "\n"
    heading = match.group(0).rstrip("\r")
    new_heading = f"{heading}{newline}{newline}## [{version}] - {date}"
    text = text[: match.start()] + new_heading + text[match.start() + len(heading) :]
    link = _UNRELEASED_LINK.search(text)
    if link is None:
        return Rotation(text, False)
    base, old, head, eol = link.group("base", "old", "head", "eol")
    links = f"[Unreleased]: {base}{tag}...{head}{newline}[{version}]: {base}{old}...{tag}{eol}"
    return Rotation(text[: link.start()] + links + text[link.end() :], True)


def unreleased_body(text: str) -> str | None:
    """The body of the ``## [Unreleased]`` section, stripped, or None when there is none."""
    match = _UNRELEASED.search(text)
    if match is None:
        return None
    rest = text[match.end() :]
    end = re.search(r"^##[ \t]|^\[[^\]]+\]:", rest, re.MULTILINE)
    return (rest[: end.start()] if end else rest).strip()


def notes_for(text: str, version: str) -> str:
    """The notes ``version`` is released with: its hand-written section, else [Unreleased]."""
    if has_version(text, version):
        return section(text, version) or ""
    return unreleased_body(text) or ""


def section(text: str, version: str) -> str | None:
    """The body of ``version``'s section, without its heading, or None when absent."""
    pattern = (
        rf"^##[ \t]*\[?{re.escape(version)}\]?[^\n]*\n(?P<body>.*?)(?=^##[ \t]|^\[[^\]]+\]:|\Z)"
    )
    match = re.search(pattern, text, re.MULTILINE | re.DOTALL)
    return match.group("body").strip() if match else None
