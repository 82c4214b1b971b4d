"""A repository handle that runs plain ``git``: every child gets an environment without secrets.

GitPython used to do this; plain ``git`` starts in a fraction of the time GitPython takes to
import, and ``status`` and ``bump --dry-run`` only read. Callers never see a raw
``CalledProcessError``: a failure is a ``GitFailed`` carrying what git said.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import GitError, UsageError
from .secrets import scrubbed_env
from .values import frozen

if TYPE_CHECKING:
    import subprocess


class GitFailed(Exception):
    """A git command exited with a non-zero status; ``stderr`` is what it said."""

    def __init__(self, args: tuple[str, ...], status: int, stderr: str) -> None:
        super().__init__(f"git {' '.join(args)}: exit {status}: {stderr.strip()}")
        self.status = status
        self.stderr = stderr


def run_git(cwd: Path | str, *args: str, raw: bool = False) -> str | bytes:
    """``git ARGS`` in ``cwd`` without secrets in its environment; stdout, one newline off."""
    import subprocess  # with threading, selectors and locale: only once a git runs

    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env=scrubbed_env(os.environ),
        stdin=subprocess.DEVNULL,
        capture_output=True,
    )
    if proc.returncode != 0:
        raise GitFailed(args, proc.returncode, os.fsdecode(proc.stderr))
    if raw:
        return proc.stdout
    out = os.fsdecode(proc.stdout)
    return out[:-1] if out.endswith("\n") else out


@contextmanager
def wrapped(action: str) -> Iterator[None]:
    """Turn a failed git command into our ``GitError``, saying what could not be done."""
    try:
        yield
    except GitFailed as exc:
        detail = (exc.stderr or str(exc)).strip().replace("\n", " ")
        raise GitError(f"git could not {action}: {detail}") from None


class Named:
    """A branch or remote, by name."""

    def __init__(self, name: str, url: str = "") -> None:
        self.name = name
        self.url = url


class Head:
    """What HEAD is: a commit or not yet, on a branch or detached."""

    def __init__(self, repo: Repo) -> None:
        self._repo = repo

    def is_valid(self) -> bool:
        """Whether HEAD names a commit (False in a repository with no commit yet)."""
        return self._repo.succeeds("rev-parse", "--verify", "--quiet", "HEAD^{commit}")

    @property
    def is_detached(self) -> bool:
        """Whether HEAD points at a commit rather than a branch."""
        return not self._repo.succeeds("symbolic-ref", "--quiet", "HEAD")


@frozen
class Repo:
    """A repository found from a directory: its work tree and git directories."""

    top: Path | None
    """The work tree's top directory; None for a bare repository."""
    git_path: Path
    common_path: Path

    @property
    def cwd(self) -> Path:
        """Where its git commands run."""
        return self.top if self.top is not None else self.git_path

    def git(self, *args: str) -> str:
        """``git ARGS`` in this repository; its output as text."""
        out = run_git(self.cwd, *args)
        assert isinstance(out, str)
        return out

    def git_bytes(self, *args: str) -> bytes:
        """``git ARGS`` in this repository; its output as bytes."""
        out = run_git(self.cwd, *args, raw=True)
        assert isinstance(out, bytes)
        return out

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``git ARGS`` in this repository, whatever its exit status; output as text."""
        import subprocess

        return subprocess.run(
            ["git", *args],
            cwd=self.cwd,
            env=scrubbed_env(os.environ),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="surrogateescape",
        )

    def succeeds(self, *args: str) -> bool:
        """Whether ``git ARGS`` exits with status 0."""
        try:
            self.git(*args)
        except GitFailed:
            return False
        return True

    @property
    def working_tree_dir(self) -> str | None:
        """The work tree's top directory as a string (None when bare)."""
        return str(self.top) if self.top is not None else None

    @property
    def git_dir(self) -> str:
        """This work tree's git directory."""
        return str(self.git_path)

    @property
    def common_dir(self) -> str:
        """The git directory every work tree of the repository shares."""
        return str(self.common_path)

    @cached_property
    def head(self) -> Head:
        """HEAD: whether it names a commit, whether it is detached."""
        return Head(self)

    @property
    def heads(self) -> list[Named]:
        """The local branches."""
        out = self.git("for-each-ref", "--format=%(refname:strip=2)", "refs/heads/")
        return [Named(n) for n in out.splitlines() if n]

    @property
    def remotes(self) -> list[Named]:
        """The configured remotes."""
        return [Named(n) for n in self.git("remote").splitlines() if n]

    def remote(self, name: str) -> Named:
        """The remote called ``name``; ValueError when there is none."""
        if name not in {r.name for r in self.remotes}:
            raise ValueError(f"Remote named {name!r} didn't exist")
        try:
            url = self.git("remote", "get-url", name)
        except GitFailed:
            url = ""
        return Named(name, url)


