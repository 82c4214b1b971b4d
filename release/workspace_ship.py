"""A workspace release as one transaction: a plan of steps, run by the common runner.

``read`` takes what the plan depends on besides the decision (the remote, the branch, which
packages earlier runs verified); ``plan`` (pure) gives the steps (see ``workspace_steps``):

1. ``bump``: one release commit naming every package and version (pins rewritten), all tags;
2. ``build NAME`` and ``check NAME`` for every package (the builds run at the same time, in
   shared build environments);
3. ``push``: the commit and every tag atomically;
4. per wave of packages that do not require each other, in dependency order: ``upload NAME``
   for each, then ``verify NAMES`` in one environment (``workspace_verify``).

The dry run, ``status``, ``--json`` and the run all read that one plan. A failure up to and
including the push rolls back the commit and the tags (``workspace_steps.undo``). After that
the same command resumes at HEAD, whose tags say which release it is, and each package's record
(``.git/releasekit/NAME/TAG``) says what is done: no second bump, no second upload.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from . import git, record, runner, workspace
from . import workspace_preflight as preflight
from .config import Config
from .dists import normalize
from .model import Options, Release
from .settings import Settings
from .steps import Nothing, Skip, Step, walk
from .values import field, frozen, mutable
from .workspace_plan import Decision, PackageRelease
from .workspace_public import Upload, Verify
from .workspace_steps import Build, Bump, Check, Push, WorkspaceContext, undo

if TYPE_CHECKING:
    from .gitrepo import Repo
    from .progress import Reporter

Echo = Callable[[str], None]
Planned = Callable[[tuple[Step, ...]], None]


@frozen
class Member:
    """One package of the transaction: its release and its configuration."""

    release: PackageRelease
    config: Config

    @property
    def name(self) -> str:
        """The package's normalised name."""
        return self.release.name

    def state_file(self, repo: Repo) -> Path:
        """Where this package's resume record is kept (the single-package layout)."""
        name = normalize(self.name)
        return Path(repo.git_dir) / "releasekit" / name / self.release.tag / "state.json"


@mutable
class Shipped:
    """What the transaction did."""

    releases: tuple[PackageRelease, ...]
    files: dict[str, list[Path]] = field(default_factory=dict)
    resumed: bool = False
    complete: bool = False
    """Nothing was left to do: every package was pushed, uploaded and verified before."""


@frozen
class Run:
    """Everything a step needs besides the members."""

    workspace: workspace.Workspace
    root: Config
    settings: Settings
    push: bool
    isolated: bool
    echo: Echo
    environ: Mapping[str, str]


@frozen
class Found:
    """What the plan depends on besides the decision: read from git and the records."""

    resume: bool
    remote: str | None
    branch: str
    verified: frozenset[str] = frozenset()
    """The packages an earlier run verified (their records say so)."""


def members_of(ws: workspace.Workspace, root: Config, decision: Decision) -> list[Member]:
    """Each release with its package's configuration, in the decision's (dependency) order."""
    return [
        Member(r, workspace.package_config(ws.root, r.directory, ws.lockstep, root))
        for r in decision.releases
    ]


def waves(ws: workspace.Workspace, members: list[Member]) -> list[list[Member]]:
    """``members`` in waves: each uploaded, then verified at once (see ``graph.waves``)."""
    from .workspace_graph import graph
    from .workspace_graph import waves as cut

    by_name = {m.name: m for m in members}
    return [[by_name[n] for n in wave] for wave in cut(graph(ws.packages), list(by_name))]


def read(run: Run, repo: Repo, members: list[Member], *, resume: bool) -> Found:
    """The remote and branch to push to, and which packages are verified already."""
    remote, branch = preflight.remote(repo, run.root)
    done = [m.name for m in members if resume and record.load(m.state_file(repo)).verified]
    return Found(resume, remote, branch, frozenset(done))


def plan(run: Run, decision: Decision, members: list[Member], found: Found) -> tuple[Step, ...]:
    """The steps of the release (pure: from the decision, the settings and ``found``)."""
    names = ", ".join(f"{r.name} {r.version}" for r in decision.releases)
    if found.resume and len(found.verified) == len(members):
        return (Nothing(f"{names} is already released ({', '.join(decision.tags)})"),)
    tags = ", ".join(decision.tags)
    steps: list[Step] = [
        Skip(
            "bump",
            f"skipped, HEAD already carries {tags} (resuming)",
            f"HEAD already carries {tags}",
        )
        if found.resume
        else Bump(decision)
    ]
    steps += [Build(m.name, str(m.release.version), m.release.tag) for m in members]
    steps += [Check(m.name, str(m.release.version)) for m in members]
    rehearsal = run.settings.target.name == "local"
    steps.append(_push(run, found, decision.tags, rehearsal))
    target = run.settings.target
    shown = "the throwaway index" if rehearsal else target.index_url
    for wave in waves(run.workspace, members):
        steps += [Upload(m.name, str(m.release.version), target, rehearsal) for m in wave]
        todo = tuple(m.name for m in wave if m.name not in found.verified)
        if todo:
            steps.append(Verify(todo, target.index_url, shown))
        else:
            done = "skipped, verified by an earlier run"
            steps.append(Skip(f"verify {', '.join(m.name for m in wave)}", done, done))
    return tuple(steps)


