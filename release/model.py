"""The values the release steps share: what is released, and what the user asked for."""

from __future__ import annotations

from packaging.version import Version

from .values import frozen


@frozen
class Release:
    """One release of one distribution: its name, its version, and the tag that marks it."""

    name: str
    version: Version
    tag: str

    def __str__(self) -> str:
        return f"{self.name} {self.version}"

    @property
    def pin(self) -> str:
        """``name==version``, as an installer takes it."""
        return f"{self.name}=={self.version}"


@frozen
class Options:
    """What the user asked ``ship`` for."""

    part: str = "patch"
    repository: str | None = None
    index_url: str | None = None
    push: bool | None = None
    dry_run: bool = False
    keep: bool = False
    isolated: bool = True
    rerun: str = "release ship"
