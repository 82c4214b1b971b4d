"""Everything git, through GitPython; callers never see a raw GitCommandError."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import git
from packaging.version import InvalidVersion, Version

from .errors import GitError, UsageError


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


def root(repo: git.Repo) -> Path:
    """The work tree's top directory."""
    assert repo.working_tree_dir is not None
    return Path(repo.working_tree_dir)


def identity_problem(repo: git.Repo) -> str | None:
    """Why git cannot name the author of a commit or tag, or None when it can."""
    reader = repo.config_reader()
    name = os.environ.get("GIT_COMMITTER_NAME") or reader.get_value("user", "name", "")
    email = (
        os.environ.get("GIT_COMMITTER_EMAIL")
        or os.environ.get("EMAIL")
        or reader.get_value("user", "email", "")
    )
    missing = [k for k, v in (("user.name", name), ("user.email", email)) if not str(v).strip()]
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


def changed_paths(repo: git.Repo, paths: Iterable[Path]) -> list[Path]:
    """Those of ``paths`` that are untracked, or differ from HEAD in the index or work tree."""
    top = root(repo)
    rels = [str(p.resolve().relative_to(top.resolve())) for p in paths]
    if not rels:
        return []
    with _wrapped("read the status"):
        out = repo.git.status("--porcelain", "--untracked-files=all", "--", *rels)
    dirty = {line[3:].strip('"') for line in out.splitlines() if line}
    return [top / r for r in rels if r in dirty]


def commit_paths(repo: git.Repo, paths: Iterable[Path], message: str) -> str:
    """Commit exactly ``paths`` (whatever else is staged stays staged); returns the SHA."""
    top = root(repo).resolve()
    rels = [str(p.resolve().relative_to(top)) for p in paths]
    with _wrapped("commit"):
        repo.git.commit("--only", "--no-verify", "-m", message, "--", *rels)
    return repo.head.commit.hexsha


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
    top = root(repo).resolve()
    rels = [str(p.resolve().relative_to(top)) for p in paths]
    if rels:
        with _wrapped("reset the index"):
            repo.git.reset("-q", "HEAD", "--", *rels)


def latest_version_tag(repo: git.Repo, tag_format: str) -> tuple[Version, str] | None:
    """The greatest version among the tags reachable from HEAD that match ``tag_format``."""
    prefix, _, suffix = tag_format.partition("{version}")
    with _wrapped("list tags"):
        try:
            names = repo.git.tag("--merged", "HEAD").split()
        except git.GitCommandError:
            if not repo.head.is_valid():
                return None
            raise
    best: tuple[Version, str] | None = None
    for name in names:
        if not (name.startswith(prefix) and name.endswith(suffix)):
            continue
        middle = name[len(prefix) : len(name) - len(suffix) if suffix else None]
        try:
            version = Version(middle)
        except InvalidVersion:
            continue
        if best is None or version > best[0]:
            best = (version, name)
    return best
