"""What a GitHub Release says: the version's changelog section, or its commits (read only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from . import auto, changelog, fragments, git, unreleased
from .config import Config
from .errors import UsageError
from .values import frozen


@frozen
class Notes:
    """What the GitHub Release of one tag should say."""

    tag: str
    name: str
    body: str
    prerelease: bool

    def payload(self) -> dict[str, Any]:
        """The fields the API takes for create and update."""
        return {"name": self.name, "body": self.body, "prerelease": self.prerelease}


def version_of_tag(tag: str, tag_format: str) -> Version:
    """The version a tag names under ``tag_format``; exit 2 when it names none."""
    prefix, _, suffix = tag_format.partition("{version}")
    middle = tag[len(prefix) : len(tag) - len(suffix)] if suffix else tag[len(prefix) :]
    ok = tag.startswith(prefix) and tag.endswith(suffix) and middle
    try:
        if ok:
            return Version(middle)
    except InvalidVersion:
        pass
    raise UsageError(
        f"tag {tag!r} does not name a version under tag-format {tag_format!r}",
        hint=f"give a tag like {tag_format.format(version='1.2.3')}",
    )


def notes(config: Config, tag: str, *, version: Version | None = None) -> Notes:
    """The release notes of ``tag``: its version's changelog section (pure but for the read)."""
    version = version or version_of_tag(tag, config.tag_format)
    log = _news_file(config) or changelog.find(config.project, config.changelog)
    if log is None or not log.is_file():
        if git.tag_commit(git.open_repo(config.project), tag) is None:
            raise UsageError(
                f"tag {tag} is not in this repository; the notes come from its commits",
                hint=f"fetch it first: git fetch origin tag {tag}",
            )
        body = notes_from_commits(config, tag, version)
    else:
        text = log.read_text(encoding="utf-8")
        section = changelog.section(text, str(version))
        if section is None:  # a towncrier title, such as "# name 1.2.4 (date)"
            section = changelog.titled_section(text, str(version))
        if section is None:
            raise UsageError(
                f"{log.name} has no section for {version}",
                hint=f"add a '## [{version}]' section, or release with release bump",
            )
        body = section
    return Notes(tag=tag, name=tag, body=body, prerelease=version.is_prerelease)


def _news_file(config: Config) -> Path | None:
    """A towncrier project's Markdown news file: the notes are the section towncrier wrote."""
    setup = fragments.find(config.project, config.pyproject)
    if setup is None or not setup.configured or setup.news_file.suffix != ".md":
        return None
    return setup.news_file


def notes_from_commits(config: Config, ref: str, version: Version) -> str:
    """Notes for a project without a changelog: commit subjects since the previous release tag."""
    _previous, found = unreleased.commits(config, ref, before=version)
    release_commit = f"Release {version} (was "
    kept = [c for c in found if not c[1].startswith(release_commit)]
    return auto.commit_notes(kept) or f"Release {version}."


def upcoming_notes(config: Config, version: Version) -> str | None:
    """What the GitHub Release of the next ``version`` would say, read before the bump."""
    log = changelog.find(config.project, config.changelog)
    if log is None or not log.is_file():
        return notes_from_commits(config, "HEAD", version)
    return changelog.unreleased(log.read_text(encoding="utf-8"))
