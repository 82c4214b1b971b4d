"""The steps before anything leaves the machine: bump, dev bump, build, check.

A failure in any of them rolls back the release commit and tag (see ``runner``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from packaging.version import Version

from . import build, bump, check, git, hooks, index
from .model import Release
from .record import Record
from .steps import Context, Failure, Hook, Step
from .values import frozen


@frozen
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
        ctx.bumped = bump.execute(
            plan, (lambda: hook.call(ctx, None)) if hook else None, ctx.environ
        )
        made = f"commit {ctx.bumped.commit[:12]}, " if ctx.bumped.commit else "no files to change, "
        ctx.reporter.finish("ok", f"{made}tag {r.tag}")
        # a resume's hooks still know the version the release was made from
        ctx.save(Record(previous=str(self.current)))


@frozen
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
        ctx.dev_bumped = bump.execute(plan, None, ctx.environ)
        commit = str(ctx.dev_bumped.commit)[:12]
        ctx.reporter.finish("ok", f"commit {commit} on top of the release commit")


@frozen
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
        check.preload()  # twine's checker loads on the other core while the backend builds
        if ctx.dist.exists():
            shutil.rmtree(ctx.dist)
        built = build.build(
            config,
            ref=tag,
            outdir=ctx.dist,
            isolated=ctx.options.isolated,
            environ=ctx.environ,
            echo=ctx.echo,
        )
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


@frozen
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
