"""Read: everything a release depends on, read once, as one frozen value.

``read`` does all the I/O a release decision needs (git, ``git ls-remote``, the index, the
credentials, the changelog, the resume record) and changes nothing. Deciding what to do with
it is ``plan.decide``'s job, which is pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from packaging.version import Version

from . import bump, credentials, git, github, hooks, index, preflight, project
from . import changelog as changelog_mod
from . import record as record_mod
from . import retry as retry_mod
from .config import Config
from .dists import normalize
from .errors import ReleaseError, StepError, UsageError
from .fragments import preflight_checks as towncrier_checks
from .model import Options, Release
from .record import Record
from .settings import Settings
from .targets import Target
from .unreleased import resolve as resolve_part
from .values import field, frozen, replace
from .version import check_publishable, greatest_tag, next_version

HEAD, BELOW, ABOVE = "head", "below", "above"
"""Where the release being resumed sits: its tag at HEAD; HEAD is its after-release-bump commit
(the release is HEAD's parent); or the pushed release commit is HEAD's child (a CI re-run at the
commit the release was made from)."""


@frozen
class World:
    """What ``read`` found; nothing was changed to get it. The defaults are a clean checkout."""

    config: Config
    target: Target
    name: str
    current: Version
    """The version the sources hold (the release's own, when HEAD is its dev commit)."""
    version: Version | None
    """The version to release, or the one being resumed; None when it cannot be computed."""
    tag: str | None
    part_reason: str = ""
    """Why ``--part auto`` chose its part."""
    problem: ReleaseError | None = None
    """Why the next version cannot be computed or published."""
    sources_problem: str | None = None
    """Why the version sources cannot be read."""
    at: str | None = None
    """``HEAD``, ``BELOW`` or ``ABOVE`` when a release is in progress here, else None."""
    head: str = ""
    release_commit: str = ""
    """The commit the release is (or will be) made from: HEAD unless ``at`` says otherwise."""
    dirty: tuple[str, ...] = ()
    untracked: tuple[str, ...] = ()
    branch: str | None = "main"
    """The checked-out branch; None on a detached HEAD."""
    release_branch: str = "main"
    remote: str | None = "origin"
    remote_branch: str = "main"
    upstream: str | None = "origin/main"
    """``remote/branch`` when the remote has the branch, else None."""
    behind: bool = False
    tag_local: str | None = None
    tag_remote: str | None = None
    remote_latest: tuple[str, Version] | None = None
    remote_problem: str | None = None
    shallow: bool = False
    identity_problem: str | None = None
    on_index: tuple[str, ...] = ()
    index_problem: str | None = None
    credentials: str | None = None
    rewrite_problem: str | None = None
    rewrite_hint: str | None = None
    github_problem: str | None = None
    notes_problem: str | None = None
    towncrier: tuple[preflight.Check, ...] = ()
    record: Record = field(default_factory=Record)
    record_path: Path | None = None
    """Where the resume record of this release is kept (beside its ``dist`` directory)."""

    @property
    def release(self) -> Release | None:
        """The release, when its version is known."""
        if self.version is None or self.tag is None:
            return None
        return Release(self.name, self.version, self.tag)


@frozen
class _Identity:
    """Which release this is: the next one, or one in progress."""

    current: Version
    version: Version | None
    state: bump.State | None
    at: str | None = None
    part_reason: str = ""
    problem: ReleaseError | None = None
    sources_problem: str | None = None
    release_commit: str | None = None
    """Set when it is not HEAD."""


def _locate(
    repo: git.Repo, found: _Identity, head: str, tag: str | None, tag_remote: str | None
) -> _Identity:
    """``found`` with the commit the release is made from, and whether HEAD is its parent."""
    if found.at == BELOW:
        return replace(found, release_commit=git.first_parent(repo, head) or head)
    if found.at is None and found.state is not None and tag and tag_remote is not None:
        local = git.tag_commit(repo, tag)
        if local == tag_remote and local and git.first_parent(repo, local) == head:
            # a re-run at the commit the release was made from (a CI re-run checks out the
            # commit that triggered it): the pushed release commit on top of it is resumed
            return replace(found, at=ABOVE, release_commit=local)
    return found


@frozen
class _Remote:
    """What the remote has, read with ``git ls-remote``."""

    remote: str | None
    remote_branch: str
    upstream: str | None = None
    behind: bool = False
    tag_remote: str | None = None
    latest: tuple[str, Version] | None = None
    problem: str | None = None


def read(config: Config, options: Options, environ: Mapping[str, str], settings: Settings) -> World:
    """Read everything the release depends on; change nothing."""
    target = settings.target
    repo = open_repo(config)
    name = project.name_of(config)
    head = git.head_sha(repo)
    branch, release_branch = git.current_branch(repo), git.release_branch(repo, config.branch)
    found = _identify(repo, config, options, head)
    tag = config.tag(found.version) if found.version is not None else None
    with ThreadPoolExecutor(max_workers=1) as pool:
        # the index and the remote are read at once: both mostly wait on the network
        index_read = pool.submit(_read_index, settings, name, found.version)
        remote = _read_remote(repo, config, target, tag, branch or release_branch)
        found = _locate(repo, found, head, tag, remote.tag_remote)  # the version stays
        on_index, index_problem = index_read.result()
    fresh = found.at is None
    rewrite = _rewrite_problem(found.state, found.version) if fresh else (None, None)
    path = _record_path(repo, name, tag) if tag else None
    record = record_mod.load(path)
    return World(
        config=config,
        target=target,
        name=name,
        current=found.current,
        version=found.version,
        tag=tag,
        part_reason=found.part_reason,
        problem=found.problem,
        sources_problem=found.sources_problem,
        at=found.at,
        head=head,
        release_commit=found.release_commit or head,
        dirty=tuple(git.dirty_files(repo)),
        untracked=tuple(git.untracked_files(repo)),
        branch=branch,
        release_branch=release_branch,
        remote=remote.remote,
        remote_branch=remote.remote_branch,
        upstream=remote.upstream,
        behind=remote.behind,
        tag_local=git.tag_commit(repo, tag) if tag else None,
        tag_remote=remote.tag_remote,
        remote_latest=remote.latest,
        remote_problem=remote.problem,
        shallow=git.is_shallow(repo),
        identity_problem=git.identity_problem(repo),
        on_index=on_index,
        index_problem=index_problem,
        credentials=credentials.source(target, environ),
        rewrite_problem=rewrite[0],
        rewrite_hint=rewrite[1],
        github_problem=_github_problem(config, environ),
        notes_problem=_notes_problem(config, found.version),
        towncrier=tuple(towncrier_checks(config)) if fresh else (),
        record=record,
        record_path=path,
    )


def open_repo(config: Config) -> git.Repo:
    """The project's repository, which must have a commit to release."""
    repo = git.open_repo(config.project)
    if not repo.head.is_valid():  # say so, not git's own words
        raise UsageError(
            f"the repository of {config.project} has no commits yet",
            hint="commit the project first: a release is made from a commit",
        )
    return repo


def _identify(repo: git.Repo, config: Config, options: Options, head: str) -> _Identity:
    """The release in progress at HEAD, else the next one ``options.part`` asks for."""
    try:
        state: bump.State | None = bump.read_state(config)
    except UsageError as exc:
        return _Identity(Version("0"), None, None, sources_problem=exc.message)
    assert state is not None
    current = state.current
    if config.tag(current) in git.tags_at(repo, head):
        return _publishable(_Identity(current, current, state, at=HEAD))
    if config.after_release_bump:
        released = _released_below(repo, config, current, head)
        if released is not None:  # HEAD is the after-release-bump commit of a release made here
            return _publishable(_Identity(released, released, state, at=BELOW))
    try:
        decision = resolve_part(config, current, options.part)
        version = next_version(current, decision.spec)
    except UsageError as exc:
        return _Identity(current, None, state, problem=exc)
    return _publishable(_Identity(current, version, state, part_reason=decision.reason))


def _publishable(found: _Identity) -> _Identity:
    """``found``, with the problem if its version may not be uploaded to an index."""
    if found.version is None:
        return found
    try:
        check_publishable(found.version)
    except UsageError as exc:
        return replace(found, problem=exc)
    return found


def _released_below(repo: git.Repo, config: Config, current: Version, head: str) -> Version | None:
    """The release whose tagged commit is HEAD's parent, when HEAD moved to its .dev0 version."""
    parent = git.first_parent(repo, head)
    if parent is None:
        return None
    found = greatest_tag(git.tags_at(repo, parent), config.tag_format)
    if found is None or hooks.next_dev(found[1]) != current:
        return None
    return found[1]


def remote_of(repo: git.Repo, branch: str) -> tuple[str | None, str | None]:
    """The remote (and its branch) that ``branch`` pushes to: its upstream, else ``origin``."""
    up = git.upstream(repo, branch)
    if up is not None:
        return up
    names = [r.name for r in repo.remotes]
    return ("origin", None) if "origin" in names else (None, None)


def _read_remote(
    repo: git.Repo, config: Config, target: Target, tag: str | None, branch: str
) -> _Remote:
    """The remote's branch and tags; not read for a rehearsal (its remote is a throwaway)."""
    remote, remote_branch = remote_of(repo, branch)
    found = _Remote(remote, remote_branch or git.release_branch(repo, config.branch))
    if remote is None or target.name == "local":  # read even with --no-push
        return found
    try:
        refs = git.remote_refs(repo, remote)
    except ReleaseError as exc:
        return replace(found, problem=exc.message)
    latest = greatest_tag(
        (r.removeprefix("refs/tags/") for r in refs if r.startswith("refs/tags/")),
        config.tag_format,
    )
    remote_head = refs.get(f"refs/heads/{found.remote_branch}")
    return replace(
        found,
        upstream=None if remote_head is None else f"{remote}/{found.remote_branch}",
        behind=remote_head is not None and not git.is_ancestor(repo, remote_head),
        tag_remote=refs.get(f"refs/tags/{tag}") if tag else None,
        latest=latest,
    )


PREFLIGHT_RETRY_TIMEOUT = 15.0
"""At most this long, preflight keeps reading an index that answers 5xx or not at all."""


def _preflight_backoff(backoff: retry_mod.Backoff) -> retry_mod.Backoff:
    """The upload's backoff, capped: preflight only reads."""
    return replace(backoff, timeout=min(backoff.timeout, PREFLIGHT_RETRY_TIMEOUT))


def _read_index(
    settings: Settings, name: str, version: Version | None
) -> tuple[tuple[str, ...], str | None]:
    """The files of ``version`` on the target index (not read for a rehearsal), or its problem."""
    target = settings.target
    if version is None or target.name == "local":
        return (), None
    backoff = _preflight_backoff(settings.upload_backoff)
    return _index_problem(target, name, version, settings.index_timeout, backoff)


def _index_problem(
    target: Target, name: str, version: Version, timeout: float, backoff: retry_mod.Backoff
) -> tuple[tuple[str, ...], str | None]:
    """The files of ``version`` on the index, or why the index cannot be read.

    Read with bounded retries: one 5xx or a dropped connection refuses nothing.
    """
    try:
        listed = index.with_retries(
            lambda: index.read_project(target.index_url, name, timeout=timeout),
            backoff,
            f"read {target.index_url}",
        )
        if not listed:
            index.probe(target.index_url, timeout=timeout)  # a 404 for every page is no index
        return tuple(index.files_of(listed, name, version)), None
    except (index.Unavailable, StepError) as exc:
        return (), f"cannot read {target.index_url}: {getattr(exc, 'message', exc)}"


def _rewrite_problem(
    state: bump.State | None, version: Version | None
) -> tuple[str | None, str | None]:
    """Why the bump to ``version`` could not write its files, and the fix; Nones when it could."""
    if state is None or version is None:
        return None, None
    try:
        plan = bump.plan(state, str(version), commit=True, tag=True)
    except UsageError as exc:
        return exc.message, exc.hint or "fix that file, then run again"
    return preflight.unwritable_files(plan.files), None


def _github_problem(config: Config, environ: Mapping[str, str]) -> str | None:
    """Why ``github-release = true`` could not announce, checked before anything changes."""
    if not config.github_release:
        return None
    try:
        github.repository(config.project, environ)
        github.api_url(environ)
        github.token(environ)
    except UsageError as exc:
        return f"github-release = true, but {exc.message}"
    return None


def _notes_problem(config: Config, version: Version | None) -> str | None:
    """Why ``version`` would be released with empty notes, or None when it has notes."""
    if version is None:
        return None
    log = changelog_mod.find(config.project, config.changelog)
    if log is None or not log.is_file():
        return "no changelog: the release would have no notes"
    try:
        text = log.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return f"cannot read {log.name}: {exc}"
    if changelog_mod.notes_for(text, str(version)):
        return None
    return f"the notes for {version} in {log.name} are empty"


def previous(world: World) -> str:
    """The version the release is made from: read before the bump, or recorded then, or the tags'.

    Read only when a release runs: the tags below a release tag are not there in a shallow
    clone until ``ship`` fetched them.
    """
    if world.at is None:
        return str(world.current)
    if world.record.previous is not None:
        return world.record.previous
    repo, tag = git.open_repo(world.config.project), world.tag
    found = greatest_tag(
        (t for t in git.tags_merged(repo, f"{tag}^") if t != tag), world.config.tag_format
    )
    return str(found[1]) if found else ""


def _record_path(repo: git.Repo, name: str, tag: str) -> Path:
    # keyed by project and tag: packages of one repository may be released under one tag name
    return Path(repo.git_dir) / "releasekit" / normalize(name) / tag / record_mod.FILENAME
