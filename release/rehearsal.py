"""The ``local`` target: the whole pipeline in a throwaway clone, against a throwaway index.

The user's checkout, tags and remotes are never touched: the clone gets a bare repository
of its own as ``origin`` and the embedded pypiserver as its index.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from . import config as config_mod
from . import git, server
from .config import Config
from .errors import GitError, ReleaseError
from .gitrepo import GitFailed, run_git
from .pipeline import Options, Result, ship, with_target
from .progress import Reporter
from .targets import extra_index_url, resolve
from .values import frozen
from .world import open_repo

PYPI_SIMPLE = "https://pypi.org/simple/"


@frozen
class Rehearsal:
    """Where the rehearsal ran, and what it released there."""

    result: Result
    workdir: Path
    kept: bool


def _prepare(config: Config, workdir: Path) -> Path:
    """Clone the committed HEAD into ``workdir``, with a fresh bare repository as origin."""
    repo = git.open_repo(config.project)
    top = git.root(repo)
    sub = config.project.resolve().relative_to(top.resolve())
    bare = workdir / "remote.git"
    clone_dir = workdir / "checkout"
    try:
        run_git(workdir, "init", "--quiet", "--bare", str(bare))
        run_git(workdir, "clone", "--quiet", "--no-hardlinks", str(top), str(clone_dir))
        clone = git.open_repo(clone_dir)
        clone.git("remote", "remove", "origin")
        clone.git("remote", "add", "origin", str(bare))
        # identity set only in the user's repository must follow into the clone
        name, email = git.identity(repo)
        for key, value in (("name", name), ("email", email)):
            if value:
                clone.git("config", f"user.{key}", value)
        if git.identity_problem(clone) is not None:
            # a rehearsal needs no real identity; a real release still refuses without one
            clone.git("config", "user.name", "releasekit rehearsal")
            clone.git("config", "user.email", "rehearsal@localhost")
        branch = git.current_branch(clone)
        if branch is not None:
            clone.git("push", "--quiet", "-u", "origin", f"{branch}:refs/heads/{branch}")
    except GitFailed as exc:
        raise GitError(f"could not set up the rehearsal clone: {exc.stderr.strip()}") from None
    return clone_dir / sub


def dependency_indexes(config: Config, environ: Mapping[str, str]) -> list[str]:
    """Where the real release's verify finds dependencies: its target's index, and the extra.

    The throwaway index holds only this project, so the dependencies come from exactly the
    indexes a release to the configured target (``RELEASE_REPOSITORY`` or ``[tool.release]
    repository``; PyPI when none is configured) installs them from, and nowhere else.
    """
    real = resolve(config, environ=environ)
    urls = [PYPI_SIMPLE if real.name == "local" else real.index_url]
    urls += (extra_index_url(config, environ) or "").split()
    return list(dict.fromkeys(urls))


def _ship_in_clone(
    config: Config,
    workdir: Path,
    srv: server.Server,
    options: Options,
    reporter: Reporter,
    environ: Mapping[str, str],
) -> Result:
    """Clone into ``workdir`` and ship the clone to ``srv`` once it answers."""
    project_dir = _prepare(config, workdir)
    reporter.line(
        f"rehearsal: a throwaway clone in {workdir}, a throwaway index, nothing of yours is touched"
    )
    inner = config_mod.load(project_dir)
    env = dict(environ)
    env["RELEASE_EXTRA_INDEX_URL"] = " ".join(dependency_indexes(inner, environ))
    reporter.line(
        f"dependencies: from {' and '.join(dependency_indexes(inner, environ))}, as the "
        "release's target resolves them ([tool.release] repository and extra-index-url)"
    )
    server.wait_ready(srv)
    return ship(inner, with_target(options, srv.url, srv.index_url), reporter, env)


def rehearse(
    config: Config,
    options: Options,
    reporter: Reporter,
    environ: Mapping[str, str],
) -> Rehearsal:
    """Run ``ship`` in a throwaway clone against a throwaway pypiserver."""
    repo = open_repo(config)  # nothing to clone without a commit
    if git.dirty_files(repo):
        reporter.line(
            "note: uncommitted changes are left out: the rehearsal releases the committed HEAD"
        )
    problem = git.identity_problem(repo)
    if problem:
        reporter.line(
            f"note: {problem}: the rehearsal uses a placeholder; a real release would refuse"
        )
    workdir = Path(tempfile.mkdtemp(prefix="releasekit-rehearsal-"))
    kept = options.keep
    try:
        # the index starts while the clone is made: its start-up is most of a second
        with server.running(workdir / "index", environ=environ, ready=False) as srv:
            result = _ship_in_clone(config, workdir, srv, options, reporter, environ)
    except BaseException as exc:
        if isinstance(exc, ReleaseError) and not kept:
            # "run it again to resume" would be wrong: the clone and index go with the workdir
            exc.hint = (
                "fix the problem, then rehearse again (--keep keeps the rehearsal's "
                "directories to look at)"
            )
        if not kept:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            reporter.line(f"kept: {workdir} (checkout/, remote.git/, index/)")
        raise
    if kept:
        reporter.line(f"kept: {workdir} (checkout/, remote.git/, index/)")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return Rehearsal(result, workdir, kept)
