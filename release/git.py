"""Everything git, through GitPython; callers never see a raw GitCommandError."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import git
import git.cmd
import git.index.fun
from packaging.version import Version

from .errors import GitError, UsageError
from .secrets import scrubbed_env
from .version import greatest_tag


def _scrubbing(popen: Any) -> Any:
    """``popen`` with upload credentials and tokens taken out of the child's environment."""
    if getattr(popen, "releasekit_scrubbed", False):
        return popen

    def start(*args: Any, env: Mapping[str, str] | None = None, **kwargs: Any) -> Any:
        return popen(*args, env=scrubbed_env(os.environ if env is None else env), **kwargs)

    start.releasekit_scrubbed = True  # type: ignore[attr-defined]
    return start


# GitPython builds every child's environment from a copy of os.environ and only adds to it,
# so neither Git.update_environment nor a per-call env can remove a variable. Every git it
# starts (and so every hook that git runs: post-commit despite --no-verify,
# reference-transaction, pre-push, the remote's receive hooks) goes through safer_popen, so
# that one function is wrapped, once, for every repository, clone and persistent cat-file.
_POPEN = "safer_popen"
for _module in (git.cmd, git.index.fun):
    _popen = getattr(_module, _POPEN, None)
    if not callable(_popen):  # pragma: no cover - only if GitPython renames it
        raise ImportError(f"{_module.__name__}.{_POPEN} is gone: cannot keep secrets out of git")
    setattr(_module, _POPEN, _scrubbing(_popen))


@contextmanager
def _wrapped(action: str) -> Iterator[None]:
    try:
        yield
    except git.GitCommandError as exc:
        detail = (exc.stderr or exc.stdout or str(exc)).strip().replace("\n", " ")
        detail = detail.removeprefix("stderr:").strip().strip("'").strip()
        raise GitError(f"git could not {action}: {detail}") from None


def open_repo(path: Path) -> git.Repo:
    """The repository that holds ``path``; exit 2 when there is none."""
    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise UsageError(
            f"{path} is not inside a git repository",
            hint="run git init and commit the project first",
        ) from None


def find_root(path: Path) -> Path | None:
    """The work tree's top directory of the repository that holds ``path``, or None."""
    try:
        top = git.Repo(path, search_parent_directories=True).working_tree_dir
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    return Path(top) if top else None


def root(repo: git.Repo) -> Path:
    """The work tree's top directory."""
    assert repo.working_tree_dir is not None
    return Path(repo.working_tree_dir)


def config_value(repo: git.Repo, key: str) -> str:
    """``git config --get KEY`` as git itself resolves it (GIT_CONFIG_GLOBAL, -c, includes)."""
    try:
        return str(repo.git.config("--get", key)).strip()
    except git.GitCommandError:
        return ""


def identity(repo: git.Repo) -> tuple[str, str]:
    """The committer's name and email: the environment first, then git's configuration."""
    name = os.environ.get("GIT_COMMITTER_NAME") or config_value(repo, "user.name")
    email = (
        os.environ.get("GIT_COMMITTER_EMAIL")
        or config_value(repo, "user.email")
        or os.environ.get("EMAIL", "")
    )
    return name.strip(), email.strip()


def identity_problem(repo: git.Repo) -> str | None:
    """Why git cannot name the author of a commit or tag, or None when it can."""
    name, email = identity(repo)
    missing = [k for k, v in (("user.name", name), ("user.email", email)) if not v]
    if missing:
        return "no git identity (" + " and ".join(missing) + " unset)"
    return None


def require_identity(repo: git.Repo) -> None:
    """Refuse to commit or tag without a configured identity (annotated tags need one)."""
    problem = identity_problem(repo)
    if problem:
        raise UsageError(
            problem,
            hint='git config user.name "Your Name" && git config user.email you@example.com',
        )


def tag_exists(repo: git.Repo, name: str) -> bool:
    """Whether a local tag called ``name`` exists."""
    return f"refs/tags/{name}" in {ref.path for ref in repo.tags}


def relative(repo: git.Repo, path: Path) -> str:
    """``path`` as git names it: relative to the work tree, with ``/`` on every platform."""
    top = root(repo).resolve()
    try:
        return path.resolve().relative_to(top).as_posix()
    except ValueError:
        raise UsageError(
            f"{path} is outside the repository {top}",
            hint="keep every file releasekit writes inside the repository",
        ) from None


def _pathspecs(repo: git.Repo, paths: Iterable[Path]) -> list[str]:
    # literal: a name with *, ? or [ in it means that file, not a pattern
    return [":(literal)" + relative(repo, p) for p in paths]


def _status(repo: git.Repo, *args: str) -> list[str]:
    """Every path ``git status --porcelain -z`` names (both names of a rename), as git spells it."""
    with _wrapped("read the status"):
        out = repo.git.status("--porcelain", "-z", *args, stdout_as_string=False)
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


def changed_paths(repo: git.Repo, paths: Iterable[Path]) -> list[Path]:
    """Those of ``paths`` that are untracked, or differ from HEAD in the index or work tree."""
    paths = list(paths)
    if not paths:
        return []
    dirty = set(_status(repo, "--untracked-files=all", "--", *_pathspecs(repo, paths)))
    return [p for p in paths if relative(repo, p) in dirty]


