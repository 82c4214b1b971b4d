"""The resume record: what a release run has done so far, kept in the clone's ``.git``.

One JSON file per project and tag, ``.git/releasekit/<name>/<tag>/state.json``, beside the
``dist`` directory the build wrote. It holds only what git and the index cannot tell a re-run:
the version the release was made from (for the hooks), the artifacts built from the release
commit (so a resume does not rebuild), and which of verify, announce and the after-release hook
succeeded. The file format is the one earlier releases wrote, so a release interrupted by an
older releasekit still resumes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from .fsutil import write_new
from .values import field, frozen, replace

FILENAME = "state.json"


@frozen
class Record:
    """What earlier runs of one release did; the empty record when none ran."""

    previous: str | None = None
    """The version the release was bumped from (``RELEASE_PREVIOUS_VERSION`` of its hooks)."""
    commit: str | None = None
    """The commit the recorded artifacts were built from."""
    files: Mapping[str, str] = field(default_factory=dict)
    """The artifacts built from ``commit``: file name -> sha256."""
    verified: bool = False
    announced: bool = False
    after_release: bool = False

    def built(self, commit: str | None, files: Mapping[str, str]) -> Record:
        """This record after a build of ``commit``: later steps must run again."""
        return Record(previous=self.previous, commit=commit, files=dict(files))

    def but(
        self, *, verified: bool = False, announced: bool = False, after_release: bool = False
    ) -> Record:
        """This record with more steps marked done."""
        return replace(
            self,
            verified=self.verified or verified,
            announced=self.announced or announced,
            after_release=self.after_release or after_release,
        )


def parse(data: object) -> Record:
    """The record a JSON value holds; whatever is missing or of the wrong type counts as not done."""
    if not isinstance(data, dict):
        return Record()
    files = data.get("files")
    commit = data.get("commit")
    previous = data.get("previous")
    return Record(
        previous=previous if isinstance(previous, str) else None,
        commit=commit if isinstance(commit, str) else None,
        files={str(k): v for k, v in files.items() if isinstance(v, str)}
        if isinstance(files, dict)
        else {},
        verified=data.get("verified") is True,
        announced=data.get("announced") is True,
        after_release=data.get("after_release") is True,
    )


def dump(record: Record) -> dict[str, object]:
    """The JSON value of ``record``, in the format earlier releases wrote (only what is set)."""
    data: dict[str, object] = {}
    if record.previous is not None:
        data["previous"] = record.previous
    if record.commit is not None or record.files:
        data["commit"] = record.commit
        data["files"] = dict(record.files)
    for key in ("verified", "announced", "after_release"):
        if getattr(record, key):
            data[key] = True
    return data


def load(path: Path | None) -> Record:
    """The record at ``path``; the empty record when there is none or it cannot be read."""
    if path is None or not path.is_file():
        return Record()
    try:
        return parse(json.loads(path.read_text()))
    except (OSError, ValueError):
        return Record()


def save(path: Path, record: Record) -> None:
    """Write ``record`` to ``path`` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_new(path, (json.dumps(dump(record), indent=2, sort_keys=True) + "\n").encode())
