"""The runner: executes a plan's steps; a failure rolls back or says how to resume.

What a failure means is the failed step's ``failure`` (see ``steps``), except that once the
tag is on the remote or the upload has started (``ctx.public``) nothing is rolled back.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable

from . import bump
from .errors import Interrupted, ReleaseError, StepError
from .steps import Context, Failure, Step, first_line


def execute(
    steps: tuple[Step, ...], ctx: Context, undo: Callable[[Context], None] | None = None
) -> None:
    """Run ``steps`` in order; on a failure, undo what it means and raise the error to show.

    ``undo`` replaces ``rollback`` for a run that makes more than one tag and record (a
    workspace release: ``workspace_steps.undo``).
    """
    for step in steps:
        try:
            step.run(ctx)
        except BaseException as exc:
            if ctx.reporter.running:
                ctx.reporter.finish("failed", first_line(exc))
            public = ctx.public or step.failure is Failure.RESUME
            if step.failure is Failure.ROLLBACK and not ctx.public:
                (undo or rollback)(ctx)
            error = failed(step, exc, public, ctx.release.tag, ctx.options.rerun)
            if error is None:
                raise
            raise error from exc


def rollback(ctx: Context) -> None:
    """Undo the release commit and tag (and the dev commit), and forget the release's record."""
    if ctx.dev_bumped is not None:
        bump.rollback(ctx.dev_bumped)
    if ctx.bumped is None:
        return
    others = bump.rollback(ctx.bumped)
    shutil.rmtree(ctx.record_path.parent, ignore_errors=True)
    tag = ctx.release.tag
    ctx.reporter.line(
        f"rolled back: the {tag} commit and tag are gone and every file is as it was"
        if not others
        else f"rolled back the {tag} commit and tag; left alone, changed since the bump "
        f"by someone else: {', '.join(p.name for p in others)}"
    )


def failed(
    step: Step, exc: BaseException, public: bool, tag: str, rerun: str
) -> ReleaseError | None:
    """The error that tells what failed and how to go on; None to re-raise ``exc`` as it is."""
    label = step.label
    if isinstance(exc, KeyboardInterrupt):
        if step.failure is Failure.NOTHING:
            return Interrupted(f"interrupted during {label}", hint=f"run again: {rerun}")
        if public:
            return Interrupted(
                f"interrupted during {label}; the upload has started, so nothing was rolled back",
                hint=f"run the same command to resume: {rerun}",
            )
        return Interrupted(f"interrupted during {label}; rolled back", hint=f"run again: {rerun}")
    if isinstance(exc, Interrupted):
        exc.hint = f"{exc.hint}: {rerun}"
        return None
    if not isinstance(exc, ReleaseError):
        return None
    if step.failure is Failure.NOTHING:
        then = "run again (only the hook runs)"
        return StepError(f"{label} failed: {exc.message}", hint=f"{exc.hint}; then {then}: {rerun}")
    if public:
        then = (
            f"{tag} is pushed or files are uploaded, so nothing was rolled back: run "
            "the same command again to resume (here, or in any fresh clone of the tag)"
        )
    else:
        then = "run again"
    fix = exc.hint + "; then " if exc.hint else ("" if public else "fix it, then ")
    return StepError(f"{label} failed: {exc.message}", hint=f"{fix}{then}: {rerun}")
