"""Which release the project is: its distribution name, its version, and the tag at a commit."""

from __future__ import annotations

from pathlib import Path

from packaging.version import Version

from . import bump, git
from .config import Config, declared_name
from .dists import artifact_id, files_of
from .errors import ConfigError, UsageError
from .values import frozen
from .version import greatest_tag


@frozen
class Release:
    """A project's name and the version a release of it carries; ``tag`` when one is at the ref."""

    name: str
    version: Version
    tag: str | None
    project_version: Version

    def mismatch(self) -> str | None:
        """Why the tag and the version sources disagree, or None."""
        if self.tag is not None and self.version != self.project_version:
            return f"tag {self.tag} is at the commit but the project's version is {self.project_version}"
        return None


def name_of(config: Config) -> str:
    """The project's distribution name, or a ConfigError saying where to write it."""
    name = declared_name(config.project, config.pyproject)
    if name is None:
        raise ConfigError(
            f"cannot tell the distribution name of {config.project}",
            hint='set [project] name = "..." in pyproject.toml',
        )
    return name


def current(config: Config, ref: str = "HEAD") -> Release:
    """The release at ``ref``: the tag's version when ``ref`` carries a release tag, else the project's.

    The version sources are read from the work tree, so they speak for HEAD only; another
    ``ref`` must carry a release tag.
    """
    name = name_of(config)
    repo = git.open_repo(config.project)
    sha, _ = git.resolve_commit(repo, ref)
    found = greatest_tag(git.tags_at(repo, sha), config.tag_format)
    if ref != "HEAD" and sha != git.resolve_commit(repo, "HEAD")[0]:
        if found is None:
            raise UsageError(
                f"{ref} is not HEAD and carries no release tag, so its version is unknown",
                hint="pass a release tag as --ref, or check out the commit",
            )
        return Release(name, found[1], found[0], found[1])
    project_version = bump.read_state(config).current
    if found is None:
        return Release(name, project_version, None, project_version)
    return Release(name, found[1], found[0], project_version)


def artifacts_in(directory: Path, name: str, version: Version) -> list[Path]:
    """The distributions of ``name`` ``version`` in ``directory``."""
    if not directory.is_dir():
        return []
    names = [p.name for p in directory.iterdir() if p.is_file()]
    return [directory / n for n in files_of(names, name, version)]


def check_distribution_names(paths: list[Path]) -> list[str]:
    """Problems with paths that should be distributions: missing, or not a wheel or sdist."""
    problems = []
    for path in paths:
        if not path.is_file():
            problems.append(f"{path} does not exist")
        elif artifact_id(path.name) is None:
            problems.append(f"{path.name} is not a wheel or sdist file name")
    return problems
