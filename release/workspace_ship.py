"""A workspace release as one transaction, built from the single-package building blocks.

1. preflight every chosen package; 2. one release commit (pins rewritten with it), all tags;
3. build (in parallel, in shared build environments) and check every package;
4. push the commit and every tag atomically; 5. upload and verify in dependency order, one
environment per wave of packages that do not require each other (``workspace_verify``).

A failure up to and including the push rolls back the commit and the tags. After that the
same command resumes at HEAD, whose tags say which release it is, and each package's record
(``.git/releasekit/NAME/TAG``) says what is done: no second bump, no second upload.
"""

from __future__ import annotations

import contextlib
import io
import shutil
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from . import (
    bump,
    check,
    git,
    index,
    publish,
    record,
    verify,
    workspace,
    workspace_build,
    workspace_verify,
)
from . import workspace_preflight as preflight
from .config import Config
from .errors import Interrupted, ReleaseError, StepError, UsageError
from .model import Release
from .settings import Settings
from .workspace_plan import Decision, PackageRelease, commit_message

if TYPE_CHECKING:
    from .gitrepo import Repo

Echo = Callable[[str], None]


@dataclass(frozen=True)
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
        name = canonicalize_name(self.name)
        return Path(repo.git_dir) / "releasekit" / name / self.release.tag / "state.json"


@dataclass
class Shipped:
    """What the transaction did."""

    releases: tuple[PackageRelease, ...]
    files: dict[str, list[Path]] = field(default_factory=dict)
    resumed: bool = False


@dataclass(frozen=True)
class Run:
    """Everything a step needs besides the members."""

    workspace: workspace.Workspace
    root: Config
    settings: Settings
    push: bool
    isolated: bool
    echo: Echo
    environ: Mapping[str, str]


def members_of(ws: workspace.Workspace, root: Config, decision: Decision) -> list[Member]:
    """Each release with its package's configuration, in the decision's (dependency) order."""
    return [
        Member(r, workspace.package_config(ws.root, r.directory, ws.lockstep, root))
        for r in decision.releases
    ]


def ship(run: Run, decision: Decision, *, resume: bool) -> Shipped:
    """Release ``decision``'s packages as one transaction (see the module's docstring)."""
    repo = git.open_repo(run.workspace.root)
    members = members_of(run.workspace, run.root, decision)
    remote, branch = preflight.remote(repo, run.root)
    made = Made()  # filled in as the bump goes: a rollback knows what exists at any moment
    if not resume:
        preflight.check(run, repo, members, remote, branch)
    try:
        if not resume:
            _bump(run, repo, decision, members, made)
        files = _build_all(run, repo, members)
        _push(run, repo, remote, branch, decision.tags)
    except BaseException as exc:
        if made:
            _rollback(repo, made, members)
            run.echo("rolled back: the release commit and its tags are gone, every file as it was")
        if isinstance(exc, KeyboardInterrupt):
            undone = "rolled back" if made else "nothing was changed"
            raise Interrupted(
                f"interrupted before the first upload; {undone}", hint="run again"
            ) from exc
        if isinstance(exc, ReleaseError) and not isinstance(exc, UsageError):
            raise StepError(
                exc.message,
                hint=f"{exc.hint + '; then ' if exc.hint else 'fix it, then '}run again",
            ) from exc
        raise
    for wave in waves(run.workspace, members):
        try:
            for m in wave:
                _upload(run, m, files[m.name])
            _verify_wave(run, repo, wave, files)
        except KeyboardInterrupt as exc:
            raise Interrupted(
                f"interrupted during the upload or verify of {', '.join(m.name for m in wave)}; "
                "the release is pushed, so nothing was rolled back",
                hint="run the same command again to resume (no second bump, no second upload)",
            ) from exc
    return Shipped(decision.releases, files, resume)


def waves(ws: workspace.Workspace, members: list[Member]) -> list[list[Member]]:
    """``members`` in waves: each uploaded, then verified at once (see ``graph.waves``)."""
    from .workspace_graph import graph
    from .workspace_graph import waves as cut

    by_name = {m.name: m for m in members}
    return [[by_name[n] for n in wave] for wave in cut(graph(ws.packages), list(by_name))]


# --- bump: one commit, every tag ---


@dataclass
class Made:
    """What the bump has made so far: the commit's outcome and the tags."""

    outcome: bump.Outcome | None = None
    tags: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.outcome is not None or bool(self.tags)