def commit_paths(
    repo: git.Repo, paths: Iterable[Path], message: str, *, verify: bool = True
) -> str:
    """Commit exactly ``paths`` (whatever else is staged stays staged); returns the SHA.

    ``verify`` runs the repository's pre-commit and commit-msg hooks, as a plain
    ``git commit`` does; False skips them (``--no-verify``).
    """
    specs = _pathspecs(repo, paths)
    with _wrapped("commit"):
        repo.git.commit(
            "--only", *(() if verify else ("--no-verify",)), "-m", message, "--", *specs
        )
    return repo.head.commit.hexsha


def changed_tracked(repo: git.Repo) -> list[str]:
    """Tracked paths modified, deleted or staged since HEAD, relative to the top."""
    return _status(repo, "--untracked-files=no")


def head_bytes(repo: git.Repo, rel: str) -> bytes | None:
    """The bytes of ``rel`` (relative to the top) in HEAD's tree, or None when it has none."""
    try:
        blob = repo.head.commit.tree / rel
    except KeyError:
        return None
    data: bytes = blob.data_stream.read()
    return data


def create_tag(repo: git.Repo, name: str, message: str) -> None:
    """Create the annotated tag ``name`` at HEAD."""
    with _wrapped(f"create tag {name}"):
        repo.git.tag("-a", name, "-m", message)


def delete_tag(repo: git.Repo, name: str) -> None:
    """Delete the local tag ``name``."""
    with _wrapped(f"delete tag {name}"):
        repo.git.tag("-d", name)


def undo_commit(repo: git.Repo, sha: str) -> None:
    """Move the branch back past commit ``sha`` (HEAD), keeping the work tree."""
    if repo.head.commit.hexsha != sha:
        raise GitError(f"HEAD moved away from {sha[:12]}; not undoing the commit")
    with _wrapped("undo the release commit"):
        repo.git.reset("--soft", "HEAD~1")


def restore_index(repo: git.Repo, paths: Iterable[Path]) -> None:
    """Reset the index entries of ``paths`` to HEAD."""
    specs = _pathspecs(repo, paths)
    if specs:
        with _wrapped("reset the index"):
            repo.git.reset("-q", "HEAD", "--", *specs)


def latest_version_tag(repo: git.Repo, tag_format: str) -> tuple[Version, str] | None:
    """The greatest version among the tags reachable from HEAD that match ``tag_format``."""
    with _wrapped("list tags"):
        try:
            names = repo.git.tag("--merged", "HEAD").split()
        except git.GitCommandError:
            if not repo.head.is_valid():
                return None
            raise
    found = greatest_tag(names, tag_format)
    return (found[1], found[0]) if found else None


def redact(text: str) -> str:
    """Hide credentials embedded in URLs (``https://user:token@host``)."""
    return re.sub(r"(?<=://)[^/@\s]+@", "***@", text)


def current_branch(repo: git.Repo) -> str | None:
    """The checked-out branch, or None on a detached HEAD."""
    if repo.head.is_detached:
        return None
    return str(repo.active_branch.name)


def release_branch(repo: git.Repo, configured: str | None) -> str:
    """The configured release branch, else ``main`` when it exists, else ``master``."""
    if configured:
        return configured
    names = {h.name for h in repo.heads}
    if "main" in names or "master" not in names:
        return "main"
    return "master"


def dirty_files(repo: git.Repo) -> list[str]:
    """Modified, staged and untracked paths (ignored files excluded), relative to the top."""
    return _status(repo, "--untracked-files=all")


def untracked_files(repo: git.Repo) -> list[str]:
    """Untracked paths, not ignored, relative to the top of the work tree."""
    with _wrapped("list untracked files"):
        out = str(repo.git.ls_files("--others", "--exclude-standard", "-z", "--full-name", ":/"))
    return [p for p in out.split("\0") if p]


def head_sha(repo: git.Repo) -> str:
    """The commit HEAD points at."""
    return str(repo.head.commit.hexsha)


def tag_commit(repo: git.Repo, name: str) -> str | None:
    """The commit a local tag points at, or None."""
    try:
        return str(repo.git.rev_parse(f"refs/tags/{name}^{{commit}}"))
    except git.GitCommandError:
        return None


def upstream(repo: git.Repo, branch: str) -> tuple[str, str] | None:
    """The (remote, remote branch) ``branch`` tracks, or None."""
    reader = repo.config_reader()
    section = f'branch "{branch}"'
    if not reader.has_section(section):
        return None
    remote = reader.get_value(section, "remote", "")
    merge = str(reader.get_value(section, "merge", ""))
    if not remote or not merge:
        return None
    return str(remote), merge.removeprefix("refs/heads/")


