"""Everything git, through plain ``git`` commands; callers never see a raw git failure.

The repository handle and the way each command runs (without secrets in its environment)
are in ``gitrepo``; this module is what releasekit asks of git.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import gitrepo
from .errors import GitError, UsageError
from .gitrepo import GitFailed, Repo, open_repo
from .gitrepo import wrapped as _wrapped
from .version import greatest_tag

if TYPE_CHECKING:
    from packaging.version import Version

__all__ = ["Repo", "open_repo"]


def find_root(path: Path) -> Path | None:
    """The work tree's top directory of the repository that holds ``path``, or None.

    Found without a git in the plain case (``gitrepo.plain_top``): ``bump --dry-run`` then
    starts no process at all. Any other case is git's to answer.
    """
    with contextlib.suppress(gitrepo.AskGit):
        return gitrepo.plain_top(path)
    try:
        return open_repo(path).top  # found once per directory, as every other caller
    except UsageError:
        return None


def root(repo: Repo) -> Path:
    """The work tree's top directory."""
    assert repo.top is not None
    return repo.top


def config_value(repo: Repo, key: str) -> str:
    """``git config --get KEY`` as git itself resolves it (GIT_CONFIG_GLOBAL, -c, includes)."""
    try:
        return repo.git("config", "--get", key).strip()
    except GitFailed:
        return ""


def _user_config(repo: Repo) -> dict[str, str]:
    """``user.name`` and ``user.email`` as git resolves them, in one git (the last one wins)."""
    try:
        out = repo.git("config", "--get-regexp", r"^user\.(name|email)$")
    except GitFailed:
        return {}  # neither is set
    return dict(line.partition(" ")[::2] for line in out.splitlines())


def identity(repo: Repo) -> tuple[str, str]:
    """The committer's name and email: the environment first, then git's configuration."""
    name = os.environ.get("GIT_COMMITTER_NAME", "")
    email = os.environ.get("GIT_COMMITTER_EMAIL", "")
    if not (name and email):
        found = _user_config(repo)
        name = name or found.get("user.name", "")
        email = email or found.get("user.email", "") or os.environ.get("EMAIL", "")
    return name.strip(), email.strip()


def identity_problem(repo: Repo) -> str | None:
    """Why git cannot name the author of a commit or tag, or None when it can."""
    name, email = identity(repo)
    missing = [k for k, v in (("user.name", name), ("user.email", email)) if not v]
    if missing:
        return "no git identity (" + " and ".join(missing) + " unset)"
    return None


def require_identity(repo: Repo) -> None:
    """Refuse to commit or tag without a configured identity (annotated tags need one)."""
    problem = identity_problem(repo)
    if problem:
        raise UsageError(
            problem,
            hint='git config user.name "Your Name" && git config user.email you@example.com',
        )


def tag_exists(repo: Repo, name: str) -> bool:
    """Whether a local tag called ``name`` exists."""
    return repo.succeeds("show-ref", "--verify", "--quiet", f"refs/tags/{name}")


def relative(repo: Repo, path: Path) -> str:
    """``path`` as git names it: relative to the work tree, with ``/`` on every platform."""
    top = root(repo).resolve()
    try:
        return path.resolve().relative_to(top).as_posix()
    except ValueError:
        raise UsageError(
            f"{path} is outside the repository {top}",
            hint="keep every file releasekit writes inside the repository",
        ) from None


def _pathspecs(repo: Repo, paths: Iterable[Path]) -> list[str]:
    # literal: a name with *, ? or [ in it means that file, not a pattern
    return [":(literal)" + relative(repo, p) for p in paths]


def _status(repo: Repo, *args: str) -> list[str]:
    """Every path ``git status --porcelain -z`` names (both names of a rename), as git spells it."""
    with _wrapped("read the status"):
        out = repo.git_bytes("status", "--porcelain", "-z", *args)
    # -z: no octal quoting of non-ASCII names; fsdecode keeps even non-UTF-8 names intact
    fields = os.fsdecode(out).split("\0")
    paths: list[str] = []
    i = 0
    while i < len(fields):
        entry = fields[i]
        i += 1
        if len(entry) < 4:
            continue
        paths.append(entry[3:])
        if entry[0] in "RC" and i < len(fields):  # a rename or copy: its source follows
            paths.append(fields[i])
            i += 1
    return paths


def changed_paths(repo: Repo, paths: Iterable[Path]) -> list[Path]:
    """Those of ``paths`` that are untracked, or differ from HEAD in the index or work tree."""
    paths = list(paths)
    if not paths:
        return []
    dirty = set(_status(repo, "--untracked-files=all", "--", *_pathspecs(repo, paths)))
    return [p for p in paths if relative(repo, p) in dirty]


