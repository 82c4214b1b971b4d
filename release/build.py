"""``release build``: sdist and wheel with pypa build, from a clean checkout of one commit."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NoReturn

from . import buildenv, git, proc, sdist, slots, tools
from .config import Config
from .errors import StepError, UsageError
from .secrets import SECRET_VARS, inherited, scrubbed_env
from .values import frozen

__all__ = ["SECRET_VARS", "Built", "build", "build_command", "build_env", "scrubbed_env"]

Echo = Callable[[str], None]


def _note(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@frozen
class Built:
    """What ``build`` made: the commit, its time, and the artifact paths (sdist first)."""

    commit: str
    epoch: int
    artifacts: tuple[Path, ...]
    dirty: bool


def build_env(environ: Mapping[str, str], epoch: int) -> dict[str, str]:
    """The environment of the build: no credentials, ``SOURCE_DATE_EPOCH`` from the commit (pure)."""
    env = scrubbed_env(environ)
    env["SOURCE_DATE_EPOCH"] = str(epoch)
    env.pop("SETUPTOOLS_SCM_PRETEND_VERSION", None)
    return env


def build_command(
    srcdir: Path,
    outdir: Path,
    *,
    isolated: bool,
    uv: str | None,
    python: str = sys.executable,
    shared: str | None = None,
) -> list[str]:
    """The build command line: sdist, then the wheel built from that sdist (pure).

    ``shared``: the interpreter of a fresh environment holding exactly the build requirements,
    made once for several packages that declare the same ones (see ``workspace_build``).

    ======== ===== ==============================================================
    isolated uv    frontend and build environment
    ======== ===== ==============================================================
    yes      found ``uv build``: a fresh isolated environment, from uv's cache
    yes      none  ``python -m build``: a fresh virtual environment, pip installs
    no       any   ``python -m build --no-isolation``: the backends installed here
    ======== ===== ==============================================================
    """
    if isolated and uv is not None and shared is not None:
        return [
            uv, "build", "--no-config", "--no-build-isolation", "--python", shared,
            "--out-dir", str(outdir), str(srcdir),
        ]  # fmt: skip
    if isolated and uv is not None:
        return [
            uv, "build", "--no-config", "--python", python,
            "--out-dir", str(outdir), str(srcdir),
        ]  # fmt: skip
    cmd = [python, "-m", "build", "--outdir", str(outdir)]
    if not isolated:
        cmd.append("--no-isolation")
    return [*cmd, str(srcdir)]


def _normalize_tree(top: Path, epoch: int) -> None:
    """Give every checked-out file the commit's mtime and a umask-independent mode.

    Backends that copy file times or modes into archives then give the same bytes on any
    machine and for any checkout time.
    """
    for dirpath, dirnames, filenames in os.walk(top):
        if ".git" in dirnames:
            dirnames.remove(".git")
        for name in filenames:
            path = Path(dirpath, name)
            if path.is_symlink():
                continue
            executable = path.stat().st_mode & stat.S_IXUSR
            path.chmod(0o755 if executable else 0o644)
            os.utime(path, (epoch, epoch))
        os.utime(dirpath, (epoch, epoch))


def _project_subdir(repo_root: Path, project: Path) -> Path:
    try:
        return project.resolve().relative_to(repo_root.resolve())
    except ValueError:  # pragma: no cover - open_repo found project's own repository
        raise UsageError(f"{project} is not inside {repo_root}") from None


def build(
    config: Config,
    *,
    ref: str = "HEAD",
    outdir: Path | None = None,
    isolated: bool = True,
    environ: Mapping[str, str] | None = None,
    shared: str | None = None,
    declared: bool = True,
    echo: Echo = _note,
) -> Built:
    """Build the sdist and wheel of ``ref`` into ``outdir`` (default: the project's dist/).

    The build's environment is ``environ`` without secrets; ``shared``: see ``build_command``.
    An isolated build runs first in a fresh environment of the declared build requirements
    (``buildenv``) unless ``declared`` is false; should it fail there, isolated as ``uv build``
    builds, which gives the verdict, and ``echo`` says so.
    """
    repo = git.open_repo(config.project)
    sha, epoch = git.resolve_commit(repo, ref)
    sub = _project_subdir(git.root(repo), config.project)
    outdir = (outdir or config.project / "dist").resolve()
    uv = tools.which("uv") if isolated else None
    with (
        tempfile.TemporaryDirectory(prefix="release-build-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        # temporary files of the frontend and backend land in our directory and go with it
        children_tmp = Path(tmp, "tmp")
        children_tmp.mkdir()
        env = {**build_env(inherited(environ), epoch), "TMPDIR": str(children_tmp), "NO_COLOR": "1"}
        pending = None
        if uv and declared and not shared:  # made while the checkout is: it is mostly waiting
            pending = _start_env(repo, sha, sub, uv, env, stack)
        dirty = git.is_dirty(repo)
        checkout = Path(tmp, "src")
        srcdir = _checkout(repo, sha, sub, epoch, checkout)
        frontend = _Frontend(srcdir, Path(tmp, "out"), tmp, env)
        made: list[Path] | _Failed | None = None
        if uv and pending:
            made = _in_declared(frontend, uv, pending)
            if isinstance(made, _Failed):
                echo(_AGAIN.format(", ".join(pending.reqs)))
                shutil.rmtree(checkout)  # what that build left in the tree is not built again
                _checkout(repo, sha, sub, epoch, checkout)
                made = None
        if made is None:
            cmd = build_command(srcdir, frontend.staging, isolated=isolated, uv=uv, shared=shared)
            made = frontend.run(cmd)
        if isinstance(made, _Failed):
            _failed(sha, made)
        if not made:
            raise StepError(f"build of {sha[:12]} produced no files")
        artifacts = _deliver(made, outdir, epoch)
    return Built(sha, epoch, artifacts, dirty)


def _deliver(made: list[Path], outdir: Path, epoch: int) -> tuple[Path, ...]:
    """Copy what the frontend made into ``outdir``, each sdist normalised first."""
    outdir.mkdir(parents=True, exist_ok=True)
    artifacts = []
    for path in made:
        if path.name.endswith(".tar.gz"):
            sdist.normalize(path, epoch)  # setuptools and pdm-backend leave times in it
        target = outdir / path.name
        shutil.copyfile(path, target)
        artifacts.append(target)
    return tuple(artifacts)


@frozen
class _Failed:
    """A frontend that failed: its exit status and the last lines of its output."""

    status: int
    last: str


@frozen
class _Frontend:
    """Where one build runs: the source, the output directory, the working directory, the environment."""

    srcdir: Path
    staging: Path
    cwd: str
    env: dict[str, str]

    def run(self, cmd: list[str]) -> list[Path] | _Failed:
        """The distributions ``cmd`` made (sdist first), or how it failed."""
        if self.staging.exists():
            shutil.rmtree(self.staging)
        done = proc.run(cmd, cwd=self.cwd, env=self.env, merge=True)
        if done.returncode != 0:
            return _Failed(done.returncode, proc.tail(done.stdout))
        # only the distributions: uv build also writes a .gitignore into its output directory
        dists = [p for p in self.staging.iterdir() if p.name.endswith((".tar.gz", ".whl"))]
        return sorted(dists, key=lambda p: (not p.name.endswith(".tar.gz"), p.name))


def _start_env(
    repo: git.Repo, sha: str, sub: Path, uv: str, env: dict[str, str], stack: contextlib.ExitStack
) -> buildenv.Making | None:
    """Start making the environment of the declared build requirements, in a reused place
    ``stack`` holds; None: the project builds isolated."""
    reqs = buildenv.requirements(repo, sub.as_posix(), env, sha)
    if reqs is None:
        return None
    place = stack.enter_context(slots.place(env, prefix="release-buildenv-"))
    making = buildenv.Making(uv, place, reqs, env, bytecode=False).start()

    def given_back(failed: type[BaseException] | None, *_: object) -> None:
        # the place is emptied only once the thread is done; a failure stops it at once
        if failed:
            making.cancel()
        else:
            making.made()

    stack.push(given_back)
    return making


_AGAIN = (
    "build: failed with only the declared build requirements ({}); "
    "building again as uv build does, with what the backend asks for"
)


def _in_declared(
    frontend: _Frontend, uv: str, pending: buildenv.Making
) -> list[Path] | _Failed | None:
    """The build in the fresh environment of the declared requirements; None: that
    environment could not be made."""
    python = pending.made()
    if python is None:
        return None
    cmd = build_command(frontend.srcdir, frontend.staging, isolated=True, uv=uv, shared=python)
    return frontend.run(cmd)


def _checkout(repo: git.Repo, sha: str, sub: Path, epoch: int, checkout: Path) -> Path:
    """A clean checkout of ``sha`` at ``checkout``, normalised; the project's directory in it."""
    git.clone_at(repo, sha, checkout)
    srcdir = checkout / sub
    if not ((srcdir / "pyproject.toml").is_file() or (srcdir / "setup.py").is_file()):
        raise UsageError(
            f"commit {sha[:12]} has no pyproject.toml or setup.py in {sub.as_posix() or '.'}",
            hint="commit the project first, or pass the --ref that has it",
        )
    _normalize_tree(checkout, epoch)
    return srcdir


def _failed(sha: str, failed: _Failed) -> NoReturn:
    """The error for a build that failed, with its last lines and the hint they call for."""
    from . import check  # its readme hint; loading it costs every build a tenth of a second

    raise StepError(
        f"build of {sha[:12]} failed (exit status {failed.status}); its last lines:\n{failed.last}",
        hint=check.README_HINT
        if check.mentions_readme(failed.last)
        else "fix that error and commit the fix: the build runs in a clean checkout of the commit",
    )
