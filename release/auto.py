"""``--part auto``: which part the unreleased changes call for. Pure functions, no I/O.

The readers in ``unreleased.py`` turn fragments, a Keep a Changelog ``[Unreleased]`` section or
commit subjects into ``Change`` values; ``decide`` picks the bump from them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence

from packaging.version import Version

from .decision import AUTO as AUTO  # re-exported: callers know them here
from .decision import Decision as Decision
from .errors import UsageError
from .values import frozen

LEVELS = ("patch", "minor", "major")
"""The parts ``auto`` chooses between, lowest first."""

FRAGMENT_PARTS: Mapping[str, str] = {
    "breaking": "major",
    "removal": "major",
    "removed": "major",
    "feature": "minor",
    "added": "minor",
    "changed": "minor",
    "deprecation": "minor",
    "deprecated": "minor",
    "bugfix": "patch",
    "fix": "patch",
    "fixed": "patch",
    "security": "patch",
    "doc": "patch",
    "docs": "patch",
    "misc": "patch",
}
"""towncrier fragment type -> part; ``[tool.release] auto-parts`` adds to and overrides it."""

CHANGELOG_PARTS: Mapping[str, str] = {
    "removed": "major",
    "added": "minor",
    "changed": "minor",
    "deprecated": "minor",
    "fixed": "patch",
    "security": "patch",
}
"""Keep a Changelog ``###`` subsection -> part; an entry starting BREAKING is major."""

COMMIT_PARTS: Mapping[str, str] = {"feat": "minor", "fix": "patch", "perf": "patch"}
"""Conventional Commit type -> part; ``!`` or a BREAKING CHANGE footer is major; others none."""

_SUBJECT = re.compile(
    r"^(?P<type>[A-Za-z][A-Za-z0-9_-]*)(?:\((?P<scope>[^()\r\n]+)\))?(?P<bang>!)?: (?P<text>\S.*)$"
)
_FOOTER = re.compile(r"^BREAKING[ -]CHANGE: ", re.MULTILINE)


@frozen
class Change:
    """One unreleased change: what kind it is and the part it calls for (None: no release)."""

    kind: str
    part: str | None
    text: str = ""


@frozen
class Evidence:
    """The changes one source holds, and how to name that source in a message."""

    source: str  # fragments | changelog | commits
    where: str  # "in changelog.d/", "in CHANGELOG.md [Unreleased]", "since v1.2.3"
    noun: str  # fragment | entry | commit
    changes: tuple[Change, ...]


@frozen
class Commit:
    """A commit subject parsed as a Conventional Commit; ``kind`` is ``other`` when it is not one."""

    kind: str
    scope: str | None
    breaking: bool
    text: str


def parse_commit(subject: str, body: str = "") -> Commit:
    """Parse a subject (and body, for the footer); a malformed subject is kind ``other``."""
    match = _SUBJECT.match(subject.strip())
    footer = _FOOTER.search(body) is not None
    if match is None:
        return Commit("other", None, footer, subject.strip())
    return Commit(
        match.group("type").lower(),
        match.group("scope"),
        bool(match.group("bang")) or footer,
        match.group("text").strip(),
    )


def commit_change(subject: str, body: str = "") -> Change:
    """The change a commit makes: feat minor, fix/perf patch, breaking major, else none."""
    commit = parse_commit(subject, body)
    if commit.breaking:
        return Change("breaking", "major", subject)
    return Change(commit.kind, COMMIT_PARTS.get(commit.kind), subject)


def entry_change(subsection: str, entry: str) -> Change:
    """The change a Keep a Changelog entry makes under its ``###`` subsection."""
    bare = entry.lstrip("*_ ").lstrip()
    if bare.upper().startswith("BREAKING"):
        return Change("BREAKING", "major", entry)
    name = subsection.strip().title()
    return Change(name, CHANGELOG_PARTS.get(name.lower()), entry)


def fragment_parts(configured: Mapping[str, str]) -> dict[str, str]:
    """The fragment type -> part table: the defaults, overridden by ``auto-parts``."""
    return {**FRAGMENT_PARTS, **{k.lower(): v for k, v in configured.items()}}


def fragment_change(kind: str, table: Mapping[str, str], name: str = "") -> Change:
    """The change a fragment of type ``kind`` makes; a type with no part is refused."""
    part = table.get(kind.lower())
    if part is None:
        raise UsageError(
            f"news fragment {name or kind} has type {kind!r}, which --part auto cannot map to a part",
            hint=f'add it to [tool.release] auto-parts, e.g. auto-parts = {{{kind} = "patch"}}',
        )
    return Change(kind, part, name)


def needed(changes: Sequence[Change]) -> str | None:
    """The highest part any change calls for, or None when none calls for a release."""
    parts = [c.part for c in changes if c.part is not None]
    return max(parts, key=LEVELS.index) if parts else None