def commit_paths(repo: Repo, paths: Iterable[Path], message: str, *, verify: bool = True) -> str:
    """Commit exactly ``paths`` (whatever else is staged stays staged); returns the SHA.

    ``verify`` runs the repository's pre-commit and commit-msg hooks, as a plain
    ``git commit`` does; False skips them (``--no-verify``).
    """
    specs = _pathspecs(repo, paths)
    with _wrapped("commit"):
        repo.git(
            "commit", "--only", *(() if verify else ("--no-verify",)), "-m", message, "--", *specs
        )
    return head_sha(repo)


def changed_tracked(repo: Repo) -> list[str]:
    """Tracked paths modified, deleted or staged since HEAD, relative to the top."""
    return _status(repo, "--untracked-files=no")


def head_bytes(repo: Repo, rel: str, ref: str = "HEAD") -> bytes | None:
    """The bytes of ``rel`` (relative to the top) in ``ref``'s tree, or None when it has none."""
    try:
        return repo.git_bytes("cat-file", "blob", f"{ref}:{rel}")
    except GitFailed:
        return None


def create_tag(repo: Repo, name: str, message: str) -> None:
    """Create the annotated tag ``name`` at HEAD."""
    with _wrapped(f"create tag {name}"):
        repo.git("tag", "-a", name, "-m", message)


def delete_tag(repo: Repo, name: str) -> None:
    """Delete the local tag ``name``."""
    with _wrapped(f"delete tag {name}"):
        repo.git("tag", "-d", name)


def undo_commit(repo: Repo, sha: str) -> None:
    """Move the branch back past commit ``sha`` (HEAD), keeping the work tree."""
    if head_sha(repo) != sha:
        raise GitError(f"HEAD moved away from {sha[:12]}; not undoing the commit")
    with _wrapped("undo the release commit"):
        repo.git("reset", "--soft", "HEAD~1")


def restore_index(repo: Repo, paths: Iterable[Path]) -> None:
    """Reset the index entries of ``paths`` to HEAD."""
    specs = _pathspecs(repo, paths)
    if specs:
        with _wrapped("reset the index"):
            repo.git("reset", "-q", "HEAD", "--", *specs)


def latest_version_tag(repo: Repo, tag_format: str) -> tuple[Version, str] | None:
    """The greatest version among the tags reachable from HEAD that match ``tag_format``."""
    with _wrapped("list tags"):
        try:
            names = repo.git("tag", "--merged", "HEAD").split()
        except GitFailed:
            if not repo.head.is_valid():
                return None
            raise
    found = greatest_tag(names, tag_format)
    return (found[1], found[0]) if found else None


def redact(text: str) -> str:
    """Hide credentials embedded in URLs (``https://user:token@host``)."""
    return re.sub(r"(?<=://)[^/@\s]+@", "***@", text)


def current_branch(repo: Repo) -> str | None:
    """The checked-out branch, or None on a detached HEAD."""
    try:
        return repo.git("symbolic-ref", "--quiet", "--short", "HEAD").strip() or None
    except GitFailed:
        return None


def release_branch(repo: Repo, configured: str | None) -> str:
    """The configured release branch, else ``main`` when it exists, else ``master``."""
    if configured:
        return configured
    names = {h.name for h in repo.heads}
    if "main" in names or "master" not in names:
        return "main"
    return "master"


def dirty_files(repo: Repo) -> list[str]:
    """Modified, staged and untracked paths (ignored files excluded), relative to the top."""
    return _status(repo, "--untracked-files=all")


def untracked_files(repo: Repo) -> list[str]:
    """Untracked paths, not ignored, relative to the top of the work tree."""
    with _wrapped("list untracked files"):
        out = repo.git("ls-files", "--others", "--exclude-standard", "-z", "--full-name", ":/")
    return [p for p in out.split("\0") if p]


def head_sha(repo: Repo) -> str:
    """The commit HEAD points at."""
    with _wrapped("read HEAD"):
        return repo.git("rev-parse", "--verify", "HEAD^{commit}").strip()


def tag_commit(repo: Repo, name: str) -> str | None:
    """The commit a local tag points at, or None."""
    try:
        return repo.git("rev-parse", "--verify", "--quiet", f"refs/tags/{name}^{{commit}}").strip()
    except GitFailed:
        return None


def upstream(repo: Repo, branch: str) -> tuple[str, str] | None:
    """The (remote, remote branch) ``branch`` tracks, or None."""
    remote = config_value(repo, f"branch.{branch}.remote")
    merge = config_value(repo, f"branch.{branch}.merge")
    if not remote or not merge:
        return None
    return remote, merge.removeprefix("refs/heads/")


def remote_refs(repo: Repo, remote: str, *patterns: str) -> dict[str, str]:
    """``git ls-remote``: the remote's refs (name -> SHA, tags peeled) without fetching."""
    with _wrapped(f"read the refs of remote {remote!r}"):
        out = repo.git("ls-remote", remote, *patterns)
    refs: dict[str, str] = {}
    for line in out.splitlines():
        sha, _, name = line.partition("\t")
        if name.endswith("^{}"):
            refs[name[:-3]] = sha  # the peeled commit of an annotated tag wins
        else:
            refs.setdefault(name, sha)
    return refs


