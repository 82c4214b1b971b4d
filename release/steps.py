"""Act: the steps of a release, each able to describe itself and to perform itself.

A step is a small frozen value built by ``plan.decide`` (pure). ``describe()`` is the line the
dry run and ``status`` show; ``run(ctx)`` does the work, reporting through ``ctx.reporter``;
``failure`` says what a failure inside it means:

==============  =============================================================================
``ROLLBACK``    nothing has left the machine: the release commit and tag are undone
``RESUME``      the tag is public or files are on the index: nothing is undone, a re-run resumes
``NOTHING``     the release is done; only this step is repeated by a re-run
==============  =============================================================================
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from packaging.version import Version

from . import build, bump, check, git, github, hooks, index, publish
from . import record as record_mod
from . import verify as verify_mod
from .errors import Interrupted, ReleaseError, StepError
from .model import Options, Release
from .progress import Reporter
from .record import Record
from .settings import Settings
from .targets import Target

if TYPE_CHECKING:
    import git as gitpython


class Failure(Enum):
    """What a failure inside a step means for the release."""

    ROLLBACK = "roll back"
    RESUME = "resume"
    NOTHING = "nothing to undo"


@dataclass
class Context:
    """What the steps of one run share: the settings, the reporter, and what was done so far."""

    release: Release
    options: Options
    settings: Settings
    reporter: Reporter
    environ: Mapping[str, str]
    previous: str
    """The version the release was made from (``RELEASE_PREVIOUS_VERSION``)."""
    record_path: Path
    bumped: bump.Outcome | None = None
    dev_bumped: bump.Outcome | None = None
    public: bool = False
    """The tag is on the remote, or the upload started: from here on nothing is rolled back."""
    files: list[Path] = field(default_factory=list)

    @property
    def dist(self) -> Path:
        """Where the artifacts of this release are built (beside its resume record)."""
        return self.record_path.parent / "dist"

    def record(self) -> Record:
        """The resume record as it is on disk now."""
        return record_mod.load(self.record_path)

    def save(self, record: Record) -> None:
        """Replace the resume record."""
        record_mod.save(self.record_path, record)

    def hook_env(self, dist: Path | None) -> dict[str, str]:
        """The environment of a hook of this release."""
        r = self.release
        return hooks.environment(
            self.environ, version=r.version, previous=self.previous, tag=r.tag, dist=dist
        )

    def echo(self, line: str) -> None:
        """A line of a step's own output, indented under the step."""
        self.reporter.line(f"    {line.strip()}")


class Step(Protocol):
    """One step of the plan."""

    @property
    def name(self) -> str: ...

    @property
    def label(self) -> str:
        """The step's name in progress lines and in ``<label> failed: ...``."""
        ...

    @property
    def failure(self) -> Failure: ...

    @property
    def inner(self) -> tuple[Step, ...]:
        """Steps that run inside this one (the before-commit hook runs inside the bump)."""
        ...

    def describe(self) -> str: ...

    def run(self, ctx: Context) -> None: ...


@dataclass(frozen=True)
class Nothing:
    """Nothing to do, and why."""

    reason: str
    name: str = "nothing"
    label: str = "nothing"
    failure: Failure = Failure.NOTHING
    inner: tuple[Step, ...] = ()

    def describe(self) -> str:
        """Why there is nothing to do."""
        return self.reason

    def run(self, ctx: Context) -> None:
        """Nothing."""


@dataclass(frozen=True)
class Skip:
    """A step already done (or not asked for): shown in the plan, reported as skipped."""

    name: str
    shown: str
    reason: str
    failure: Failure = Failure.NOTHING
    inner: tuple[Step, ...] = ()

    @property
    def label(self) -> str:
        """Same as the name."""
        return self.name

    def describe(self) -> str:
        """The plan's line."""
        return self.shown

    def run(self, ctx: Context) -> None:
        """Report the skip."""
        ctx.reporter.skip(self.name, self.reason)


