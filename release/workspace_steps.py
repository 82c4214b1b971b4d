"""The steps of a workspace release, run by the common runner (``runner.execute``).

Each step is a frozen value with a ``name``, a ``describe()`` line (what the dry run, ``status``
and ``--json`` show), ``run(ctx)`` and what a failure inside it means (``steps.Failure``):

=====================  ============================================================  ==========
step                   what it does                                                  a failure
=====================  ============================================================  ==========
``bump``               every version file and sibling pin, one commit, every tag      roll back
``build NAME``         sdist and wheel of one package (all builds start at the        roll back
                       first, at once; each step waits for its own)
``check NAME``         ``twine check --strict``, name and version                     roll back
``push``               the commit and every tag, atomically                           roll back
``upload NAME``        one package's files, in dependency order                       resume
``verify NAMES``       one wave of packages in one fresh environment                  resume
=====================  ============================================================  ==========

The context is the single-package ``Context`` with what the workspace's steps share: the
members, the files built so far, the tags made (for the rollback) and the running builds.
"""

from __future__ import annotations

import contextlib
import shutil
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from . import bump, check, git, index, record, workspace, workspace_build
from .errors import UsageError
from .steps import Context, Failure, Step
from .values import field, frozen, mutable
from .workspace_plan import Decision, commit_message

if TYPE_CHECKING:
    from .gitrepo import Repo
    from .workspace_ship import Member, Run


@mutable
class WorkspaceContext(Context):
    """What the steps of one workspace run share (``Context``'s fields describe the whole)."""

    run_of: Run | None = None
    repo: Repo | None = None
    members: tuple[Member, ...] = ()
    tags: list[str] = field(default_factory=list)
    """The tags this run made so far: the rollback deletes them."""
    built: dict[str, list[Path]] = field(default_factory=dict)
    builds: dict[str, Future[list[Path]]] | None = None
    stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    @property
    def ws(self) -> Run:
        """The workspace run's settings."""
        assert self.run_of is not None
        return self.run_of

    @property
    def git(self) -> Repo:
        """The repository released."""
        assert self.repo is not None
        return self.repo

    def member(self, name: str) -> Member:
        """The member called ``name``."""
        return next(m for m in self.members if m.name == name)


def undo(ctx: Context) -> None:
    """The rollback of a workspace run: its tags, its commit, every package's record."""
    assert isinstance(ctx, WorkspaceContext)
    for tag in ctx.tags:
        if git.tag_exists(ctx.git, tag):
            git.delete_tag(ctx.git, tag)
    if ctx.bumped is not None:
        bump.rollback(ctx.bumped)
    for m in ctx.members:
        shutil.rmtree(m.state_file(ctx.git).parent, ignore_errors=True)
    if ctx.bumped is not None or ctx.tags:
        ctx.reporter.line(
            "rolled back: the release commit and its tags are gone, every file as it was"
        )


@frozen
class Bump:
    """Every version source, changelog and sibling pin rewritten; one commit; every tag."""

    decision: Decision
    name: str = "bump"
    label: str = "bump"
    failure: Failure = Failure.ROLLBACK
    inner: tuple[Step, ...] = ()

    def describe(self) -> str:
        """Which versions, how many pins, which tags."""
        d = self.decision
        moves = ", ".join(f"{r.name} {r.current} -> {r.version}" for r in d.releases)
        pins = f", {len(d.rewrites)} sibling pin(s) rewritten" if d.rewrites else ""
        return f"{moves}{pins}; one commit, annotated tags {', '.join(d.tags)}"

    def run(self, ctx: Context) -> None:
        """Rewrite, commit once (rolled back by itself on its own failure), then tag."""
        assert isinstance(ctx, WorkspaceContext)
        d = self.decision
        ctx.reporter.start("bump", commit_message(d.releases).splitlines()[0])
        ctx.bumped = bump.execute(self.plan(ctx))
        for r in d.releases:
            if r.tag not in ctx.tags:
                ctx.tags.append(r.tag)  # first: preflight made sure no tag of that name existed
                git.create_tag(ctx.git, r.tag, f"Release {r.name} {r.version}")
        commit = ctx.bumped.commit or git.head_sha(ctx.git)
        ctx.reporter.finish("ok", f"commit {commit[:12]}, tags {', '.join(ctx.tags)}")

    def plan(self, ctx: WorkspaceContext) -> bump.BumpPlan:
        """The one bump of every package's files and the sibling pins."""
        files: dict[Path, bytes] = {}
        first: bump.BumpPlan | None = None
        for m in ctx.members:
            plan = bump.plan(bump.read_state(m.config), str(m.release.version), commit=True)
            if plan.towncrier is not None:
                raise UsageError(
                    f"{m.name} uses towncrier, which workspace releases do not run yet",
                    hint=f"release {m.name} on its own, or keep its notes in a Keep a Changelog file",
                )
            first = first or plan
            files.update({p.resolve(): data for p, data in plan.files.items()})
        pins = [(w.directory, w.old, w.new) for w in self.decision.rewrites]
        files = workspace.pin_files(ctx.ws.workspace.root, pins, files)
        assert first is not None
        return bump.BumpPlan(
            root=ctx.ws.workspace.root,
            current=first.current,
            target=first.target,
            edits=(),
            changelog=None,
            changelog_note=None,
            files=files,
            commit=bool(files),
            tag=None,
            vcs=None,
            git_hooks=ctx.ws.root.git_hooks,
            message=commit_message(self.decision.releases),
        )