def is_ancestor(repo: Repo, ancestor: str, descendant: str = "HEAD") -> bool:
    """Whether ``ancestor`` is known locally and reachable from ``descendant``."""
    try:
        repo.git("merge-base", "--is-ancestor", ancestor, descendant)
    except GitFailed:
        return False
    return True


def _rejections(porcelain: str) -> list[str]:
    """The refs ``git push --porcelain`` says were not pushed, each with git's reason."""
    problems = []
    for line in porcelain.splitlines():
        flag, _, rest = line.partition("\t")
        if flag == "!":
            refs, _, summary = rest.partition("\t")
            problems.append(f"{refs.partition(':')[2] or refs}: {summary.strip()}")
    return problems


def push_atomic(repo: Repo, remote: str, refspecs: Sequence[str]) -> None:
    """Push all ``refspecs`` in one atomic transaction; raise unless every ref was accepted."""
    proc = repo.run("push", "--porcelain", "--atomic", remote, *refspecs)
    problems = _rejections(proc.stdout)
    if proc.returncode == 0 and not problems:
        return
    said = [line.strip() for line in proc.stderr.splitlines() if line.strip()]
    detail = "; ".join(problems + said) or f"git push exited with status {proc.returncode}"
    raise GitError(f"push to {remote} was rejected: {redact(detail)}")


def resolve_commit(repo: Repo, ref: str) -> tuple[str, int]:
    """The full SHA of ``ref`` and its committer time (seconds since the epoch)."""
    try:
        out = repo.git("show", "-s", "--format=%H %ct", "--end-of-options", f"{ref}^{{commit}}")
        sha, _, when = out.strip().partition(" ")
        return sha, int(when)
    except (GitFailed, ValueError):
        raise UsageError(
            f"{ref!r} does not name a commit",
            hint="pass a tag, branch or commit SHA: --ref v1.2.3",
        ) from None


def tags_at(repo: Repo, sha: str) -> list[str]:
    """The names of the tags that point at commit ``sha``."""
    with _wrapped("list tags"):
        out = repo.git("tag", "--points-at", sha)
    return sorted(out.split())


def is_dirty(repo: Repo) -> bool:
    """Whether the work tree has modified, staged or untracked files."""
    return bool(dirty_files(repo))


def clone_at(repo: Repo, sha: str, dest: Path) -> Repo:
    """A fresh clone of ``repo`` in ``dest`` with commit ``sha`` checked out (detached).

    The clone shares the object store, so it is quick; it has a real ``.git`` and the tags,
    so VCS-derived versions resolve in it as in the original; and it holds only what was
    committed, never the original's untracked or modified files.
    """
    with _wrapped(f"make a clean checkout of {sha[:12]}"):
        repo.git("clone", "--quiet", "--shared", "--no-checkout", str(root(repo)), str(dest))
        clone = open_repo(dest)
        clone.git("checkout", "--quiet", "--detach", sha)
    return clone


def log_since(repo: Repo, tag: str | None, ref: str = "HEAD") -> list[tuple[str, str, str]]:
    """``(sha, subject, body)`` of the commits in ``ref`` since ``tag``, newest first, no merges."""
    rev = f"{tag}..{ref}" if tag else ref
    with _wrapped("read the history"):
        out = repo.git("log", "--no-merges", "--format=%H%x1f%s%x1f%b%x1e", rev, "--")
    commits = []
    for record in out.split("\x1e"):
        fields = record.strip("\n").split("\x1f")
        if len(fields) == 3:
            commits.append((fields[0], fields[1], fields[2]))
    return commits


def tags_merged(repo: Repo, ref: str) -> list[str]:
    """The names of the tags reachable from ``ref``."""
    with _wrapped(f"list the tags reachable from {ref}"):
        return repo.git("tag", "--merged", ref).split()


def is_shallow(repo: Repo) -> bool:
    """Whether this is a shallow clone (``actions/checkout`` makes depth-1 clones by default)."""
    with _wrapped("tell whether the clone is shallow"):
        return repo.git("rev-parse", "--is-shallow-repository").strip() == "true"


def unshallow(repo: Repo, remote: str) -> None:
    """Fetch the whole history and every tag from ``remote``, so versions from tags resolve."""
    with _wrapped(f"fetch the history and tags from {remote!r}"):
        repo.git("fetch", "--quiet", "--unshallow", "--tags", remote)


def first_parent(repo: Repo, sha: str) -> str | None:
    """The first parent of commit ``sha``, or None (a root commit, or cut off by a shallow clone)."""
    try:
        return repo.git("rev-parse", "--verify", "--quiet", f"{sha}^1").strip()
    except GitFailed:
        return None
