"""Preflight: read the facts a release depends on, then decide (pure) what would refuse it."""

from __future__ import annotations

from collections.abc import Callable

from .fsutil import unwritable_files as unwritable_files  # where it lives now
from .values import frozen


@frozen
class Facts:
    """Everything preflight looks at, read beforehand so that deciding is pure."""

    dirty: tuple[str, ...]
    branch: str | None
    release_branch: str
    upstream: str | None
    behind: bool
    tag: str
    tag_local: str | None
    tag_remote: str | None
    head: str
    resume: bool
    on_index: tuple[str, ...]
    index_problem: str | None
    credentials: str | None
    needs_credentials: bool
    identity_problem: str | None
    sources_problem: str | None
    remote: str | None
    push: bool
    rehearsal: bool = False
    """The local target: the release runs in a clone of HEAD with a remote of its own."""
    rewrite_problem: str | None = None
    """Why the bump could not rewrite its files (read-only, a missing changelog), if it could not."""
    rewrite_hint: str = "make the files writable (chmod u+w), then run again"
    github_problem: str | None = None
    """Why ``github-release = true`` could not announce (no token, no repository), if it could not."""
    remote_problem: str | None = None
    """Why the remote's refs could not be read (unreachable, no access)."""
    untracked: tuple[str, ...] = ()
    """Those of ``dirty`` that git does not track: a clean-clone build leaves them out anyway."""
    allow_untracked: bool = True
    version: str | None = None
    remote_latest: tuple[str, str] | None = None
    """The remote's release tag with the greatest version, and that version."""
    remote_newer: bool = False
    """The remote's greatest release tag is not older than the version to release."""
    shallow: bool = False
    notes_problem: str | None = None
    """Why the release's notes would be empty, or None when they are not."""
    require_notes: bool = False
    pushed: bool = False
    """Resuming, and the remote has the release tag at HEAD: the push is already done."""


@frozen
class Check:
    """One preflight check: its name, whether it passed, and what to do when it did not."""

    name: str
    ok: bool
    message: str
    hint: str = ""
    exit_code: int = 2
    """1 when the failure is the index's (unreachable, 5xx), not the user's input."""
    warn: bool = False
    """Passed, but says something the user should know (shown as ``warn``)."""


def decide(f: Facts) -> tuple[Check, ...]:
    """Every check, passed or not; a release goes ahead only when all pass.

    Each function of ``CHECKS`` gives one check, or None where it does not apply. In a
    resumed release (HEAD already carries the release tag) the tag is expected to exist
    locally, and files already on the index are finished by the upload step.
    """
    return tuple(check for rule in CHECKS if (check := rule(f)) is not None)


REMOTE_HINT = "check the remote's URL (git remote -v), the network and your access"


def _clash(f: Facts) -> bool:
    """The remote has the tag, and not as the release this run resumes."""
    return f.tag_remote is not None and not (f.resume and f.tag_remote == f.head)


def _sources(f: Facts) -> Check:
    return Check(
        "version sources",
        f.sources_problem is None,
        f.sources_problem or "all version sources agree",
        "make the version sources agree (release bump rewrites them together)",
    )


def _rewrite(f: Facts) -> Check | None:
    if f.rewrite_problem is None:
        return None
    return Check("files to rewrite", False, f.rewrite_problem, f.rewrite_hint)


def _branch(f: Facts) -> Check:
    if f.pushed:
        # the release commit and tag are on the remote: a fresh clone of the tag (a detached
        # HEAD) finishes the release without pushing anything again
        return Check("branch", True, f"{f.tag} is on {f.remote}: finishing it needs no branch")
    if f.branch is None:
        return Check(
            "branch",
            False,
            "HEAD is detached",
            f"check out the release branch: git switch {f.release_branch}",
        )
    ok = f.branch == f.release_branch
    return Check(
        "branch",
        ok,
        f"on {f.branch}"
        if ok
        else f"on branch {f.branch}, not the release branch {f.release_branch}",
        f"git switch {f.release_branch}, or set [tool.release] branch",
    )


