"""Preflight: read the facts a release depends on, then decide (pure) what would refuse it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Check:
    """One preflight check: its name, whether it passed, and what to do when it did not."""

    name: str
    ok: bool
    message: str
    hint: str = ""
    warn: bool = False
    """Passed, but says something the user should know (shown as ``warn``)."""


def decide(f: Facts) -> tuple[Check, ...]:
    """Every check, passed or not; a release goes ahead only when all pass.

    In a resumed release (HEAD already carries the release tag) the tag is expected to
    exist locally, and files already on the index are finished by the upload step.
    """
    checks = [
        Check(
            "version sources",
            f.sources_problem is None,
            f.sources_problem or "all version sources agree",
            "make the version sources agree (release bump rewrites them together)",
        ),
        Check(
            "clean work tree",
            True,
            f"{len(f.dirty)} uncommitted change(s), left out of the rehearsal (it uses HEAD)",
        )
        if f.rehearsal and f.dirty
        else Check(
            "clean work tree",
            not f.dirty,
            "no uncommitted changes"
            if not f.dirty
            else f"uncommitted changes: {', '.join(f.dirty[:5])}"
            + (f" and {len(f.dirty) - 5} more" if len(f.dirty) > 5 else ""),
            "commit or stash them (git stash -u), then run again",
        ),
    ]
    if f.pushed:
        # the release commit and tag are on the remote: a fresh clone of the tag (a detached
        # HEAD) finishes the release without pushing anything again
        checks.append(
            Check("branch", True, f"{f.tag} is on {f.remote}: finishing it needs no branch")
        )
    elif f.branch is None:
        checks.append(
            Check(
                "branch",
                False,
                "HEAD is detached",
                f"check out the release branch: git switch {f.release_branch}",
            )
        )
    else:
        checks.append(
            Check(
                "branch",
                f.branch == f.release_branch,
                f"on {f.branch}"
                if f.branch == f.release_branch
                else f"on branch {f.branch}, not the release branch {f.release_branch}",
                f"git switch {f.release_branch}, or set [tool.release] branch",
            )
        )
    if f.push and not f.rehearsal and not f.pushed:
        checks.append(
            Check(
                "upstream",
                f.upstream is not None and not f.behind,
                "no upstream branch to push to"
                if f.upstream is None
                else (f"behind {f.upstream}" if f.behind else f"up to date with {f.upstream}"),
                (
                    # rebasing would move HEAD off the uploaded release's tag and bump again
                    f"the remote moved on after {f.tag} was uploaded: push the tag alone "
                    f"(git push origin {f.tag}), then merge (not rebase) the remote branch"
                    if f.resume and f.on_index
                    # nothing of it is public: drop the local release, it is made again
                    else (
                        f"{f.tag} was made here but neither pushed nor uploaded: drop it "
                        f"(git tag -d {f.tag}, and git reset --keep HEAD~1 if HEAD is its "
                        "release commit), git pull --rebase, then run again"
                        if f.resume
                        else "git pull --rebase, then run again"
                    )
                )
                if f.behind
                else f"git push -u origin {f.release_branch}, or pass --no-push",
            )
        )
    if f.resume:
        checks.append(Check("tag", True, f"resuming: HEAD carries {f.tag}"))
    else:
        checks.append(
            Check(
                "tag",
                f.tag_local is None,
                f"tag {f.tag} is free locally"
                if f.tag_local is None
                else f"tag {f.tag} already exists locally",
                f"pick another version, or delete the tag: git tag -d {f.tag}",
            )
        )
    if f.remote is not None and not f.rehearsal:
        clash = f.tag_remote is not None and not (f.resume and f.tag_remote == f.head)
        checks.append(
            Check(
                "remote tag",
                not clash,
                f"tag {f.tag} already exists on {f.remote}"
                if clash
                else (
                    f"tag {f.tag} is on {f.remote}"
                    if f.tag_remote
                    else f"tag {f.tag} is free on {f.remote}"
                ),
                f"pick another version; the remote's {f.tag} is {str(f.tag_remote)[:12]}",
            )
        )
    if f.remote is not None and not f.rehearsal and not f.resume and f.remote_latest:
        checks.append(_newer_than_remote(f))
    if f.index_problem is not None:
        checks.append(Check("index", False, f.index_problem, "check the index URL and network"))
    else:
        taken = bool(f.on_index) and not f.resume
        checks.append(
            Check(
                "index",
                not taken,
                f"the index already has {', '.join(f.on_index)}"
                if taken
                else (
                    "the version is not on the index yet"
                    if not f.on_index
                    else f"on the index already: {', '.join(f.on_index)}"
                ),
                "pick another version: an index never takes the same version twice",
            )
        )
    if f.notes_problem is not None:
        # a release already pushed or uploaded is finished whatever its notes say
        refuse = f.require_notes and not f.resume
        checks.append(
            Check(
                "release notes",
                not refuse,
                f.notes_problem,
                "write the changes under ## [Unreleased] in the changelog"
                + ("" if refuse else " ([tool.release] require-notes = true makes this an error)"),
                warn=not refuse,
            )
        )
    checks.append(
        Check(
            "credentials",
            f.credentials is not None or not f.needs_credentials,
            f.credentials or ("none needed" if not f.needs_credentials else "no credentials found"),
            "set TWINE_USERNAME and TWINE_PASSWORD (or TWINE_PASSWORD with a token), "
            "add the index to ~/.pypirc, or use Trusted Publishing in GitHub Actions",
        )
    )
    checks.append(
        Check(
            "git identity",
            f.identity_problem is None,
            f.identity_problem or "git knows who you are",
            'git config user.name "Your Name" && git config user.email you@example.com',
        )
    )
    return tuple(checks)


def _newer_than_remote(f: Facts) -> Check:
    """A release is never older than (or equal to) a release tag the remote already has."""
    assert f.remote_latest is not None
    latest, latest_version = f.remote_latest
    hint = (
        f"this clone is shallow, so {latest} is not in its history: " + SHALLOW_HINT
        if f.shallow
        else f"fetch the tags (git fetch --tags {f.remote}) and run again, or pick a version above {latest_version}"
    )
    return Check(
        "remote tags",
        not f.remote_newer,
        f"{f.remote} already has {latest}: {f.version} is not greater"
        if f.remote_newer
        else f"{f.version} is greater than every release tag on {f.remote} (latest {latest})",
        hint,
    )


SHALLOW_HINT = (
    "fetch the history and tags: git fetch --unshallow --tags "
    "(in GitHub Actions: actions/checkout with fetch-depth: 0)"
)


def failures(checks: tuple[Check, ...]) -> tuple[Check, ...]:
    """The checks that did not pass."""
    return tuple(c for c in checks if not c.ok)