def _not_a_repository(path: Path) -> UsageError:
    return UsageError(
        f"{path} is not inside a git repository",
        hint="run git init and commit the project first",
    )


def _rev_parse(start: Path, *args: str) -> list[str] | None:
    try:
        out = run_git(start, "rev-parse", *args)
    except (GitFailed, OSError):
        return None
    assert isinstance(out, str)
    return out.splitlines()


def find(path: Path) -> Repo | None:
    """The repository that holds ``path`` (a directory or a file in one), or None."""
    start = path if path.is_dir() else path.parent
    if not start.is_dir():
        return None
    asked = ("--is-bare-repository", "--absolute-git-dir", "--git-common-dir")
    # one git for a work tree; --show-toplevel fails in a bare repository, so then a second
    lines = _rev_parse(start, *asked, "--show-toplevel") or _rev_parse(start, *asked)
    if lines is None or len(lines) < 3:
        return None
    top = Path(lines[3]) if len(lines) > 3 and lines[0] != "true" else None
    return Repo(top, Path(lines[1]), (start / lines[2]).resolve())


_MOVES_DISCOVERY = (
    "GIT_DIR", "GIT_WORK_TREE", "GIT_CEILING_DIRECTORIES", "GIT_COMMON_DIR",
    "GIT_DISCOVERY_ACROSS_FILESYSTEM", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT",
)  # fmt: skip
"""Variables that change where git looks for the repository, or what it makes of it."""

_WORK_TREE_SETTING = re.compile(rb"^\s*(worktree|bare\s*=\s*true)", re.MULTILINE | re.IGNORECASE)


class AskGit(LookupError):
    """Only git can say where the work tree is: ``plain_top`` found a case it does not read."""


def _is_git_dir(path: Path) -> bool:
    return (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()


def plain_top(path: Path) -> Path | None:
    """The work tree's top above ``path`` as git finds it, or None; no git runs.

    Only the plain case is read: the nearest ``.git`` directory that is a repository, owned
    by us, on the same file system, whose configuration moves no work tree. Anything else
    (a ``.git`` file of a linked work tree or submodule, a bare repository, another owner,
    a mount point, ``core.worktree``, ``GIT_DIR`` and the like) raises ``AskGit``.
    """
    if any(name in os.environ for name in _MOVES_DISCOVERY):
        raise AskGit(path)
    start = path.resolve()
    device = start.stat().st_dev if start.exists() else None
    for directory in (start, *start.parents):
        try:
            here = directory.stat()
        except OSError:
            continue
        if here.st_dev != device or _is_git_dir(directory):
            raise AskGit(directory)  # another file system, or inside a git directory
        dot_git = directory / ".git"
        try:
            there = dot_git.stat()
        except OSError:
            continue
        if not stat.S_ISDIR(there.st_mode):
            raise AskGit(directory)  # a gitfile: git follows it
        if not _is_git_dir(dot_git):
            continue  # not a repository: git looks further up
        if {here.st_uid, there.st_uid} != {os.geteuid()}:
            raise AskGit(directory)  # safe.directory decides
        config = dot_git / "config"
        if config.is_file() and _WORK_TREE_SETTING.search(config.read_bytes()):
            raise AskGit(directory)
        return directory
    return None


_FOUND: dict[Path, Repo] = {}
"""Repositories already found, by the directory asked about: one ``git`` per directory."""


def open_repo(path: Path) -> Repo:
    """The repository that holds ``path``; exit 2 when there is none."""
    key = Path(os.path.abspath(path))
    repo = _FOUND.get(key)
    # still there, and no repository made inside it since (git init in a subdirectory)
    fresh = repo is not None and repo.git_path.is_dir()
    if repo is not None and fresh and (repo.top == key or not (key / ".git").exists()):
        return repo
    repo = find(path)
    if repo is None:
        raise _not_a_repository(path)
    _FOUND[key] = repo
    return repo