def _bump(run: Run, repo: Repo, decision: Decision, members: list[Member], made: Made) -> None:
    """Rewrite every version source, changelog and sibling pin; commit once; tag each."""
    files: dict[Path, bytes] = {}
    first: bump.BumpPlan | None = None
    for m in members:
        plan = bump.plan(bump.read_state(m.config), str(m.release.version), commit=True)
        if plan.towncrier is not None:
            raise UsageError(
                f"{m.name} uses towncrier, which workspace releases do not run yet",
                hint=f"release {m.name} on its own, or keep its notes in a Keep a Changelog file",
            )
        first = first or plan
        files.update({p.resolve(): data for p, data in plan.files.items()})
    pins = [(w.directory, w.old, w.new) for w in decision.rewrites]
    files = workspace.pin_files(run.workspace.root, pins, files)
    assert first is not None
    combined = bump.BumpPlan(
        root=run.workspace.root,
        current=first.current,
        target=first.target,
        edits=(),
        changelog=None,
        changelog_note=None,
        files=files,
        commit=bool(files),
        tag=None,
        vcs=None,
        git_hooks=run.root.git_hooks,
        message=commit_message(decision.releases),
    )
    run.echo(f"bump: {commit_message(decision.releases).splitlines()[0]}")
    made.outcome = bump.execute(combined)  # on its own failure it rolls itself back
    for r in decision.releases:
        if r.tag not in made.tags:
            made.tags.append(r.tag)  # first: preflight made sure no tag of that name existed
            git.create_tag(repo, r.tag, f"Release {r.name} {r.version}")
    commit = made.outcome.commit or git.head_sha(repo)
    run.echo(f"  commit {commit[:12]}, tags {', '.join(made.tags)}")


def _rollback(repo: Repo, made: Made, members: list[Member]) -> None:
    for tag in made.tags:
        if git.tag_exists(repo, tag):
            git.delete_tag(repo, tag)
    if made.outcome is not None:
        bump.rollback(made.outcome)
    for m in members:
        shutil.rmtree(m.state_file(repo).parent, ignore_errors=True)


# --- build and check ---


def _build_all(run: Run, repo: Repo, members: list[Member]) -> dict[str, list[Path]]:
    """Build (or reuse the earlier run's files of) every package and check each."""
    files = {m.name: _reused(run, repo, m) for m in members}
    todo = [m for m in members if not files[m.name]]
    dirs = {m.name: m.release.directory for m in todo} if run.isolated else {}
    with (
        workspace_build.environments(repo, dirs, run.environ, run.echo) as shared,
        ThreadPoolExecutor(max_workers=min(4, len(todo)) or 1) as pool,
    ):
        # builds need only their backends, not their siblings: all may run at once
        futures = {m.name: pool.submit(_build_one, run, repo, m, shared.get(m.name)) for m in todo}
        files.update({name: future.result() for name, future in futures.items()})
    # checked here, one after another: twine's check prints and logs through process-wide
    # streams, so two checks in threads would mix their findings (each takes a fraction of a second)
    return {m.name: _check(run, m, files[m.name]) for m in members}


def _check(run: Run, m: Member, files: list[Path]) -> list[Path]:
    try:
        check.check(files, m.name, m.release.version)
    except ReleaseError as exc:
        raise StepError(f"check of {m.name} failed: {exc.message}", hint=exc.hint) from exc
    run.echo(f"check: {m.name} {m.release.version}: {len(files)} file(s) ok")
    return files


def _reused(run: Run, repo: Repo, m: Member) -> list[Path]:
    """The files an earlier run built from the tag's commit, if all are there intact."""
    saved = record.load(m.state_file(repo))
    commit = git.tag_commit(repo, m.release.tag)
    if saved.commit != commit or not saved.files:
        return []
    paths = [m.state_file(repo).parent / "dist" / n for n in saved.files]
    if all(p.is_file() and index.sha256_file(p) == saved.files[p.name] for p in paths):
        run.echo(f"build: {m.name}: reusing the files built from {m.release.tag}")
        return paths
    return []


