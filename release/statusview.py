"""What ``release status`` shows: the survey and the plan as text lines or JSON fields."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import credentials, report
from .errors import ReleaseError, UsageError

if TYPE_CHECKING:
    from . import pipeline
    from .config import Config


def refused_settings(project: Path, exc: UsageError) -> list[str]:
    """A bad setting, shown as status shows every other refusal: a failed check."""
    return [
        f"project:     {project.resolve()}",
        "checks:",
        f"  [FAIL] settings: {exc.message}",
        "ship would refuse: 1 check(s) failed",
    ]


def refused_settings_json(doc: dict[str, Any], exc: UsageError) -> None:
    """``status --json`` for a bad setting: one failed check."""
    doc["checks"] = [{"name": "settings", "ok": False, "message": exc.message, "hint": exc.hint}]


def _credentials(s: pipeline.Survey) -> str:
    return s.credentials or ("none found" if credentials.required(s.target) else "none needed")


def _facts(cfg: Config, s: pipeline.Survey, part: str, repository: str | None) -> Iterator[str]:
    """The release, the checkout, the target and the credentials, one line each."""
    from . import pipeline

    yield f"project:     {s.name} ({cfg.project})"
    yield f"version:     {s.current}"
    if s.resume:
        yield f"next:        {s.version} (HEAD carries {s.tag}: ship would resume)"
    else:
        yield f"next:        {s.version or 'cannot compute'} (--part {part})"
        if s.part_reason:
            yield f"auto:        {s.part_reason}"
    yield f"tag:         {s.tag or '-'}"
    yield f"on index:    {', '.join(s.on_index) or 'no files of that version'}"
    yield f"work tree:   {'clean' if not s.dirty else f'{len(s.dirty)} uncommitted change(s)'}"
    yield f"clone:       {pipeline.clone_line(s)}"
    yield f"release:     {pipeline.progress_line(s, repository)}"
    yield f"target:      {s.target.describe()} (from {s.target.source})"
    yield f"credentials: {_credentials(s)}"


def lines(
    cfg: Config,
    s: pipeline.Survey,
    options: pipeline.Options,
    *,
    part: str,
    repository: str | None,
) -> Iterator[str]:
    """Every line of ``release status``: the facts, the checks, then what ship would do."""
    from . import pipeline

    yield from _facts(cfg, s, part, repository)
    yield "checks:"
    for c in s.checks:
        yield f"  [{'FAIL' if not c.ok else 'warn' if c.warn else 'ok'}] {c.name}: {c.message}"
    if s.complete:
        yield "ship would do nothing: that release is complete"
    elif s.refusals:
        yield f"ship would refuse: {len(s.refusals)} check(s) failed"
    else:
        for line in pipeline.plan_lines(s, options):
            yield f"ship would {line}"
    if not s.resume:
        yield from _unreleased(cfg, s)


def _unreleased(cfg: Config, s: pipeline.Survey) -> Iterator[str]:
    """The fragments the bump would consume and the notes a GitHub Release would get."""
    from . import fragments, github

    try:
        setup = fragments.find(cfg.project, cfg.pyproject)
        found = fragments.listing(setup) if setup is not None else []
    except ReleaseError:
        return  # the checks above say what is wrong
    if setup is not None:
        names = ", ".join(setup.label(f.path) for f in found) or "none"
        yield f"fragments:   {len(found)} to consume ({names})"
    if s.version is None or setup is not None:
        return  # towncrier writes a towncrier project's notes from the fragments above
    notes = github.upcoming_notes(cfg, s.version)
    yield "notes:       " + ("(none)" if not notes else f"the GitHub Release of {s.tag} would say:")
    for line in (notes or "").splitlines():
        yield f"  | {line}".rstrip()


def fill_json(doc: dict[str, Any], s: pipeline.Survey, options: pipeline.Options) -> None:
    """``status --json``: the survey and the plan, the same facts as the text."""
    report.from_survey(doc, s, options)
    doc["resume"] = s.resume
    doc["complete"] = s.complete
    doc["on_index"] = list(s.on_index)
    doc["dirty"] = list(s.dirty)
    doc["credentials"] = s.credentials or (
        None if credentials.required(s.target) else "none needed"
    )
    doc["auto"] = s.part_reason or None
