"""Act: the steps of a release, each able to describe itself and to perform itself.

A step is a small frozen value built by ``plan.decide`` (pure). ``describe()`` is the line the
dry run and ``status`` show; ``run(ctx)`` does the work, reporting through ``ctx.reporter``;
``failure`` says what a failure inside it means:

==============  =============================================================================
``ROLLBACK``    nothing has left the machine: the release commit and tag are undone
``RESUME``      the tag is public or files are on the index: nothing is undone, a re-run resumes
``NOTHING``     the release is done; only this step is repeated by a re-run
==============  =============================================================================

This module has what the steps share; the steps themselves are in ``local_steps`` (bump,
build, check: nothing leaves the machine) and ``public_steps`` (push, upload, verify, announce).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import Protocol

from . import bump, hooks
from . import record as record_mod
from .model import Options, Release
from .progress import Reporter
from .record import Record
from .settings import Settings
from .values import field, frozen, mutable


class Failure(Enum):
    """What a failure inside a step means for the release."""

    ROLLBACK = "roll back"
    RESUME = "resume"
    NOTHING = "nothing to undo"


@mutable
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


@frozen
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


@frozen
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


@frozen
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


@frozen
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


def walk(steps: tuple[Step, ...]) -> list[Step]:
    """Every step in the order it runs, the ones inside another included."""
    return [s for step in steps for s in (step, *walk(step.inner))]


def first_line(exc: BaseException) -> str:
    """The first line of an error's message, or its type when it has none."""
    text = str(getattr(exc, "message", exc))
    return text.splitlines()[0] if text else type(exc).__name__
