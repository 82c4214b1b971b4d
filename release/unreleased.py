"""What is unreleased, read for ``--part auto`` and the notes: fragments, changelog, commits.

Each reader returns ``auto.Evidence``; the decision itself is pure, in ``auto.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from packaging.version import Version

from . import changelog, fragments, git, sources
from .config import Config
from .decision import AUTO, Decision
from .version import greatest_tag

if TYPE_CHECKING:
    from . import auto


def from_fragments(setup: fragments.Setup, config: Config) -> auto.Evidence:
    """The news fragments, each mapped to a part by its type (``auto-parts`` first)."""
    from . import auto  # only for --part auto and the notes: a named part needs none of it

    table = auto.fragment_parts(dict(config.auto_parts))
    changes = tuple(
        auto.fragment_change(f.kind, table, setup.label(f.path)) for f in fragments.listing(setup)
    )
    return auto.Evidence("fragments", setup.where, "fragment", changes)


def from_changelog(path: Path, text: str) -> auto.Evidence:
    """The entries of the ``[Unreleased]`` section, each mapped by its ``###`` subsection."""
    from . import auto

    changes = tuple(
        auto.entry_change(sub, entry) for sub, entry in changelog.unreleased_entries(text)
    )
    return auto.Evidence("changelog", f"in {path.name} [Unreleased]", "entry", changes)


def previous_tag(config: Config, ref: str = "HEAD", before: Version | None = None) -> str | None:
    """The greatest release tag reachable from ``ref`` (below ``before``, when given)."""
    repo = git.open_repo(config.project)
    tags = git.tags_merged(repo, ref)
    if before is not None:
        tags = [t for t in tags if (v := tag_version(t, config.tag_format)) and v < before]
    found = greatest_tag(tags, config.tag_format)
    return found[0] if found else None


def tag_version(tag: str, tag_format: str) -> Version | None:
    """The version a tag names under ``tag_format``, or None."""
    found = greatest_tag([tag], tag_format)
    return found[1] if found else None


def commits(
    config: Config, ref: str = "HEAD", before: Version | None = None
) -> tuple[str | None, list[tuple[str, str, str]]]:
    """The previous release tag and the commits after it up to ``ref`` (no merges), newest first."""
    tag = previous_tag(config, ref, before)
    return tag, git.log_since(git.open_repo(config.project), tag, ref)


def from_commits(config: Config) -> auto.Evidence:
    """The Conventional Commit subjects since the last release tag."""
    from . import auto

    tag, found = commits(config)
    changes = tuple(
        _with_sha(auto.commit_change(subject, body), sha) for sha, subject, body in found
    )
    where = f"since {tag}" if tag else "since the first commit"
    return auto.Evidence("commits", where, "commit", changes)


def _with_sha(change: auto.Change, sha: str) -> auto.Change:
    from . import auto

    return auto.Change(change.kind, change.part, f"{sha[:7]} {change.text}")


def evidence(config: Config) -> auto.Evidence:
    """The first source the project has: fragments, else [Unreleased], else commits."""
    setup = fragments.find(config.project, config.pyproject)
    if setup is not None:
        return from_fragments(setup, config)
    log = changelog.find(config.project, config.changelog)
    if log is not None and log.is_file():
        text = sources.read_text(log)
        if changelog.has_unreleased(text):
            return from_changelog(log, text)
    return from_commits(config)


def resolve(config: Config, current: Version, spec: str) -> Decision:
    """``spec`` as a concrete part or version: ``auto`` is decided from what is unreleased."""
    if spec != AUTO:
        return Decision(spec, "")
    from . import auto

    return auto.decide(
        current, evidence(config), allow_major_from_zero=config.allow_major_from_zero
    )