def _implied(current: Version) -> str:
    """The part a pre-release's base is already bumped by from the previous final release."""
    major, minor, micro = (*current.release, 0, 0)[:3]
    if minor == 0 and micro == 0 and major > 0:
        return "major"
    return "minor" if micro == 0 else "patch"


def _higher_base(current: Version, part: str) -> str:
    """The next base version by ``part`` with the current pre-release phase restarted at 1."""
    major, minor, micro = (*current.release, 0, 0)[:3]
    base = {
        "major": (major + 1, 0, 0),
        "minor": (major, minor + 1, 0),
        "patch": (major, minor, micro + 1),
    }[part]
    text = ".".join(map(str, base))
    if current.pre is not None:
        text += f"{current.pre[0]}1"
    elif current.dev is not None:
        text += ".dev1"
    return f"{current.epoch}!{text}" if current.epoch else text


def _summary(evidence: Evidence, part: str) -> str:
    """``2 Added entries in CHANGELOG.md [Unreleased]``: the changes that decided ``part``."""
    deciding = [c for c in evidence.changes if c.part == part]
    counts = Counter(c.kind for c in deciding)
    kinds = " and ".join(f"{n} {kind}" for kind, n in counts.items())
    noun = _plural(evidence.noun, len(deciding))
    text = f"{kinds} {noun} {evidence.where}"
    if evidence.source == "commits" and deciding:
        first = deciding[0].text
        text += f" ({first if len(first) <= 60 else first[:57] + '...'})"
    return text


def _plural(noun: str, count: int = 2) -> str:
    if count == 1:
        return noun
    return noun[:-1] + "ies" if noun.endswith("y") else noun + "s"


def decide(
    current: Version, evidence: Evidence, *, allow_major_from_zero: bool = False
) -> Decision:
    """The bump the evidence calls for.

    ======================  ==========================  =====================================
    current                 changes call for            auto resolves to
    ======================  ==========================  =====================================
    final 1.2.3             major / minor / patch       major / minor / patch
    final 0.2.3             major                       minor (unless allow-major-from-zero)
    pre 1.3.0a2             minor or patch              pre: 1.3.0a3 (the base has it)
    pre 1.3.0a2             major                       2.0.0a1 (a higher base, same phase)
    dev 1.3.0.dev2          minor or patch              dev: 1.3.0.dev3
    anything                nothing                     refused: nothing to release (exit 2)
    ======================  ==========================  =====================================
    """
    part = needed(evidence.changes)
    if part is None:
        raise nothing_to_release(evidence)
    why = _summary(evidence, part)
    if part == "major" and current.major == 0 and not allow_major_from_zero:
        part = "minor"
        why += " (major while the version is 0.x: set allow-major-from-zero = true for 1.0.0)"
    if current.is_prerelease:
        if LEVELS.index(part) <= LEVELS.index(_implied(current)):
            keep = "pre" if current.pre is not None else "dev"
            return Decision(keep, f"{keep}: {why}; {current} is already a {_implied(current)} step")
        target = _higher_base(current, part)
        return Decision(target, f"{part}: {why}; {current} becomes {target}")
    return Decision(part, f"{part}: {why}")


def nothing_to_release(evidence: Evidence) -> UsageError:
    """The refusal when no change calls for a release, saying where auto looked."""
    others = len(evidence.changes)
    verb = "makes" if others == 1 else "make"
    seen = f" ({others} {_plural(evidence.noun, others)} that {verb} no release)" if others else ""
    hints = {
        "fragments": "add a news fragment (towncrier create)",
        "changelog": "add an entry under ### Added, ### Fixed, ... in [Unreleased]",
        "commits": "commit a feat: or fix: change",
    }
    return UsageError(
        f"nothing to release: no {_plural(evidence.noun)} {evidence.where} call for a release{seen}",
        hint=f"looked {evidence.where}; {hints[evidence.source]}, or name the part instead of "
        "auto (patch, minor or major)",
    )


NOTE_GROUPS = {"feat": "Features", "fix": "Fixes", "perf": "Fixes"}
"""Conventional Commit type -> the heading it goes under in notes; the rest go under Other."""


def commit_notes(commits: Sequence[tuple[str, str, str]]) -> str:
    """Release notes from ``(sha, subject, body)`` commits: Features, Fixes, Other, oldest first."""
    groups: dict[str, list[str]] = {"Features": [], "Fixes": [], "Other": []}
    for sha, subject, body in reversed(commits):
        commit = parse_commit(subject, body)
        grouped = commit.kind in ("feat", "fix")  # the heading says it; others keep their type
        text = commit.text if grouped else subject.strip()
        if commit.scope and grouped:
            text = f"{commit.scope}: {text}"
        if commit.breaking:
            text = f"**BREAKING** {text}"
        groups[NOTE_GROUPS.get(commit.kind, "Other")].append(f"- {text} ({sha[:7]})")
    return "\n\n".join(
        f"## {name}\n\n" + "\n".join(items) for name, items in groups.items() if items
    )
