"""``release ship`` behind the front door: a rehearsal or the real pipeline, and its report.

The front door parses and prints; this module decides which of the two runs, says in one
line what came of it, and writes the run's JSON document and GitHub Actions outputs.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import config, report
from .values import frozen

if TYPE_CHECKING:
    from . import pipeline
    from .progress import Reporter
    from .settings import Output, Settings


def dev_version(project: Path) -> str:
    """``--dev``: the next patch version with .devN (N: commits in HEAD's history)."""
    from . import bump, scaffold

    current = bump.read_state(config.load(project)).current
    return scaffold.dev_version(project, current)


def options(
    argv: Sequence[str],
    *,
    part: str,
    repository: str | None,
    index_url: str | None,
    no_push: bool,
    dev: bool,
    project: Path,
    **extra: object,
) -> pipeline.Options:
    """What the user asked ship (or status) for; ``argv`` is how to run it again."""
    from . import pipeline

    rerun = "release " + " ".join(shlex.quote(a) for a in argv)
    push = False if no_push else None
    if dev:
        part, push = dev_version(project), False
    return pipeline.Options(
        part=part,
        repository=repository,
        index_url=index_url,
        push=push,
        rerun=rerun.strip(),
        **extra,  # type: ignore[arg-type]
    )


@frozen
class Shipped:
    """What a ship run came to: ``line`` says it; ``released`` whether a release happened."""

    line: str
    files: tuple[Path, ...]
    rehearsal: bool = False
    released: bool = False


def _tagged_at_head(cfg: config.Config, tag: str) -> bool:
    """Whether HEAD of the user's checkout already carries ``tag`` (the release happened)."""
    from . import git

    repo = git.open_repo(cfg.project)
    return tag in git.tags_at(repo, git.head_sha(repo))


def _rehearse(
    cfg: config.Config,
    opts: pipeline.Options,
    reporter: Reporter,
    environ: Mapping[str, str],
) -> Shipped:
    from . import rehearsal

    result = rehearsal.rehearse(cfg, opts, reporter, environ).result
    reporter.summary()
    files = ", ".join(p.name for p in result.files)
    if _tagged_at_head(cfg, result.tag):
        line = (
            f"rehearsal passed: {result.name} {result.version} is already released "
            f"({result.tag} is at HEAD); rehearsed its files again: {files}"
        )
    else:
        line = (
            f"rehearsal passed: {result.name} {result.version} would be released as "
            f"{result.tag}: {files} (rehearsed against a local index, {result.index_url})"
        )
    return Shipped(line, tuple(result.files), rehearsal=True)


def record(doc: dict[str, Any], shipped: Shipped) -> None:
    """What the run came to, in the JSON document and the Actions outputs."""
    doc["files"] = report.files(shipped.files)
    if shipped.rehearsal:
        doc["rehearsal"] = True
    if shipped.released:
        doc["released"] = True


def ship(
    cfg: config.Config,
    opts: pipeline.Options,
    checked: Settings,
    reporter: Reporter,
    environ: Mapping[str, str],
) -> Shipped:
    """The local target rehearses in a throwaway clone; every other target really ships."""
    from . import pipeline
    from .errors import ReleaseError

    try:
        if checked.target.name == "local" and not opts.dry_run:
            return _rehearse(cfg, opts, reporter, environ)
        result = pipeline.ship(cfg, opts, reporter, environ, checked)
    except ReleaseError:
        reporter.summary()
        raise
    what = f"{result.name} {result.version} ({result.tag})"
    files = tuple(result.files)
    if opts.dry_run:
        return Shipped(f"dry run: {what} to {checked.target.describe()}", files)
    if result.already:
        return Shipped(f"already released: {what}; nothing to do", files)
    reporter.summary()
    names = ", ".join(p.name for p in files)
    return Shipped(f"released {what}: {names} on {result.index_url}", files, released=True)


def fill_report(
    doc: dict[str, Any],
    out: Output,
    reporter: Reporter,
    opts: pipeline.Options | None,
    *,
    dry_run: bool,
) -> None:
    """Fill the document from the run; in GitHub Actions, write the outputs and the summary."""
    if reporter.survey is not None and opts is not None:
        chosen = doc["target"]
        report.from_survey(doc, reporter.survey, opts)
        if chosen is not None:
            doc["target"] = chosen  # the rehearsal's inner survey aims at its throwaway index
    doc["outcomes"] = report.outcomes(reporter.rows)
    doc["dry_run"] = dry_run
    for path, text in (
        (out.github_output, report.output_lines(report.github_outputs(doc))),
        (out.step_summary, report.summary_markdown(doc, reporter.markdown())),
    ):
        if path:
            try:
                report.append(path, text)
            except OSError as exc:  # the run's own outcome matters more than its report
                print(f"warning: cannot append to {path}: {exc.strerror}", file=sys.stderr)
