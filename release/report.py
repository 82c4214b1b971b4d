"""The ``--json`` document and the GitHub Actions outputs of a run.

One document per run, on standard output, whatever happened; the README lists its fields.
Nothing here prints to a terminal or reads the environment: the front door passes it all in.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ReleaseError

if TYPE_CHECKING:
    from .pipeline import Options, Survey
    from .preflight import Check
    from .progress import Row
    from .targets import Target

SCHEMA = 1


EXTRA: dict[str, dict[str, Any]] = {
    "bump": {"dry_run": False, "auto": None, "commit": None},
    "status": {
        "resume": False,
        "complete": False,
        "on_index": [],
        "dirty": [],
        "credentials": None,
        "auto": None,
    },
    "ship": {"dry_run": False, "rehearsal": False, "released": False, "files": []},
}
"""The fields each command adds to the common ones, with their values before anything is known."""


def document(command: str) -> dict[str, Any]:
    """An empty document for ``command``: every documented field present, also on an error."""
    return {
        "schema": SCHEMA,
        "command": command,
        "ok": True,
        "release": None,
        "target": None,
        "checks": [],
        "steps": [],
        "outcomes": [],
        "error": None,
        **{k: (list(v) if isinstance(v, list) else v) for k, v in EXTRA.get(command, {}).items()},
    }


def release(name: str, current: object, next_: object | None, tag: str | None) -> dict[str, Any]:
    """The release part: versions as strings, None where unknown."""
    return {
        "name": name,
        "current": str(current),
        "next": None if next_ is None else str(next_),
        "tag": tag,
    }


def target(t: Target) -> dict[str, Any]:
    """Where the release goes, and where that choice came from."""
    return {
        "name": t.name,
        "upload_url": t.upload_url,
        "index_url": t.index_url,
        "source": t.source,
    }


def checks(found: Iterable[Check]) -> list[dict[str, Any]]:
    """Each preflight check as name, ok, message, and the hint when it failed."""
    return [
        {
            "name": c.name,
            "ok": c.ok,
            "warn": c.warn,
            "message": c.message,
            "hint": None if c.ok else c.hint or None,
        }
        for c in found
    ]


def steps(pairs: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    """The planned steps as name and description."""
    return [{"name": name, "description": text} for name, text in pairs]


def outcomes(rows: Iterable[Row]) -> list[dict[str, Any]]:
    """What each step did and how long it took, as the progress reporter recorded it."""
    return [
        {"name": r.step, "outcome": r.outcome, "seconds": round(r.seconds, 3), "detail": r.detail}
        for r in rows
    ]


def from_survey(doc: dict[str, Any], s: Survey, options: Options) -> None:
    """Fill ``doc`` with what preflight read and the plan derived from it."""
    doc["release"] = release(s.name, s.current, s.version, s.tag)
    doc["target"] = target(s.target)
    doc["checks"] = checks(s.checks)
    # the steps the dry run shows and the runner runs: one plan, so they cannot disagree
    doc["steps"] = [] if s.refusals else steps(s.plan.lines())


def error(doc: dict[str, Any], exc: ReleaseError | None, message: str = "", code: int = 1) -> None:
    """Record the error that ended the run (its message, hint and exit status)."""
    doc["ok"] = False
    if exc is not None:
        message, hint, code = exc.message, exc.hint, exc.exit_code
    else:
        hint = None
    doc["error"] = {"message": message, "hint": hint, "exit_code": code}


def dumps(doc: Mapping[str, Any]) -> str:
    """The document as one JSON text (keys in schema order)."""
    import json  # only a --json run pays for it

    return json.dumps(doc, indent=2)


def github_outputs(doc: Mapping[str, Any]) -> dict[str, str]:
    """``version``, ``tag`` and ``released`` for ``$GITHUB_OUTPUT``."""
    rel = doc.get("release") or {}
    return {
        "version": str(rel.get("next") or ""),
        "tag": str(rel.get("tag") or ""),
        "released": "true" if doc.get("released") else "false",
    }


def append(path: str, text: str) -> None:
    """Append ``text`` to a file the runner gave us (it reads it after the step)."""
    # appended, not replaced: other steps of the job write to the same files
    with Path(path).open("a", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def output_lines(values: Mapping[str, str]) -> str:
    """``key=value`` lines; a value never holds a newline (versions and tags do not)."""
    return "".join(f"{k}={v.splitlines()[0] if v else ''}\n" for k, v in values.items())


def summary_markdown(doc: Mapping[str, Any], table: str) -> str:
    """The step summary: a heading line for the release, then the table of steps."""
    rel = doc.get("release") or {}
    head = f"{rel.get('name', '')} {rel.get('next') or rel.get('current') or ''}".strip()
    tag = f" ({rel['tag']})" if rel.get("tag") else ""
    err = doc.get("error")
    verdict = (
        f"failed: {err['message']}"
        if err
        else ("released" if doc.get("released") else "not released")
    )
    return f"### release {head}{tag}: {verdict}\n\n{table}\n"


def files(paths: Sequence[Path]) -> list[str]:
    """File names for the document."""
    return [p.name for p in paths]