def _build_one(run: Run, repo: Repo, m: Member, shared: str | None) -> list[Path]:
    state_file = m.state_file(repo)
    dist = state_file.parent / "dist"
    if dist.exists():
        shutil.rmtree(dist)
    try:
        built = workspace_build.build_member(m.config, m.release.tag, dist, run, shared)
    except ReleaseError as exc:
        raise StepError(f"build of {m.name} failed: {exc.message}", hint=exc.hint) from exc
    paths = list(built.artifacts)
    record.save(
        state_file,
        record.load(state_file).built(built.commit, {p.name: index.sha256_file(p) for p in paths}),
    )
    run.echo(f"build: {m.name}: {', '.join(p.name for p in paths)}")
    return paths


# --- push, upload, verify ---


def _push(run: Run, repo: Repo, remote: str | None, branch: str, tags: tuple[str, ...]) -> None:
    """The commit and every tag in one atomic push, unless the remote has them already."""
    if not run.push or remote is None:
        run.echo("push: skipped" + (" (--no-push)" if not run.push else " (no remote)"))
        return
    head = git.head_sha(repo)
    there = git.remote_refs(repo, remote)
    if all(there.get(f"refs/tags/{t}") == git.tag_commit(repo, t) for t in tags):
        run.echo(f"push: {remote} has every tag already")
        return
    git.push_atomic(repo, remote, [f"HEAD:refs/heads/{branch}", *(f"refs/tags/{t}" for t in tags)])
    run.echo(f"push: {branch} ({head[:12]}) and {', '.join(tags)} to {remote}")


def _upload(run: Run, m: Member, files: list[Path]) -> None:
    with _failing(m):
        with contextlib.redirect_stdout(_Lines(run.echo)):  # twine prints its own progress
            done = publish.publish(
                files, run.settings.target, run.settings.upload_backoff, run.echo
            )
        uploaded = sum(1 for _, o in done.outcomes if o == "uploaded")
        run.echo(
            f"upload: {m.name} {m.release.version}: {uploaded} uploaded, {len(files) - uploaded} already there"
        )


def _verify_wave(run: Run, repo: Repo, wave: list[Member], files: dict[str, list[Path]]) -> None:
    """Verify the wave's packages not verified yet: in one environment (``workspace_verify``)."""
    target = run.settings.target
    by_name = {m.name: m for m in wave}

    def passed(r: Release) -> None:
        state = by_name[r.name].state_file(repo)
        record.save(state, record.load(state).but(verified=True))
        run.echo(f"verified: {r} installs from {target.index_url}")

    todo = []
    for m in wave:  # a re-run verifies only the packages not verified yet
        if record.load(m.state_file(repo)).verified:
            run.echo(f"verified: {m.name} {m.release.version} installs from {target.index_url}")
        else:
            todo.append((Release(m.name, m.release.version, m.release.tag), files[m.name]))
    where = verify.Where(
        target.index_url, run.settings.extra_index_url, run.settings.verify_backoff
    )
    try:
        workspace_verify.verify_wave(todo, where, passed, echo=run.echo, environ=run.environ)
    except workspace_verify.Failed as exc:
        with _failing(by_name[exc.release.name]):
            raise exc.error from exc


@contextlib.contextmanager
def _failing(m: Member) -> Iterator[None]:
    """A failure of ``m``'s upload or verify as a step error that says how to resume."""
    try:
        yield
    except ReleaseError as exc:
        raise StepError(
            f"{m.name} {m.release.version}: {exc.message}",
            hint=f"{exc.hint + '; then ' if exc.hint else ''}run the same command again to "
            "resume: nothing is rolled back once the release is pushed",
        ) from exc


class _Lines(io.StringIO):
    """A text stream that passes each complete line to ``echo``, indented."""

    def __init__(self, echo: Echo) -> None:
        super().__init__()
        self.echo = echo
        self.pending = ""

    def write(self, text: str) -> int:
        """Echo every complete line of ``text``; keep the rest for the next write."""
        *lines, self.pending = (self.pending + text).split("\n")
        for line in lines:
            if line.strip():
                self.echo(f"    {line.strip()}")
        return len(text)


def complete(repo: Repo, members: list[Member]) -> bool:
    """Whether every package's record says it was uploaded and verified."""
    return all(record.load(m.state_file(repo)).verified for m in members)


def rehearse(run: Run, decision: Decision, *, keep: bool, resume: bool = False) -> Shipped:
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
        run.echo(f"rehearsal: a throwaway clone in {workdir}, a throwaway index")
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
            return ship(inner_run, decision, resume=resume)
    finally:
        if keep:
            run.echo(f"kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