def _upstream(f: Facts) -> Check | None:
    if not f.push or f.rehearsal or f.pushed:
        return None
    if f.remote_problem is not None:
        return Check("upstream", False, f"cannot read {f.remote}: {f.remote_problem}", REMOTE_HINT)
    if f.behind and _clash(f):
        # both "push the tag alone" and "pick another version" would be wrong: the remote
        # holds a release of this version made elsewhere, and the branch that has it
        return Check("upstream", False, f"behind {f.upstream}", _released_elsewhere(f))
    if f.upstream is None:
        message = "no upstream branch to push to"
    else:
        message = f"behind {f.upstream}" if f.behind else f"up to date with {f.upstream}"
    return Check("upstream", f.upstream is not None and not f.behind, message, _upstream_hint(f))


def _upstream_hint(f: Facts) -> str:
    if not f.behind:
        return f"git push -u origin {f.release_branch}, or pass --no-push"
    if f.resume and f.on_index:
        # rebasing would move HEAD off the uploaded release's tag and bump again
        return (
            f"the remote moved on after {f.tag} was uploaded: push the tag alone "
            f"(git push origin {f.tag}), then merge (not rebase) the remote branch"
        )
    if f.resume:
        # nothing of it is public: drop the local release, it is made again
        return (
            f"{f.tag} was made here but neither pushed nor uploaded: drop it "
            f"(git tag -d {f.tag}, and git reset --keep HEAD~1 if HEAD is its "
            "release commit), git pull --rebase, then run again"
        )
    return "git pull --rebase, then run again"


def _tag(f: Facts) -> Check:
    if f.resume:
        return Check("tag", True, f"resuming: HEAD carries {f.tag}")
    free = f.tag_local is None
    return Check(
        "tag",
        free,
        f"tag {f.tag} is free locally" if free else f"tag {f.tag} already exists locally",
        _released_elsewhere(f)
        if f.behind and _clash(f)
        else f"pick another version, or delete the tag: git tag -d {f.tag}",
    )


def _remote_tag(f: Facts) -> Check | None:
    if f.remote is None or f.rehearsal:
        return None
    name = "remote tag"
    if f.remote_problem is not None:
        return Check(
            name,
            False,
            f"cannot tell whether tag {f.tag} is free on {f.remote}: {f.remote_problem}",
            REMOTE_HINT,
        )
    clash = _clash(f)
    if f.behind and clash:
        return Check(
            name, False, f"tag {f.tag} already exists on {f.remote}", _released_elsewhere(f)
        )
    if clash:
        message = f"tag {f.tag} already exists on {f.remote}"
    else:
        message = (
            f"tag {f.tag} is on {f.remote}"
            if f.tag_remote
            else f"tag {f.tag} is free on {f.remote}"
        )
    return Check(
        name,
        not clash,
        message,
        f"pick another version; the remote's {f.tag} is {str(f.tag_remote)[:12]}",
    )


def _remote_tags(f: Facts) -> Check | None:
    if f.remote is None or f.rehearsal or f.resume or not f.remote_latest:
        return None
    if f.remote_latest[0] == f.tag:  # that tag itself: the remote tag check says it
        return None
    return _newer_than_remote(f)


def _index(f: Facts) -> Check:
    if f.index_problem is not None:
        return Check(
            "index", False, f.index_problem, "check the index URL and network", exit_code=1
        )
    taken = bool(f.on_index) and not f.resume
    if taken:
        message = f"the index already has {', '.join(f.on_index)}"
    elif not f.on_index:
        message = "the version is not on the index yet"
    else:
        message = f"on the index already: {', '.join(f.on_index)}"
    return Check(
        "index",
        not taken,
        message,
        "pick another version: an index never takes the same version twice",
    )


def _notes(f: Facts) -> Check | None:
    if f.notes_problem is None:
        return None
    # a release already pushed or uploaded is finished whatever its notes say
    refuse = f.require_notes and not f.resume
    return Check(
        "release notes",
        not refuse,
        f.notes_problem,
        "write the changes under ## [Unreleased] in the changelog"
        + ("" if refuse else " ([tool.release] require-notes = true makes this an error)"),
        warn=not refuse,
    )


