"""Decide (pure): from what ``world.read`` found, the refusals and the steps of the release.

=======================  ==================================================================
situation                steps
=======================  ==================================================================
``UNKNOWN``              nothing: the next version cannot be computed (the checks say why)
``COMPLETE``             nothing: pushed, uploaded, verified, announced, hooks run
``AFTER_RELEASE``        the after-release hook alone: the rest is done, the hook failed
``RESUME``               no bump; build (or reuse), check, push unless pushed, upload, ...
``FRESH``                bump, build, check, before-upload hook, push, upload, verify, ...
=======================  ==================================================================

The dry run, ``status``, ``--json``, the runner and the rollback all read the same plan.
"""

from __future__ import annotations

from . import credentials, preflight
from .local_steps import Build, Bump, Check, DevBump
from .model import Options, Release
from .public_steps import Announce, Push, Upload, Verify
from .steps import AfterReleaseOnly, Failure, Hook, Nothing, Skip, Step, walk
from .values import frozen
from .world import ABOVE, World

UNKNOWN, COMPLETE, AFTER_RELEASE, RESUME, FRESH = (
    "unknown",
    "complete",
    "after-release",
    "resume",
    "fresh",
)


@frozen
class Plan:
    """The checks and the steps of one release, decided from one ``World``."""

    situation: str
    checks: tuple[preflight.Check, ...]
    steps: tuple[Step, ...]
    push: bool
    pushed: bool
    """Resuming, and the remote has the release tag at the release commit: the push is done."""
    shipped: bool
    """Pushed, uploaded, verified and announced: at most the after-release hook is left."""

    @property
    def refusals(self) -> tuple[preflight.Check, ...]:
        """The checks that failed."""
        return preflight.failures(self.checks)

    @property
    def complete(self) -> bool:
        """The release is done: nothing to do."""
        return self.situation == COMPLETE

    def lines(self) -> list[tuple[str, str]]:
        """Every step as (name, description), in the order they run."""
        return [(step.name, step.describe()) for step in walk(self.steps)]


def decide(world: World, options: Options) -> Plan:
    """The refusals and the steps for ``world`` (pure: no git, no index, no files)."""
    push = world.config.push if options.push is None else options.push
    resume = world.at is not None
    pushed = resume and world.remote is not None and world.tag_remote == world.release_commit
    checks = preflight.decide(facts(world, push, pushed))
    if not resume:
        checks = (*checks, *world.towncrier)
    record, config = world.record, world.config
    shipped = bool(
        resume
        and world.on_index
        # verified is recorded in this clone only: a fresh clone re-runs build and verify (and
        # uploads nothing, the files being there), which is idempotent
        and record.verified
        and (pushed or not push)
        and (not config.github_release or record.announced)
    )
    hook_left = bool(config.hook("after-release")) and not record.after_release
    release = world.release
    if release is None:
        situation = UNKNOWN
    elif shipped and not hook_left:
        situation = COMPLETE
    elif shipped:
        situation = AFTER_RELEASE
    else:
        situation = RESUME if resume else FRESH
    steps = _steps(world, release, situation, push, pushed) if release else ()
    if release is None:
        steps = (Nothing("the next version cannot be computed (see the checks)"),)
    return Plan(situation, tuple(checks), steps, push, pushed, shipped)


def facts(world: World, push: bool, pushed: bool) -> preflight.Facts:
    """What preflight's checks look at, taken from ``world``."""
    w = world
    version, latest = w.version, w.remote_latest
    return preflight.Facts(
        dirty=w.dirty,
        branch=w.branch,
        release_branch=w.release_branch,
        upstream=w.upstream,
        behind=w.behind,
        tag=w.tag or "(none)",
        tag_local=w.tag_local,
        tag_remote=w.tag_remote,
        head=w.release_commit,
        resume=w.at is not None,
        on_index=w.on_index,
        index_problem=w.index_problem,
        credentials=w.credentials,
        needs_credentials=credentials.required(w.target),
        identity_problem=w.identity_problem,
        sources_problem=w.sources_problem or (w.problem.message if w.problem else None),
        remote=w.remote,
        push=push,
        rehearsal=w.target.name == "local",
        rewrite_problem=w.rewrite_problem,
        rewrite_hint=w.rewrite_hint or preflight.Facts.rewrite_hint,
        github_problem=w.github_problem,
        remote_problem=w.remote_problem,
        untracked=w.untracked,
        allow_untracked=w.config.allow_untracked,
        version=str(version) if version is not None else None,
        remote_latest=(latest[0], str(latest[1])) if latest else None,
        remote_newer=bool(latest and version is not None and latest[1] >= version),
        shallow=w.shallow,
        pushed=pushed,
        notes_problem=w.notes_problem,
        require_notes=w.config.require_notes,
    )


def _steps(w: World, r: Release, situation: str, push: bool, pushed: bool) -> tuple[Step, ...]:
    """The steps of a release that is not refused, for its situation."""
    if situation == COMPLETE:
        shown = f"{r} is already released ({r.tag} is on the index and the remote)"
        return (Nothing(shown),)
    after = _hook(w, "after-release", "", Failure.RESUME)
    if situation == AFTER_RELEASE:
        assert after is not None  # shipped, not complete: the hook is what is left
        return (AfterReleaseOnly(after, r.tag),)
    rehearsal = w.target.name == "local"
    steps: list[Step | None] = [
        *_bump(w, r, situation),
        Build(r),
        Check(r),
        None if pushed else _hook(w, "before-upload", " (before the push and upload)"),
        _push(w, r, push, pushed),
        Upload(w.target, rehearsal=rehearsal),
        Verify(r, w.target.index_url, "the throwaway index" if rehearsal else w.target.index_url),
        Announce(r) if w.config.github_release else None,
        after,
    ]
    return tuple(s for s in steps if s is not None)


def _bump(w: World, r: Release, situation: str) -> list[Step]:
    """The release commit (and the dev commit after it); a skip when resuming."""
    if situation == RESUME:
        where = f"{w.remote} has {r.tag} on top of HEAD" if w.at == ABOVE else ""
        reason = where or f"HEAD already carries {r.tag}"
        return [Skip("bump", f"skipped, {r.tag} is already made (resuming)", reason)]
    hook = _hook(w, "before-commit", " (before the release commit)")
    steps: list[Step] = [Bump(r, w.current, w.part_reason, hook)]
    if w.config.after_release_bump:
        steps.append(DevBump(r))
    return steps


def _push(w: World, r: Release, push: bool, pushed: bool) -> Step:
    """The push, or why it is skipped."""
    if pushed:
        return Skip(
            "push", f"skipped, {w.remote} already has {r.tag}", f"{w.remote} already has {r.tag}"
        )
    if not push:
        return Skip("push", "skipped (--no-push)", "--no-push")
    rehearsal = w.target.name == "local"  # the rehearsal's clone gets a remote of its own
    if w.remote is None and not rehearsal:
        return Skip("push", "skipped (no remote)", "no remote")
    remote = w.remote or "origin"
    return Push(r, remote, w.release_branch, w.remote_branch, rehearsal=rehearsal)


def _hook(w: World, stage: str, when: str, failure: Failure = Failure.ROLLBACK) -> Hook | None:
    """The step of ``stage``'s hook, or None when it has no commands."""
    commands = w.config.hook(stage)
    return Hook(stage, commands, when, failure) if commands else None
