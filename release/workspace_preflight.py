"""What a workspace release refuses before it changes anything: every problem at once.

A clean work tree, a git identity, the remote not ahead, every tag free here and on the
remote, every new version absent from the index, credentials for the target, and no setting
the transaction cannot carry out yet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import credentials, git, index
from .config import Config
from .errors import UsageError

if TYPE_CHECKING:
    from .gitrepo import Repo
    from .workspace_ship import Member, Run


def remote(repo: Repo, root: Config) -> tuple[str | None, str]:
    """The remote to push to and the branch there: the upstream's, else origin's same name."""
    branch = git.current_branch(repo) or git.release_branch(repo, root.branch)
    up = git.upstream(repo, branch)
    if up is not None:
        return up
    return ("origin" if "origin" in [r.name for r in repo.remotes] else None), branch


def check(run: Run, repo: Repo, members: list[Member], remote: str | None, branch: str) -> None:
    """Every refusal before anything changes, all named at once (exit 2)."""
    problems: list[str] = []
    dirty = git.dirty_files(repo)
    if dirty:
        problems.append(f"uncommitted changes: {', '.join(dirty[:5])}")
    who = git.identity_problem(repo)
    if who:
        problems.append(who)
    remote_tags: dict[str, str] = {}
    if run.push and remote is None:
        problems.append("there is no remote to push the release to")
    elif run.push and remote is not None:
        remote_tags = git.remote_refs(repo, remote)
        there = remote_tags.get(f"refs/heads/{branch}")
        if there is not None and not git.is_ancestor(repo, there):
            problems.append(f"{remote}/{branch} has commits this checkout lacks")
    target = run.settings.target
    if credentials.required(target) and not credentials.source(target, run.environ):
        problems.append(f"no credentials for {target.describe()}")
    problems.extend(unsupported(run.root, members))
    for m in members:
        tag, version = m.release.tag, m.release.version
        if git.tag_exists(repo, tag):
            problems.append(f"tag {tag} already exists here")
        if f"refs/tags/{tag}" in remote_tags:
            problems.append(f"tag {tag} already exists on {remote}")
        listed = on_index(run, m)
        if listed:
            problems.append(f"{m.name} {version} is already on {target.index_url}")
    if problems:
        raise UsageError(
            "; ".join(dict.fromkeys(problems)),
            hint="fix these, then run again (release status shows the workspace)",
        )


def unsupported(root: Config, members: list[Member]) -> list[str]:
    """Settings a workspace release does not carry out yet: refused, never silently skipped."""
    found = []
    for where, cfg in (
        ("the workspace root", root),
        *((m.release.directory, m.config) for m in members),
    ):
        keys = [
            key
            for key, used in (
                ("[tool.release.hooks]", bool(cfg.hooks)),
                ("github-release", cfg.github_release),
                ("after-release-bump", cfg.after_release_bump is not None),
            )
            if used
        ]
        if keys:
            found.append(f"{where} sets {', '.join(keys)}, which workspace releases do not run yet")
    return found


def on_index(run: Run, m: Member) -> list[str]:
    """The files of ``m``'s new version already on the target index."""
    listed = index.with_retries(
        lambda: index.read_project(
            run.settings.target.index_url, m.name, timeout=run.settings.index_timeout
        ),
        run.settings.upload_backoff,
        f"read {run.settings.target.index_url}",
    )
    return index.files_of(listed, m.name, m.release.version)