def _credentials(f: Facts) -> Check:
    return Check(
        "credentials",
        f.credentials is not None or not f.needs_credentials,
        f.credentials or ("none needed" if not f.needs_credentials else "no credentials found"),
        "set TWINE_USERNAME and TWINE_PASSWORD (or TWINE_PASSWORD with a token), "
        "add the index to ~/.pypirc, or use Trusted Publishing in GitHub Actions",
    )


def _identity(f: Facts) -> Check:
    return Check(
        "git identity",
        f.identity_problem is None,
        f.identity_problem or "git knows who you are",
        'git config user.name "Your Name" && git config user.email you@example.com',
    )


def _github(f: Facts) -> Check | None:
    if f.github_problem is None:
        return None
    return Check(
        "github release",
        False,
        f.github_problem,
        "set GITHUB_TOKEN and GITHUB_REPOSITORY=owner/name, or github-release = false",
    )


def _listed(paths: tuple[str, ...]) -> str:
    more = f" and {len(paths) - 5} more" if len(paths) > 5 else ""
    return ", ".join(paths[:5]) + more


def _work_tree(f: Facts) -> Check:
    """Modified tracked files refuse; untracked ones are a warning unless configured to refuse."""
    name = "clean work tree"
    if f.rehearsal and f.dirty:
        return Check(
            name,
            True,
            f"{len(f.dirty)} uncommitted change(s), left out of the rehearsal (it uses HEAD)",
        )
    untracked = set(f.untracked)
    tracked = tuple(p for p in f.dirty if p not in untracked)
    if tracked:
        return Check(
            name,
            False,
            f"uncommitted changes: {_listed(tracked)}",
            "commit or stash them (git stash -u), then run again",
        )
    if f.untracked and not f.allow_untracked:
        return Check(
            name,
            False,
            f"untracked files: {_listed(f.untracked)}",
            "commit them, add them to .gitignore or delete them "
            "([tool.release] allow-untracked = false refuses them)",
        )
    if f.untracked:
        return Check(
            name,
            True,
            f"warning: untracked files are not released (the build uses a clean clone): "
            f"{_listed(f.untracked)}",
        )
    return Check(name, True, "no uncommitted changes")


def _released_elsewhere(f: Facts) -> str:
    """One hint for a remote that moved on and already has this version's tag."""
    there = str(f.tag_remote)[:12]
    drop = f"delete the local tag (git tag -d {f.tag}), " if f.tag_local else ""
    return (
        f"{f.remote} already has {f.tag} (at {there}): {drop}git pull --rebase to get that "
        "release, then run again for the next version"
    )


def _newer_than_remote(f: Facts) -> Check:
    """A release is never older than (or equal to) a release tag the remote already has.

    In a shallow clone the version is not known yet: a real ship fetches the history and tags
    first and checks again, so status and a dry run warn rather than refuse (they fetch nothing).
    """
    assert f.remote_latest is not None
    latest, latest_version = f.remote_latest
    if f.remote_newer and f.shallow:
        return Check(
            "remote tags",
            True,
            f"this clone is shallow, so {f.version} is read without {latest}: ship fetches the "
            f"history and tags from {f.remote} first, then compares again",
            warn=True,
        )
    return Check(
        "remote tags",
        not f.remote_newer,
        f"{f.remote} already has {latest}: {f.version} is not greater"
        if f.remote_newer
        else f"{f.version} is greater than every release tag on {f.remote} (latest {latest})",
        f"fetch the tags (git fetch --tags {f.remote}) and run again, or pick a version above {latest_version}",
    )


CHECKS: tuple[Callable[[Facts], Check | None], ...] = (
    _sources,
    _work_tree,
    _rewrite,
    _branch,
    _upstream,
    _tag,
    _remote_tag,
    _remote_tags,
    _index,
    _notes,
    _credentials,
    _identity,
    _github,
)
"""The checks in the order they are shown; each gives a Check, or None where it does not apply."""


SHALLOW_HINT = (
    "fetch the history and tags: git fetch --unshallow --tags "
    "(in GitHub Actions: actions/checkout with fetch-depth: 0)"
)


def failures(checks: tuple[Check, ...]) -> tuple[Check, ...]:
    """The checks that did not pass."""
    return tuple(c for c in checks if not c.ok)