def _push(run: Run, found: Found, tags: tuple[str, ...], rehearsal: bool) -> Step:
    """The push, or why it is skipped (the rehearsal's clone gets a remote of its own)."""
    if not run.push:
        return Skip("push", "skipped (--no-push)", "--no-push")
    if found.remote is None and not rehearsal:
        return Skip("push", "skipped (no remote)", "no remote")
    return Push(found.remote or "origin", found.branch, tags, rehearsal)


def lines(steps: tuple[Step, ...]) -> list[tuple[str, str]]:
    """Every step as (name, description), in the order they run."""
    return [(step.name, step.describe()) for step in walk(steps)]


def steps_of(run: Run, decision: Decision, *, resume: bool) -> tuple[Step, ...]:
    """The plan of ``decision`` in this checkout (for the dry run and ``status``)."""
    repo = git.open_repo(run.workspace.root)
    members = members_of(run.workspace, run.root, decision)
    return plan(run, decision, members, read(run, repo, members, resume=resume))


def ship(
    run: Run,
    decision: Decision,
    *,
    resume: bool,
    reporter: Reporter,
    rerun: str,
    planned: Planned = lambda steps: None,
) -> Shipped:
    """Release ``decision``'s packages as one transaction (see the module's docstring)."""
    repo = git.open_repo(run.workspace.root)
    members = members_of(run.workspace, run.root, decision)
    found = read(run, repo, members, resume=resume)
    ctx = context(run, decision, members, repo, reporter, rerun)
    if not resume:
        preflight.check(run, repo, members, found.remote, found.branch)
        Bump(decision).plan(ctx)  # what the bump cannot carry out is refused (exit 2) here
    steps = plan(run, decision, members, found)
    planned(steps)
    with ctx.stack:  # the builds' pool and shared environments, ended on every way out
        runner.execute(steps, ctx, undo)
    complete = isinstance(steps[0], Nothing)
    return Shipped(decision.releases, ctx.built, resume, complete)


def context(
    run: Run,
    decision: Decision,
    members: list[Member],
    repo: Repo,
    reporter: Reporter,
    rerun: str,
) -> WorkspaceContext:
    """The runner's context: the release as a whole, and what the steps share."""
    first = decision.releases[0]
    whole = Release(
        ", ".join(r.name for r in decision.releases), first.version, ", ".join(decision.tags)
    )
    return WorkspaceContext(
        release=whole,
        options=Options(rerun=rerun, isolated=run.isolated),
        settings=run.settings,
        reporter=reporter,
        environ=run.environ,
        previous=str(first.current),
        record_path=Path(repo.git_dir) / "releasekit" / "workspace" / "state.json",
        run_of=run,
        repo=repo,
        members=tuple(members),
    )


def rehearse(
    run: Run,
    decision: Decision,
    *,
    keep: bool,
    resume: bool,
    reporter: Reporter,
    rerun: str,
    planned: Planned = lambda steps: None,
) -> Shipped:
    """The transaction in a throwaway clone, against a throwaway index (the local target)."""
    import tempfile

    from . import config as config_mod
    from . import rehearsal, server, settings

    workdir = Path(tempfile.mkdtemp(prefix="releasekit-rehearsal-"))
    try:
        clone = rehearsal._prepare(run.root, workdir)
        inner = config_mod.load(clone)
        env = dict(run.environ)
        env["RELEASE_EXTRA_INDEX_URL"] = " ".join(rehearsal.dependency_indexes(inner, run.environ))
        reporter.line(f"rehearsal: a throwaway clone in {workdir}, a throwaway index")
        with server.running(workdir / "index") as srv:
            checked = settings.build(
                inner, repository=srv.url, index_url=srv.index_url, environ=env
            )
            inner_run = Run(
                workspace=workspace.read(clone),
                root=inner,
                settings=checked,
                push=True,
                isolated=run.isolated,
                echo=run.echo,
                environ=env,
            )
            return ship(
                inner_run, decision, resume=resume, reporter=reporter, rerun=rerun, planned=planned
            )
    finally:
        if keep:
            reporter.line(f"kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
