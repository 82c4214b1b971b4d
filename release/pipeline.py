"""``release ship``: read the world, decide the plan, run its steps.

The release commit and tag are pushed (atomically) after build and check passed and before
anything is uploaded. A failure up to and including the push rolls back the local commit and
tag: nothing was uploaded and the remote has nothing. A failure after the push rolls back
nothing (an index never forgets a file); the tag on the remote is the record of the release
in progress, and the same command resumes it in any clone whose HEAD carries the tag (this
checkout, a fresh CI clone of the tag or of the branch) or is the release commit's parent (a
CI re-run, which checks out the commit that triggered it).

The work is split three ways: ``world.read`` (all the I/O), ``plan.decide`` (pure) and
``runner.execute`` (the steps of ``steps``). This module joins them for the front doors.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from packaging.version import Version

from . import git, preflight, runner
from . import settings as settings_mod
from .config import Config
from .errors import ReleaseError, StepError, UsageError
from .model import Options, Release
from .plan import Plan, decide
from .progress import Reporter
from .secrets import inherited
from .settings import Settings
from .steps import Context
from .targets import Target
from .values import field, frozen, mutable, replace
from .world import ABOVE, World, previous, read, remote_of

__all__ = [
    "Options",
    "Release",
    "Result",
    "Survey",
    "clone_line",
    "plan_lines",
    "plan_steps",
    "progress_line",
    "ship",
    "survey",
    "with_target",
]


@frozen
class Survey:
    """What preflight read (``world``) and decided (``plan``); nothing was changed to get it."""

    world: World
    plan: Plan

    config: Config
    name: str
    target: Target
    current: Version
    version: Version | None
    tag: str | None
    resume: bool
    complete: bool
    push: bool
    remote: str | None
    branch: str
    remote_branch: str
    checks: tuple[preflight.Check, ...]
    credentials: str | None
    dirty: tuple[str, ...]
    on_index: tuple[str, ...]
    problem: ReleaseError | None
    part_reason: str
    shallow: bool
    pushed: bool
    above_head: bool
    shipped: bool

    @property
    def refusals(self) -> tuple[preflight.Check, ...]:
        """The checks that failed."""
        return self.plan.refusals


def surveyed(world: World, plan: Plan) -> Survey:
    """The survey of ``world`` and its ``plan`` (the fields the front doors show)."""
    w = world
    return Survey(
        world=w,
        plan=plan,
        config=w.config,
        name=w.name,
        target=w.target,
        current=w.current,
        version=w.version,
        tag=w.tag,
        resume=w.at is not None,
        complete=plan.complete,
        push=plan.push,
        remote=w.remote,
        branch=w.release_branch,
        remote_branch=w.remote_branch,
        checks=plan.checks,
        credentials=w.credentials,
        dirty=w.dirty,
        on_index=w.on_index,
        problem=w.problem,
        part_reason=w.part_reason,
        shallow=w.shallow,
        pushed=plan.pushed,
        above_head=w.at == ABOVE,
        shipped=plan.shipped,
    )


def settings_of(
    config: Config, options: Options, environ: Mapping[str, str], settings: Settings | None
) -> Settings:
    """``settings`` as the front door checked them, else checked here (library callers)."""
    if settings is not None:
        return settings
    return settings_mod.build(
        config, repository=options.repository, index_url=options.index_url, environ=environ
    )


def survey(
    config: Config,
    options: Options,
    environ: Mapping[str, str],
    settings: Settings | None = None,
) -> Survey:
    """Read everything the release depends on and decide whether it may go ahead."""
    world = read(config, options, environ, settings_of(config, options, environ, settings))
    return surveyed(world, decide(world, options))


def plan_lines(s: Survey, options: Options) -> list[str]:
    """The steps ``ship`` would take, with concrete values, one line each."""
    return [f"{name}: {description}" for name, description in plan_steps(s, options)]


def plan_steps(s: Survey, options: Options) -> list[tuple[str, str]]:
    """The steps ``ship`` would take as (name, description) pairs, with concrete values."""
    return s.plan.lines()


def clone_line(s: Survey) -> str:
    """Whether the clone is shallow, for ``status``."""
    if s.shallow:
        return (
            f"shallow: ship fetches the history and tags from {s.remote or 'the remote'} first "
            "(or clone with fetch-depth: 0)"
        )
    return "full history"


def progress_line(s: Survey, repository: str | None) -> str:
    """The release's partial state, if any, and the command that finishes it (for ``status``)."""
    command = "release ship" + (f" --repository {repository}" if repository else "")
    if s.tag is None or not s.resume:
        return "none in progress"
    files = f"{len(s.on_index)} file(s) on the index"
    if s.complete:
        return f"{s.tag} is released ({files}, verified, pushed); nothing to finish"
    if s.shipped:
        return f"{s.tag} is released, but its after-release hook has not succeeded: `{command}` runs it"
    if s.pushed:
        return (
            f"{s.tag} is pushed to {s.remote}, {files}, not verified yet: `{command}` "
            f"uploads what is missing and verifies (here, or in any fresh clone of {s.tag})"
        )
    if s.on_index:
        return f"{s.tag} is made here, {files}, not pushed: `{command}` finishes it (in this clone)"
    return (
        f"{s.tag} is made here, neither pushed nor uploaded: `{command}` pushes, uploads and "
        "verifies it"
    )


