"""The step commands: build, check, publish, verify, promote, serve-index.

Each reads its arguments, calls the module that does the step and prints what came of it.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from . import config
from .commands import echo, settings_for, stop_on_sigterm
from .errors import StepError, UsageError
from .model import Release
from .version import check_publishable
from .version import parse as parse_version

if TYPE_CHECKING:
    from packaging.version import Version


def _cmd_build(args: argparse.Namespace) -> int:
    from . import build

    cfg = config.load(args.project)
    built = build.build(cfg, ref=args.ref, outdir=args.outdir, isolated=not args.no_isolation)
    if built.dirty:
        print(
            f"note: uncommitted and untracked files are not in the build (built commit {built.commit[:12]})",
            file=sys.stderr,
        )
    for path in built.artifacts:
        print(path)
    return 0


def _named_files(files: list[Path]) -> list[Path]:
    """Distribution files named on the command line, each checked to exist and be one."""
    from . import project

    problems = project.check_distribution_names(files)
    if problems:
        raise UsageError("; ".join(problems), hint="name wheel and sdist files, or none for dist/")
    return [f.resolve() for f in files]


def _dist_files(directory: Path, name: str, version: Version, hint: str) -> list[Path]:
    """The distributions of ``name`` ``version`` in ``directory``; a usage error when none."""
    from . import project

    found = project.artifacts_in(directory, name, version)
    if not found:
        raise UsageError(f"no files of {name} {version} in {directory}", hint=hint)
    return found


_BUILD_FIRST = "run 'release build' first, or name the files"


def _cmd_check(args: argparse.Namespace) -> int:
    from . import check, project

    cfg = config.load(args.project)
    release = project.current(cfg, args.ref)
    paths = (
        _named_files(args.files)
        if args.files
        else _dist_files(
            args.dist or cfg.project / "dist", release.name, release.version, _BUILD_FIRST
        )
    )
    mismatch = release.mismatch()
    check.check(paths, release.name, release.version, [mismatch] if mismatch else [])
    where = f"tag {release.tag}" if release.tag else "no release tag at the commit"
    print(f"check: {len(paths)} file(s) are {release.name} {release.version} ({where})")
    for path in paths:
        print(f"  {path.name}: ok")
    return 0


def _require_local_index(index_url: str) -> None:
    from . import server  # only for the local target: it loads an HTTP client

    server.require_running(index_url)


def _cmd_publish(args: argparse.Namespace) -> int:
    from . import project, uploadform
    from .dists import artifact_id

    # a child loads what reading and checking metadata needs while this process finds the
    # files and loads the HTTP client: the two tenths of a second of imports, side by side
    with uploadform.ahead() as forms:
        cfg = config.load(args.project)
        checked = settings_for(args, cfg)
        target, backoff = checked.target, checked.upload_backoff
        if args.files:
            files = _named_files(args.files)
        else:
            release = project.current(cfg)
            files = _dist_files(cfg.project / "dist", release.name, release.version, _BUILD_FIRST)
        for path in files:
            ident = artifact_id(path.name)
            assert ident is not None
            check_publishable(ident[1])
        if forms:
            forms.send(files)
        from . import publish

        if target.name == "local":
            _require_local_index(target.index_url)
        echo(f"publish: {len(files)} file(s) to {target.describe()}")
        result = publish.publish(files, target, backoff, echo, forms)
    uploaded = sum(1 for _, outcome in result.outcomes if outcome == "uploaded")
    echo(f"published: {uploaded} uploaded, {len(result.outcomes) - uploaded} already there")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from . import project, verify

    cfg = config.load(args.project)
    checked = settings_for(args, cfg)
    target, extra, backoff = checked.target, checked.extra_index_url, checked.verify_backoff
    name = project.name_of(cfg)
    wanted = parse_version(args.version) if args.version else project.current(cfg).version
    local: list[Path] = []
    if args.dist is not None:
        hint = "pass the directory release build wrote to, or leave out --dist"
        local = _dist_files(args.dist, name, wanted, hint)
    if target.name == "local":
        _require_local_index(target.index_url)
    release = Release(name, wanted, cfg.tag(wanted))
    verify.verify(release, verify.Where(target.index_url, extra, backoff), local=local, echo=echo)
    echo(f"verified: {name} {wanted} installs and runs from {target.index_url}")
    return 0


def _cmd_promote(args: argparse.Namespace) -> int:
    from . import project, promote, promote_ends

    cfg = config.load(args.project)
    settings_for(argparse.Namespace(), cfg)  # the retry bounds promote reads, checked up front
    name = project.name_of(cfg)
    version = parse_version(args.version) if args.version else project.current(cfg).version
    check_publishable(version)
    tag = cfg.tag(version)
    source, dest = ends = promote_ends.resolve(cfg, args.source, args.dest)
    promote_ends.require_local_indexes(ends)
    echo(f"promote: {name} {version} ({tag}) from {source.describe()} to {dest.describe()}")
    result = promote.promote(
        cfg,
        Release(name, version, tag),
        source,
        dest,
        environ=os.environ,
        echo=echo,
        isolated=not args.no_isolation,
    )
    echo(
        f"promoted {name} {version}: {', '.join(result.files)} "
        f"({result.uploaded} uploaded) now on {dest.index_url}"
    )
    return 0


def _cmd_serve_index(args: argparse.Namespace) -> int:
    from . import server, targets

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is not a TCP port", hint="0 picks a free port")
    root = args.root.resolve() if args.root is not None else None
    signal.signal(signal.SIGTERM, stop_on_sigterm)  # stop pypiserver too, not just us
    with server.running(root, host=args.host, port=args.port) as srv:
        local = (srv.host, srv.port) == (targets.LOCAL_HOST, targets.LOCAL_PORT)
        echo(f"serving {srv.url} (simple index {srv.index_url}), files in {srv.root}")
        echo(
            "publish with: release publish --repository "
            + ("local" if local else srv.url)
            + "; Ctrl-C stops the index"
        )
        try:
            code = server.wait(srv)
        except KeyboardInterrupt:
            echo("stopping the index")
            return 0
    raise StepError(f"pypiserver stopped by itself (status {code})")


HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "build": _cmd_build,
    "check": _cmd_check,
    "publish": _cmd_publish,
    "verify": _cmd_verify,
    "promote": _cmd_promote,
    "serve-index": _cmd_serve_index,
}