@dataclass(frozen=True)
class Hook:
    """The commands of one ``[tool.release.hooks]`` stage."""

    stage: str
    commands: tuple[str, ...]
    when: str = ""
    failure: Failure = Failure.ROLLBACK
    inner: tuple[Step, ...] = ()

    @property
    def name(self) -> str:
        """``<stage> hook``."""
        return f"{self.stage} hook"

    @property
    def label(self) -> str:
        """The stage."""
        return self.stage

    def describe(self) -> str:
        """The commands, as the plan shows them."""
        return "run " + "; ".join(f"`{c}`" for c in self.commands) + self.when

    def call(self, ctx: Context, dist: Path | None) -> None:
        """Run the commands, their output indented under the current step."""
        hooks.run(ctx.settings.config, self.stage, ctx.hook_env(dist), ctx.echo)

    def run(self, ctx: Context) -> None:
        """Run the hook as a step of its own; a successful after-release hook is recorded."""
        ctx.reporter.start(self.stage, f"{len(self.commands)} hook command(s)")
        self.call(ctx, ctx.dist if ctx.dist.is_dir() else None)
        ctx.reporter.finish("ok", "; ".join(self.commands))
        if self.stage == "after-release":
            ctx.save(ctx.record().but(after_release=True))


@dataclass(frozen=True)
class AfterReleaseOnly:
    """Everything but the after-release hook is done: run the hook, and nothing else."""

    hook: Hook
    tag: str
    name: str = "after-release hook"
    label: str = "after-release"
    failure: Failure = Failure.NOTHING
    inner: tuple[Step, ...] = ()

    def describe(self) -> str:
        """The hook's commands."""
        return f"{self.hook.describe()} (the rest of {self.tag} is done)"

    def run(self, ctx: Context) -> None:
        """Run the hook."""
        ctx.reporter.skip("release", f"{self.tag} is pushed, uploaded, verified and announced")
        self.hook.run(ctx)


@dataclass(frozen=True)
class Bump:
    """The release commit and its annotated tag (the before-commit hook runs in between)."""

    release: Release
    current: Version
    part_reason: str = ""
    before_commit: Hook | None = None
    name: str = "bump"
    label: str = "bump"
    failure: Failure = Failure.ROLLBACK

    @property
    def inner(self) -> tuple[Step, ...]:
        """The before-commit hook, if there is one."""
        return (self.before_commit,) if self.before_commit else ()

    def describe(self) -> str:
        """From which version to which, and the tag."""
        auto = f" (--part auto: {self.part_reason})" if self.part_reason else ""
        r = self.release
        return f"{self.current} -> {r.version}, commit, annotated tag {r.tag}{auto}"

    def run(self, ctx: Context) -> None:
        """Rewrite the version files, commit and tag (all or nothing)."""
        r, hook = self.release, self.before_commit
        ctx.reporter.start("bump", f"{self.current} -> {r.version}")
        config = ctx.settings.config
        plan = bump.plan(bump.read_state(config), str(r.version), commit=True, tag=True)
        ctx.bumped = bump.execute(plan, (lambda: hook.call(ctx, None)) if hook else None)
        made = f"commit {ctx.bumped.commit[:12]}, " if ctx.bumped.commit else "no files to change, "
        ctx.reporter.finish("ok", f"{made}tag {r.tag}")
        # a resume's hooks still know the version the release was made from
        ctx.save(Record(previous=str(self.current)))


@dataclass(frozen=True)
class DevBump:
    """The after-release-bump commit: the version files move to the next .dev0 version."""

    release: Release
    name: str = "bump"
    label: str = "bump"
    failure: Failure = Failure.ROLLBACK
    inner: tuple[Step, ...] = ()

    @property
    def dev(self) -> Version:
        """The development version after the release."""
        return hooks.next_dev(self.release.version)

    def describe(self) -> str:
        """The second commit."""
        r = self.release
        return f"{r.version} -> {self.dev}, a second commit on top of {r.tag}, pushed with it"

    def run(self, ctx: Context) -> None:
        """Commit the .dev0 version on top of the release commit."""
        ctx.reporter.start("dev bump", f"{self.release.version} -> {self.dev}")
        plan = bump.dev_plan(bump.read_state(ctx.settings.config), self.dev)
        ctx.dev_bumped = bump.execute(plan)
        commit = str(ctx.dev_bumped.commit)[:12]
        ctx.reporter.finish("ok", f"commit {commit} on top of the release commit")