@mutable
class Result:
    """What a ship run did."""

    release: Release
    files: list[Path] = field(default_factory=list)
    index_url: str = ""
    already: bool = False

    @property
    def name(self) -> str:
        """The distribution's name."""
        return self.release.name

    @property
    def version(self) -> Version:
        """The version released."""
        return self.release.version

    @property
    def tag(self) -> str:
        """The release tag."""
        return self.release.tag


def _refuse(s: Survey, reporter: Reporter) -> None:
    for c in s.checks:
        mark = "FAIL" if not c.ok else "warn" if c.warn else "ok  "
        reporter.line(f"  [{mark}] {c.name}: {c.message}")
    bad = s.refusals
    if bad:
        if s.problem is not None and len(bad) == 1:
            raise s.problem
        # the index's failure alone is a step that failed (exit 1), not the user's input
        kind = StepError if all(c.exit_code == 1 for c in bad) else UsageError
        raise kind(
            "preflight refused: " + "; ".join(c.message for c in bad),
            hint="; ".join(dict.fromkeys(c.hint for c in bad if c.hint)),
        )


def _preflight(
    config: Config,
    options: Options,
    reporter: Reporter,
    env: Mapping[str, str],
    settings: Settings | None,
) -> tuple[Survey, Settings]:
    """Read and decide; a refusal raises, with every failed check listed."""
    reporter.start("preflight", f"{config.project}")
    try:
        checked = settings_of(config, options, env, settings)
        if not options.dry_run:
            _deepen(config, reporter)
        s = survey(config, options, env, checked)
        reporter.survey = s  # what --json reports, also when preflight refuses
        _refuse(s, reporter)
    except ReleaseError:
        reporter.finish("failed", "refused")
        raise
    return s, checked


def ship(
    config: Config,
    options: Options,
    reporter: Reporter,
    environ: Mapping[str, str] | None = None,
    settings: Settings | None = None,
) -> Result:
    """Run the pipeline on this checkout (the target must not be ``local``)."""
    env = inherited(environ)
    s, settings = _preflight(config, options, reporter, env, settings)
    release, world = s.world.release, s.world
    assert release is not None and world.record_path is not None
    result = Result(release, index_url=s.target.index_url)
    if s.complete:
        reporter.finish("ok", "already released")
        reporter.line(
            f"{release} is already released: {release.tag} is on the remote and its files on {s.target.index_url}"
        )
        reporter.line("a new release needs a new commit")
        return replace(result, already=True)
    what = f"resuming {release.tag}" if s.resume else f"{s.current} -> {release.version}"
    reporter.finish("ok", f"{what}, target {s.target.describe()}")
    if options.dry_run:
        for line in plan_lines(s, options):
            reporter.line(f"  would {line}")
        return result
    ctx = Context(release, options, settings, reporter, env, previous(world), world.record_path)
    runner.execute(s.plan.steps, ctx)
    result.files = ctx.files
    return result


def _deepen(config: Config, reporter: Reporter) -> None:
    """In a shallow clone, fetch the history and tags the version is computed from.

    ``actions/checkout`` clones at depth 1: a version read from the latest tag would be
    0.0.0 there, and the next release tag would be compared against nothing.
    """
    repo = git.open_repo(config.project)
    if not repo.head.is_valid() or not git.is_shallow(repo):
        return
    remote, _ = remote_of(repo, git.current_branch(repo) or git.release_branch(repo, config.branch))
    if remote is None:
        raise UsageError(
            "this clone is shallow and has no remote to fetch its history and tags from",
            hint=preflight.SHALLOW_HINT,
        )
    reporter.line(f"  shallow clone: fetching the history and tags from {remote}")
    try:
        git.unshallow(repo, remote)
    except ReleaseError as exc:
        raise UsageError(
            f"this clone is shallow and fetching its history failed: {exc.message}",
            hint=preflight.SHALLOW_HINT,
        ) from None


def with_target(options: Options, upload_url: str, index_url: str) -> Options:
    """``options`` aimed at a concrete index (the rehearsal's)."""
    return replace(options, repository=upload_url, index_url=index_url)