@frozen
class Build:
    """One package's sdist and wheel from a clean checkout of its tag (or an earlier run's)."""

    package: str
    version: str
    tag: str
    failure: Failure = Failure.ROLLBACK
    inner: tuple[Step, ...] = ()

    @property
    def name(self) -> str:
        """``build NAME``."""
        return f"build {self.package}"

    @property
    def label(self) -> str:
        """``build of NAME``."""
        return f"build of {self.package}"

    def describe(self) -> str:
        """What is built, from what."""
        return (
            f"{self.package}-{self.version} sdist and wheel from a clean checkout of {self.tag} "
            "(independent builds at the same time)"
        )

    def run(self, ctx: Context) -> None:
        """Start every build at the first; wait for this package's."""
        assert isinstance(ctx, WorkspaceContext)
        if ctx.builds is None:
            ctx.builds = start_builds(ctx)
        future = ctx.builds.get(self.package)
        if future is None:
            files = ctx.built[self.package]
            ctx.reporter.skip(self.name, f"reusing the {len(files)} file(s) built from {self.tag}")
            return
        ctx.reporter.start(self.name, f"sdist and wheel from a clean checkout of {self.tag}")
        try:
            ctx.built[self.package] = future.result()
        except BaseException:
            # before the rollback removes their directories: no build may still be writing
            for other in ctx.builds.values():
                other.cancel()
            ctx.stack.close()
            raise
        ctx.reporter.finish("ok", ", ".join(p.name for p in ctx.built[self.package]))


def start_builds(ctx: WorkspaceContext) -> dict[str, Future[list[Path]]]:
    """Every build that has no reusable files, at once (in shared environments when isolated)."""
    run, repo = ctx.ws, ctx.git
    todo = []
    for m in ctx.members:
        reused = reusable(repo, m)
        if reused:
            ctx.built[m.name] = reused
        else:
            todo.append(m)
    dirs = {m.name: m.release.directory for m in todo} if run.isolated else {}
    echo = ctx.echo
    shared = ctx.stack.enter_context(workspace_build.environments(repo, dirs, run.environ, echo))
    pool = ctx.stack.enter_context(ThreadPoolExecutor(max_workers=min(4, len(todo)) or 1))
    ctx.stack.callback(pool.shutdown, wait=True, cancel_futures=True)
    # builds need only their backends, not their siblings: all may run at once
    return {m.name: pool.submit(build_one, run, repo, m, shared.get(m.name)) for m in todo}


def reusable(repo: Repo, m: Member) -> list[Path]:
    """The files an earlier run built from the tag's commit, if all are there intact."""
    saved = record.load(m.state_file(repo))
    if saved.commit != git.tag_commit(repo, m.release.tag) or not saved.files:
        return []
    paths = [m.state_file(repo).parent / "dist" / n for n in saved.files]
    if all(p.is_file() and index.sha256_file(p) == saved.files[p.name] for p in paths):
        return paths
    return []


def build_one(run: Run, repo: Repo, m: Member, shared: str | None) -> list[Path]:
    """Build ``m`` into the directory beside its record, and record what was built."""
    state_file = m.state_file(repo)
    dist = state_file.parent / "dist"
    if dist.exists():
        shutil.rmtree(dist)
    built = workspace_build.build_member(m.config, m.release.tag, dist, run, shared)
    paths = list(built.artifacts)
    sums = {p.name: index.sha256_file(p) for p in paths}
    record.save(state_file, record.load(state_file).built(built.commit, sums))
    return paths


@frozen
class Check:
    """``twine check --strict`` of one package's files, and their name and version."""

    package: str
    version: str
    failure: Failure = Failure.ROLLBACK
    inner: tuple[Step, ...] = ()

    @property
    def name(self) -> str:
        """``check NAME``."""
        return f"check {self.package}"

    @property
    def label(self) -> str:
        """``check of NAME``."""
        return f"check of {self.package}"

    def describe(self) -> str:
        """What is checked."""
        return f"twine check --strict; name {self.package}, version {self.version}"

    def run(self, ctx: Context) -> None:
        """Check the built files (one after another: twine's checker prints process-wide)."""
        assert isinstance(ctx, WorkspaceContext)
        m = ctx.member(self.package)
        files = ctx.built[self.package]
        ctx.reporter.start(self.name, "twine check --strict, name and version")
        check.check(files, m.name, m.release.version)
        ctx.reporter.finish("ok", f"{len(files)} file(s) are {m.name} {m.release.version}")


@frozen
class Push:
    """The release commit and every tag in one atomic push, unless the remote has them."""

    remote: str
    branch: str
    tags: tuple[str, ...]
    rehearsal: bool = False
    name: str = "push"
    label: str = "push"
    failure: Failure = Failure.ROLLBACK
    inner: tuple[Step, ...] = ()

    def describe(self) -> str:
        """What goes where."""
        where = "the rehearsal's throwaway bare repository" if self.rehearsal else self.remote
        return f"{self.branch} and {', '.join(self.tags)} to {where}, atomically"

    def run(self, ctx: Context) -> None:
        """Push; from here on the release is public: nothing is rolled back."""
        assert isinstance(ctx, WorkspaceContext)
        repo, tags = ctx.git, self.tags
        there = git.remote_refs(repo, self.remote)
        if all(there.get(f"refs/tags/{t}") == git.tag_commit(repo, t) for t in tags):
            ctx.public = True
            ctx.reporter.skip(self.name, f"{self.remote} has every tag already")
            return
        ctx.reporter.start(self.name, f"{self.branch} and {len(tags)} tag(s) to {self.remote}")
        refspecs = [f"HEAD:refs/heads/{self.branch}", *(f"refs/tags/{t}" for t in tags)]
        git.push_atomic(repo, self.remote, refspecs)
        ctx.public = True
        ctx.reporter.finish(
            "ok", f"{self.branch} ({git.head_sha(repo)[:12]}) and {', '.join(tags)}"
        )