@dataclass(frozen=True)
class Build:
    """The sdist and wheel, from a clean checkout of the tag."""

    release: Release
    name: str = "build"
    label: str = "build"
    failure: Failure = Failure.ROLLBACK
    inner: tuple[Step, ...] = ()

    def describe(self) -> str:
        """What is built, from what."""
        r = self.release
        return f"{r.name}-{r.version} sdist and wheel from a clean checkout of {r.tag}"

    def run(self, ctx: Context) -> None:
        """Build, or reuse what an earlier run built from the same commit."""
        tag, config = self.release.tag, ctx.settings.config
        saved = ctx.record()
        commit = git.tag_commit(git.open_repo(config.project), tag)
        reuse = _reusable(saved, commit, ctx.dist)
        if reuse:
            ctx.reporter.skip("build", f"reusing the {len(reuse)} file(s) built from {tag}")
            ctx.files = reuse
            return
        ctx.reporter.start("build", f"sdist and wheel from a clean checkout of {tag}")
        if ctx.dist.exists():
            shutil.rmtree(ctx.dist)
        built = build.build(config, ref=tag, outdir=ctx.dist, isolated=ctx.options.isolated)
        ctx.files = list(built.artifacts)
        ctx.save(saved.built(built.commit, {p.name: index.sha256_file(p) for p in ctx.files}))
        ctx.reporter.finish("ok", ", ".join(p.name for p in ctx.files))


def _reusable(saved: Record, commit: str | None, dist: Path) -> list[Path]:
    """The artifacts an earlier run built from ``commit``, if all are still there intact."""
    if saved.commit != commit or not saved.files:
        return []
    paths = [dist / n for n in saved.files]
    if all(p.is_file() and index.sha256_file(p) == saved.files[p.name] for p in paths):
        return paths
    return []


@dataclass(frozen=True)
class Check:
    """``twine check --strict``, and the artifacts' name and version."""

    release: Release
    name: str = "check"
    label: str = "check"
    failure: Failure = Failure.ROLLBACK
    inner: tuple[Step, ...] = ()

    def describe(self) -> str:
        """What is checked."""
        return f"twine check --strict; name {self.release.name}, version {self.release.version}"

    def run(self, ctx: Context) -> None:
        """Check the built files."""
        r = self.release
        ctx.reporter.start("check", "twine check --strict, name and version")
        check.check(ctx.files, r.name, r.version)
        ctx.reporter.finish("ok", f"{len(ctx.files)} file(s) are {r}")


@dataclass(frozen=True)
class Push:
    """The branch and the tag, atomically, to the remote: before anything is uploaded."""

    release: Release
    remote: str
    branch: str
    remote_branch: str
    rehearsal: bool = False
    name: str = "push"
    label: str = "push"
    failure: Failure = Failure.ROLLBACK
    inner: tuple[Step, ...] = ()

    def describe(self) -> str:
        """What goes where."""
        tag = self.release.tag
        if self.rehearsal:
            return f"{self.branch} and {tag} to the rehearsal's throwaway bare repository"
        return f"{self.branch} and {tag} to {self.remote} ({self.remote_branch}), atomically"

    def run(self, ctx: Context) -> None:
        """Push; a failure is told apart by what the remote has afterwards: landed or not."""
        tag, remote = self.release.tag, self.remote
        repo = git.open_repo(ctx.settings.config.project)
        commit = git.tag_commit(repo, tag)
        ctx.reporter.start(
            "push", f"{self.branch} and {tag} to {remote} ({remote}/{self.remote_branch})"
        )
        try:
            # before the upload: a rejected push (a protected branch, a merge that landed
            # meanwhile) rolls back like any earlier failure, with nothing on the index
            git.push_atomic(
                repo, remote, [f"HEAD:refs/heads/{self.remote_branch}", f"refs/tags/{tag}"]
            )
            ctx.public = True  # the tag is public: from here on, the remote records the release
            there = git.remote_refs(repo, remote).get(f"refs/tags/{tag}")
            if there != commit:
                raise StepError(f"after the push, {remote} has {tag} at {there}, not {commit}")
        except (ReleaseError, KeyboardInterrupt) as exc:
            if ctx.reporter.running:
                ctx.reporter.finish("failed", _first_line(exc))
            landed, error = _push_outcome(repo, remote, tag, commit, exc)
            ctx.public = ctx.public or landed  # a tag on the remote is never taken back
            raise error from exc
        ctx.reporter.finish("ok", f"{remote} has {tag} at {str(commit)[:12]}")


def _first_line(exc: BaseException) -> str:
    """The first line of an error's message, or its type when it has none."""
    text = str(getattr(exc, "message", exc))
    return text.splitlines()[0] if text else type(exc).__name__


