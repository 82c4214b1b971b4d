"""``release build``: sdist and wheel with pypa build, from a clean checkout of one commit."""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from . import git, proc, sdist, tools
from .config import Config
from .errors import StepError, UsageError
from .secrets import SECRET_VARS, inherited, scrubbed_env
from .values import frozen

__all__ = ["SECRET_VARS", "Built", "build", "build_command", "build_env", "scrubbed_env"]


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
) -> Built:
    """Build the sdist and wheel of ``ref`` into ``outdir`` (default: the project's dist/).

    The build's environment is ``environ`` without secrets; ``shared``: see ``build_command``.
    """
    repo = git.open_repo(config.project)
    sha, epoch = git.resolve_commit(repo, ref)
    dirty = git.is_dirty(repo)
    sub = _project_subdir(git.root(repo), config.project)
    outdir = (outdir or config.project / "dist").resolve()
    uv = tools.which("uv") if isolated else None
    with tempfile.TemporaryDirectory(prefix="release-build-") as tmp:
        checkout = Path(tmp, "src")
        git.clone_at(repo, sha, checkout)
        srcdir = checkout / sub
        if not ((srcdir / "pyproject.toml").is_file() or (srcdir / "setup.py").is_file()):
            raise UsageError(
                f"commit {sha[:12]} has no pyproject.toml or setup.py in {sub.as_posix() or '.'}",
                hint="commit the project first, or pass the --ref that has it",
            )
        _normalize_tree(checkout, epoch)
        staging = Path(tmp, "out")
        cmd = build_command(srcdir, staging, isolated=isolated, uv=uv, shared=shared)
        # temporary files of the frontend and backend land in our directory and go with it
        children_tmp = Path(tmp, "tmp")
        children_tmp.mkdir()
        env = {**build_env(inherited(environ), epoch), "TMPDIR": str(children_tmp), "NO_COLOR": "1"}
        done = proc.run(cmd, cwd=tmp, env=env, merge=True)
        if done.returncode != 0:
            from . import check  # its readme hint; loading it costs every build a tenth of a second

            last = proc.tail(done.stdout)
            raise StepError(
                f"build of {sha[:12]} failed (exit status {done.returncode}); its last lines:\n{last}",
                hint=check.README_HINT
                if check.mentions_readme(last)
                else "fix that error and commit the fix: the build runs in a clean checkout of the commit",
            )
        # only the distributions: uv build also writes a .gitignore into its output directory
        dists = [p for p in staging.iterdir() if p.name.endswith((".tar.gz", ".whl"))]
        made = sorted(dists, key=lambda p: (not p.name.endswith(".tar.gz"), p.name))
        if not made:
            raise StepError(f"build of {sha[:12]} produced no files")
        outdir.mkdir(parents=True, exist_ok=True)
        artifacts = []
        for path in made:
            if path.name.endswith(".tar.gz"):
                sdist.normalize(path, epoch)  # setuptools and pdm-backend leave times in it
            target = outdir / path.name
            shutil.copyfile(path, target)
            artifacts.append(target)
    return Built(sha, epoch, tuple(artifacts), dirty)