def remote_refs(repo: git.Repo, remote: str, *patterns: str) -> dict[str, str]:
    """``git ls-remote``: the remote's refs (name -> SHA, tags peeled) without fetching."""
    with _wrapped(f"read the refs of remote {remote!r}"):
        out = str(repo.git.ls_remote(remote, *patterns))
    refs: dict[str, str] = {}
    for line in out.splitlines():
        sha, _, name = line.partition("\t")
        if name.endswith("^{}"):
            refs[name[:-3]] = sha  # the peeled commit of an annotated tag wins
        else:
            refs.setdefault(name, sha)
    return refs


def is_ancestor(repo: git.Repo, ancestor: str, descendant: str = "HEAD") -> bool:
    """Whether ``ancestor`` is known locally and reachable from ``descendant``."""
    try:
        repo.git.merge_base("--is-ancestor", ancestor, descendant)
    except git.GitCommandError:
        return False
    return True


def _git_stderr(exc: Exception) -> str:
    """What git said, without GitPython's ``stderr: '...'`` wrapping."""
    text = str(getattr(exc, "stderr", "") or exc).strip()
    text = re.sub(r"^stderr:\s*'?", "", text).rstrip("'").strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return redact("; ".join(lines))


def push_atomic(repo: git.Repo, remote: str, refspecs: Sequence[str]) -> None:
    """Push all ``refspecs`` in one atomic transaction; raise unless every ref was accepted."""
    bad = git.PushInfo.ERROR | git.PushInfo.REJECTED | git.PushInfo.REMOTE_REJECTED
    try:
        infos = repo.remote(remote).push(list(refspecs), atomic=True)
        infos.raise_if_error()
    except (git.GitCommandError, ValueError) as exc:
        raise GitError(f"push to {remote} was rejected: {_git_stderr(exc)}") from None
    problems = [f"{i.remote_ref_string}: {i.summary.strip()}" for i in infos if i.flags & bad]
    if problems or not infos:
        raise GitError(
            f"push to {remote} was rejected: {redact('; '.join(problems) or 'nothing was pushed')}"
        )


def resolve_commit(repo: git.Repo, ref: str) -> tuple[str, int]:
    """The full SHA of ``ref`` and its committer time (seconds since the epoch)."""
    try:
        commit = repo.commit(ref)
    except (git.BadName, ValueError, git.GitCommandError):
        raise UsageError(
            f"{ref!r} does not name a commit",
            hint="pass a tag, branch or commit SHA: --ref v1.2.3",
        ) from None
    return commit.hexsha, int(commit.committed_date)


def tags_at(repo: git.Repo, sha: str) -> list[str]:
    """The names of the tags that point at commit ``sha``."""
    with _wrapped("list tags"):
        out = repo.git.tag("--points-at", sha)
    return sorted(out.split())


def is_dirty(repo: git.Repo) -> bool:
    """Whether the work tree has modified, staged or untracked files."""
    return bool(dirty_files(repo))


def clone_at(repo: git.Repo, sha: str, dest: Path) -> git.Repo:
    """A fresh clone of ``repo`` in ``dest`` with commit ``sha`` checked out (detached).

    The clone shares the object store, so it is quick; it has a real ``.git`` and the tags,
    so VCS-derived versions resolve in it as in the original; and it holds only what was
    committed, never the original's untracked or modified files.
    """
    with _wrapped(f"make a clean checkout of {sha[:12]}"):
        clone = git.Repo.clone_from(
            str(root(repo)), str(dest), shared=True, no_checkout=True, quiet=True
        )
        clone.git.checkout("--quiet", "--detach", sha)
    return clone


def log_since(repo: git.Repo, tag: str | None, ref: str = "HEAD") -> list[tuple[str, str, str]]:
    """``(sha, subject, body)`` of the commits in ``ref`` since ``tag``, newest first, no merges."""
    rev = f"{tag}..{ref}" if tag else ref
    with _wrapped("read the history"):
        out = str(repo.git.log("--no-merges", "--format=%H%x1f%s%x1f%b%x1e", rev, "--"))
    commits = []
    for record in out.split("\x1e"):
        fields = record.strip("\n").split("\x1f")
        if len(fields) == 3:
            commits.append((fields[0], fields[1], fields[2]))
    return commits


def tags_merged(repo: git.Repo, ref: str) -> list[str]:
    """The names of the tags reachable from ``ref``."""
    with _wrapped(f"list the tags reachable from {ref}"):
        return str(repo.git.tag("--merged", ref)).split()


def is_shallow(repo: git.Repo) -> bool:
    """Whether this is a shallow clone (``actions/checkout`` makes depth-1 clones by default)."""
    with _wrapped("tell whether the clone is shallow"):
        return str(repo.git.rev_parse("--is-shallow-repository")).strip() == "true"


def unshallow(repo: git.Repo, remote: str) -> None:
    """Fetch the whole history and every tag from ``remote``, so versions from tags resolve."""
    with _wrapped(f"fetch the history and tags from {remote!r}"):
        repo.git.fetch("--quiet", "--unshallow", "--tags", remote)


def first_parent(repo: git.Repo, sha: str) -> str | None:
    """The first parent of commit ``sha``, or None (a root commit, or cut off by a shallow clone)."""
    try:
        return str(repo.git.rev_parse("--verify", "--quiet", f"{sha}^1"))
    except git.GitCommandError:
        return None