def _push_outcome(
    repo: gitpython.Repo, remote: str, tag: str, commit: str | None, exc: BaseException
) -> tuple[bool, ReleaseError]:
    """A failed or interrupted push, told by what ``git ls-remote`` shows: landed or not."""
    landed = False
    try:
        there = git.remote_refs(repo, remote).get(f"refs/tags/{tag}")  # peeled: no pattern
    except ReleaseError as problem:
        seen = f"could not read {remote} afterwards ({problem.message})"
    else:
        landed = there is not None and there == commit
        if landed:
            seen = f"the push landed: {remote} has {tag} at {str(commit)[:12]}"
        elif there is None:
            seen = f"the push did not land: {remote} has no {tag}"
        else:
            seen = f"{remote} has {tag} at {there[:12]}, not {str(commit)[:12]}"
    if not isinstance(exc, KeyboardInterrupt):
        assert isinstance(exc, ReleaseError)
        return landed, StepError(f"{exc.message}; {seen}", hint=exc.hint)
    if landed:
        return landed, Interrupted(
            f"interrupted during push; {seen}",
            hint="the tag is public, so nothing was rolled back; run the same command to "
            "finish (the push is not repeated)",
        )
    return landed, Interrupted(f"interrupted during push; {seen}; rolled back", hint="run again")


@dataclass(frozen=True)
class Upload:
    """The artifacts to the target index; files already there with the same sha256 are skipped."""

    target: Target
    rehearsal: bool = False
    name: str = "upload"
    label: str = "upload"
    failure: Failure = Failure.RESUME
    inner: tuple[Step, ...] = ()

    def describe(self) -> str:
        """Where to."""
        if self.rehearsal:
            return "to a throwaway local index (rehearsal in a throwaway clone)"
        return f"to {self.target.upload_url} (files already there with the same sha256 are skipped)"

    def run(self, ctx: Context) -> None:
        """Upload what the index does not have yet."""
        ctx.public = True
        ctx.reporter.start("upload", f"to {self.target.upload_url}")
        with contextlib.redirect_stdout(ctx.reporter.stream):  # twine prints its own progress
            published = publish.publish(
                ctx.files, self.target, ctx.settings.upload_backoff, ctx.echo
            )
        n = sum(1 for _, o in published.outcomes if o == "uploaded")
        ctx.reporter.finish("ok", f"{n} uploaded, {len(published.outcomes) - n} already there")


@dataclass(frozen=True)
class Verify:
    """A fresh virtual environment installs the release from the index alone, and uses it."""

    release: Release
    index_url: str
    shown: str
    """Where the plan says it installs from (the rehearsal's index has no URL before it runs)."""
    name: str = "verify"
    label: str = "verify"
    failure: Failure = Failure.RESUME
    inner: tuple[Step, ...] = ()

    def describe(self) -> str:
        """What is installed from where."""
        return f"install {self.release.pin} alone from {self.shown} in a fresh venv"

    def run(self, ctx: Context) -> None:
        """Verify, and record that it passed."""
        ctx.reporter.start("verify", f"install {self.release.pin} from {self.index_url}")
        settings = ctx.settings
        where = verify_mod.Where(self.index_url, settings.extra_index_url, settings.verify_backoff)
        verified = verify_mod.verify(
            self.release, where, local=ctx.files, echo=ctx.echo, environ=ctx.environ
        )
        ctx.save(ctx.record().but(verified=True))
        ctx.reporter.finish("ok", f"imported {', '.join(verified.modules) or 'nothing'}")


@dataclass(frozen=True)
class Announce:
    """The GitHub Release with the changelog section and the artifacts."""

    release: Release
    name: str = "announce"
    label: str = "announce"
    failure: Failure = Failure.RESUME
    inner: tuple[Step, ...] = ()

    def describe(self) -> str:
        """What is announced."""
        tag = self.release.tag
        return f"GitHub Release {tag} with the changelog section, sdist, wheel and SHA256SUMS"

    def run(self, ctx: Context) -> None:
        """Create or update the GitHub Release, and record that it is done."""
        tag = self.release.tag
        ctx.reporter.start("announce", f"GitHub Release {tag}")
        _notes, _repo, outcome = github.run(ctx.settings.config, tag, ctx.environ, assets=ctx.files)
        ctx.save(ctx.record().but(announced=True))
        ctx.reporter.finish("ok", f"{outcome.action} {outcome.url}")


def walk(steps: tuple[Step, ...]) -> list[Step]:
    """Every step in the order it runs, the ones inside another included."""
    return [s for step in steps for s in (step, *walk(step.inner))]
