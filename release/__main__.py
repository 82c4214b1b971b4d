# PYTHON_ARGCOMPLETE_OK
"""The ``release`` command line: parse, read the project, plan, show, act.

This is the only module that prints final errors or decides the exit status.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shlex
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from . import config, scaffold, targets
from .errors import ReleaseError, StepError, UsageError
from .version import PARTS, check_publishable
from .version import parse as parse_version

if TYPE_CHECKING:
    from packaging.version import Version

    from . import pipeline

# Each command imports what it needs when it runs: a command starts in a fraction of the
# time it takes to load twine, GitPython and requests all at once.


def _closest(word: str, choices: Sequence[str]) -> str | None:
    """The choice closest to ``word``, if one is close (only a mistyped run loads difflib)."""
    import difflib

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return close[0] if close else None


def _suggest(word: str, choices: Sequence[str]) -> str:
    """A hint naming the closest choice to ``word``, or every choice when none is close."""
    close = _closest(word, choices)
    return f"did you mean {close}?" if close else f"choose from {', '.join(choices)}"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # a message may carry its own hint on a second line (see _suggest); no usage dump
        text, _, hint = message.partition("\nhint: ")
        print(f"error: {text}", file=sys.stderr)
        usage = f"run '{self.prog} --help' for usage"
        print(f"hint: {hint or usage}", file=sys.stderr)
        sys.exit(2)

    def _check_value(self, action: argparse.Action, value: object) -> None:
        """Refuse a value outside the choices, with the closest choice as the hint."""
        choices = action.choices
        if choices is None or value in choices:
            return
        names = [str(c) for c in choices]
        hint = _suggest(str(value), names)
        if isinstance(action, argparse._SubParsersAction):
            raise argparse.ArgumentError(None, f"unknown command {value!r}\nhint: {hint}")
        raise argparse.ArgumentError(action, f"invalid choice {value!r}\nhint: {hint}")


def _part_or_version(text: str) -> str:
    """A ``--part`` value: a part name or an explicit PEP 440 version (compared when shipping)."""
    from packaging.version import InvalidVersion, Version

    if text in PARTS:
        return text
    try:
        Version(text)
    except InvalidVersion:
        close = _closest(text, PARTS)
        hint = (
            f"did you mean {close}?"
            if close
            else f"use one of {', '.join(PARTS)}, or an explicit version such as 2.0.0"
        )
        raise argparse.ArgumentTypeError(
            f"unknown part or invalid version {text!r}\nhint: {hint}"
        ) from None
    return text


class _VersionAction(argparse.Action):
    """``--version``: releasekit's own version, read only when asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print releasekit's version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> NoReturn:
        from . import __version__

        print(f"releasekit {__version__}")
        parser.exit(0)


def _add_global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """Options every command takes before or after its name; below the top they default to
    SUPPRESS so that a subcommand does not overwrite the value given before its name."""

    def default(value: object) -> object:
        return value if top else argparse.SUPPRESS

    parser.add_argument(
        "--project",
        type=Path,
        default=default(Path(".")),
        metavar="DIR",
        help="the project (default: .)",
    )
    parser.add_argument(
        "--debug", action="store_true", default=default(False), help="show tracebacks"
    )


_SHIP_DESCRIPTION = (
    "Release the project: preflight, bump, build, check, upload, verify, push. With no "
    "--repository (and no RELEASE_REPOSITORY or [tool.release] repository) the target is "
    "local: a rehearsal of the whole pipeline in a throwaway clone against a throwaway local "
    "index, which changes nothing (not your checkout, tags, remotes or any index). "
    "--part takes a part name or an explicit version greater than the current one."
)


def _cmd_completion(args: argparse.Namespace) -> int:
    from argcomplete.shell_integration import shellcode

    print(shellcode(["release"], shell=args.shell))
    return 0


def _autocomplete(parser: argparse.ArgumentParser) -> None:
    """Answer a shell's completion request; only then is argcomplete imported."""
    if "_ARGCOMPLETE" in os.environ:
        import argcomplete

        argcomplete.autocomplete(parser)


def _cmd_version(args: argparse.Namespace) -> int:
    from . import bump

    state = bump.read_state(config.load(args.project))
    print(state.current)
    return 0


def _cmd_bump(args: argparse.Namespace) -> int:
    from . import bump

    state = bump.read_state(config.load(args.project))
    plan = bump.plan(state, args.spec, commit=args.commit, tag=args.tag)
    if args.dry_run:
        bump.check_git(plan)
        print(f"{plan.current} -> {plan.target}")
        for line in plan.describe():
            print(f"  would {line}")
        return 0
    outcome = bump.execute(plan)
    print(f"{plan.current} -> {plan.target}")
    for line in plan.describe():
        if line.startswith("no tag:") or line.startswith("version comes"):
            print(f"  {line}")
        else:
            print(f"  did {line}")
    if outcome.commit:
        print(f"  commit {outcome.commit[:12]}")
    return 0


def _echo(line: str) -> None:
    print(line, flush=True)


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
    from . import project, publish, retry
    from .index import artifact_id

    cfg = config.load(args.project)
    target = targets.resolve(
        cfg, repository=args.repository, index_url=args.index_url, environ=os.environ
    )
    backoff = retry.from_env(os.environ, timeout_var="RELEASE_RETRY_TIMEOUT", default_timeout=60)
    if args.files:
        files = _named_files(args.files)
    else:
        release = project.current(cfg)
        files = _dist_files(cfg.project / "dist", release.name, release.version, _BUILD_FIRST)
    for path in files:
        ident = artifact_id(path.name)
        assert ident is not None
        check_publishable(ident[1])
    if target.name == "local":
        _require_local_index(target.index_url)
    _echo(f"publish: {len(files)} file(s) to {target.describe()}")
    result = publish.publish(files, target, backoff, _echo)
    uploaded = sum(1 for _, outcome in result.outcomes if outcome == "uploaded")
    _echo(f"published: {uploaded} uploaded, {len(result.outcomes) - uploaded} already there")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from . import project, retry, verify

    cfg = config.load(args.project)
    target = targets.resolve(
        cfg, repository=args.repository, index_url=args.index_url, environ=os.environ
    )
    extra = targets.extra_index_url(cfg, os.environ)
    backoff = retry.from_env(os.environ, timeout_var="RELEASE_VERIFY_TIMEOUT", default_timeout=300)
    name = project.name_of(cfg)
    wanted = parse_version(args.version) if args.version else project.current(cfg).version
    local: list[Path] = []
    if args.dist is not None:
        hint = "pass the directory release build wrote to, or leave out --dist"
        local = _dist_files(args.dist, name, wanted, hint)
    if target.name == "local":
        _require_local_index(target.index_url)
    verify.verify(
        target.index_url,
        name,
        wanted,
        local=local,
        extra_index_url=extra,
        backoff=backoff,
        echo=_echo,
    )
    _echo(f"verified: {name} {wanted} installs and runs from {target.index_url}")
    return 0


def _cmd_github_release(args: argparse.Namespace) -> int:
    from . import github

    cfg = config.load(args.project)
    notes, repo, outcome = github.run(cfg, args.tag, os.environ)
    if outcome.action == "unchanged":
        print(f"GitHub Release {notes.tag} of {repo} is up to date: {outcome.url}")
    else:
        print(f"{outcome.action} GitHub Release {notes.tag} of {repo}: {outcome.url}")
    return 0


def _cmd_init(args: argparse.Namespace) -> int:
    plan = scaffold.plan(args.project, args.trigger, force=args.force)
    if not plan.changes:
        print(f"release init: every file is up to date (trigger {plan.trigger})")
        return 0
    scaffold.execute(plan)
    for action in plan.actions:
        print(f"  {action.describe()}")
    print(f"next: {scaffold.NEXT_STEPS[plan.trigger]}")
    return 0


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _cmd_serve_index(args: argparse.Namespace) -> int:
    from . import server

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is not a TCP port", hint="0 picks a free port")
    root = args.root.resolve() if args.root is not None else None
    signal.signal(signal.SIGTERM, _stop_on_sigterm)  # stop pypiserver too, not just us
    with server.running(root, host=args.host, port=args.port) as srv:
        local = (srv.host, srv.port) == (targets.LOCAL_HOST, targets.LOCAL_PORT)
        _echo(f"serving {srv.url} (simple index {srv.index_url}), files in {srv.root}")
        _echo(
            "publish with: release publish --repository "
            + ("local" if local else srv.url)
            + "; Ctrl-C stops the index"
        )
        try:
            code = server.wait(srv)
        except KeyboardInterrupt:
            _echo("stopping the index")
            return 0
    raise StepError(f"pypiserver stopped by itself (status {code})")


def _ship_options(args: argparse.Namespace, **extra: object) -> pipeline.Options:
    from . import pipeline

    rerun = "release " + " ".join(shlex.quote(a) for a in (args.argv or []))
    return pipeline.Options(
        part=args.part,
        repository=args.repository,
        index_url=args.index_url,
        push=False if args.no_push else None,
        rerun=rerun.strip(),
        **extra,  # type: ignore[arg-type]
    )


def _cmd_ship(args: argparse.Namespace) -> int:
    from . import pipeline, rehearsal
    from .progress import Reporter

    cfg = config.load(args.project)
    options = _ship_options(
        args, dry_run=args.dry_run, keep=args.keep, isolated=not args.no_isolation
    )
    target = targets.resolve(
        cfg, repository=args.repository, index_url=args.index_url, environ=os.environ
    )
    reporter = Reporter()
    # a CI job cancelled mid-run gets SIGTERM: roll back like on Ctrl-C, not die half-done
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        if target.name == "local" and not args.dry_run:
            rehearsed = rehearsal.rehearse(cfg, options, reporter, os.environ)
            result = rehearsed.result
            reporter.summary()
            files = ", ".join(p.name for p in result.files)
            print(
                f"rehearsal passed: {result.name} {result.version} would be released as "
                f"{result.tag}: {files} (rehearsed against a local index, {result.index_url})"
            )
            return 0
        result = pipeline.ship(cfg, options, reporter, os.environ)
    except ReleaseError:
        reporter.summary()
        raise
    if args.dry_run:
        print(f"dry run: {result.name} {result.version} ({result.tag}) to {target.describe()}")
    elif result.already:
        print(f"already released: {result.name} {result.version} ({result.tag}); nothing to do")
    else:
        reporter.summary()
        files = ", ".join(p.name for p in result.files)
        print(
            f"released {result.name} {result.version} ({result.tag}): {files} on {result.index_url}"
        )
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    from . import credentials, pipeline

    cfg = config.load(args.project)
    s = pipeline.survey(cfg, _ship_options(args, dry_run=True), os.environ)
    print(f"project:     {s.name} ({cfg.project})")
    print(f"version:     {s.current}")
    if s.resume:
        print(f"next:        {s.version} (HEAD carries {s.tag}: ship would resume)")
    else:
        print(f"next:        {s.version or 'cannot compute'} (--part {args.part})")
    print(f"tag:         {s.tag or '-'}")
    print(f"on index:    {', '.join(s.on_index) or 'no files of that version'}")
    print(f"work tree:   {'clean' if not s.dirty else f'{len(s.dirty)} uncommitted change(s)'}")
    print(f"target:      {s.target.describe()} (from {s.target.source})")
    print(
        f"credentials: {s.credentials or ('none found' if credentials.required(s.target) else 'none needed')}"
    )
    print("checks:")
    for c in s.checks:
        print(f"  [{'ok' if c.ok else 'FAIL'}] {c.name}: {c.message}")
    if s.complete:
        print("ship would do nothing: that release is complete")
    elif s.refusals:
        print(f"ship would refuse: {len(s.refusals)} check(s) failed")
    else:
        for line in pipeline.plan_lines(s, _ship_options(args, dry_run=True)):
            print(f"ship would {line}")
    return 0


def _cmd_promote(args: argparse.Namespace) -> int:
    from . import project
    from . import promote as promote_mod

    cfg = config.load(args.project)
    name = project.name_of(cfg)
    version = parse_version(args.version) if args.version else project.current(cfg).version
    check_publishable(version)
    tag = cfg.tag(version)
    # each end is known or derived from its own name: [tool.release] index-url describes
    # the project's usual target, not either end of a promotion
    ends = dataclasses.replace(cfg, index_url=None, repository=None)
    source = targets.resolve(ends, repository=args.source, environ={})
    dest = targets.resolve(ends, repository=args.dest, environ={})
    if source.upload_url == dest.upload_url or source.index_url == dest.index_url:
        raise UsageError("--from and --to name the same index", hint="promote between two indexes")
    for end in (source, dest):
        if end.name == "local":
            _require_local_index(end.index_url)
    _echo(f"promote: {name} {version} ({tag}) from {source.describe()} to {dest.describe()}")
    result = promote_mod.promote(
        cfg,
        name,
        version,
        tag,
        source,
        dest,
        environ=os.environ,
        echo=_echo,
        isolated=not args.no_isolation,
    )
    _echo(
        f"promoted {name} {version}: {', '.join(result.files)} "
        f"({result.uploaded} uploaded) now on {dest.index_url}"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = _Parser(prog="release", description="Release tasks for Python packages.")
    parser.add_argument("--version", action=_VersionAction)
    _add_global_options(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("version", help="print the current version")
    p.set_defaults(func=_cmd_version)

    p = sub.add_parser(
        "bump",
        help="bump every version source (and the changelog)",
        description=f"PART is one of {', '.join(PARTS)}; or give an explicit VERSION.",
    )
    p.add_argument("spec", metavar="PART|VERSION")
    p.add_argument("--dry-run", action="store_true", help="show the plan, change nothing")
    p.add_argument("--commit", action="store_true", help="commit exactly the changed files")
    p.add_argument("--tag", action="store_true", help="create an annotated tag (implies --commit)")
    p.set_defaults(func=_cmd_bump)

    p = sub.add_parser(
        "build",
        help="build sdist and wheel from a clean checkout of a commit",
        description="Build with pypa build from a clean checkout of REF (never the work tree); prints the paths.",
    )
    p.add_argument(
        "--ref", default="HEAD", help="the commit, tag or branch to build (default: HEAD)"
    )
    p.add_argument(
        "--outdir", type=Path, metavar="DIR", help="where to put the files (default: dist/)"
    )
    p.add_argument(
        "--no-isolation",
        action="store_true",
        help="build with the backends installed here instead of a fresh build environment",
    )
    p.set_defaults(func=_cmd_build)

    p = sub.add_parser(
        "check",
        help="twine check --strict, and the files are the project's name and version",
    )
    p.add_argument(
        "files", nargs="*", type=Path, metavar="FILE", help="default: the release's files in dist/"
    )
    p.add_argument(
        "--ref", default="HEAD", help="the commit whose tag names the version (default: HEAD)"
    )
    p.add_argument(
        "--dist", type=Path, metavar="DIR", help="where to look for the files (default: dist/)"
    )
    p.set_defaults(func=_cmd_check)

    target_help = (
        f"{targets.CHOICES} (default: RELEASE_REPOSITORY, [tool.release] repository, local)"
    )
    index_help = "the simple index when it cannot be derived (default: RELEASE_INDEX_URL, [tool.release] index-url)"
    p = sub.add_parser(
        "publish",
        help="upload through twine; files already on the index are skipped, conflicts refused",
    )
    p.add_argument(
        "files", nargs="*", type=Path, metavar="FILE", help="default: the release's files in dist/"
    )
    p.add_argument("--repository", metavar="R", help=target_help)
    p.add_argument("--index-url", metavar="URL", help=index_help)
    p.set_defaults(func=_cmd_publish)

    p = sub.add_parser(
        "verify",
        help="install the release from the index alone into a fresh venv and use it",
    )
    p.add_argument("--repository", metavar="R", help=target_help)
    p.add_argument("--index-url", metavar="URL", help=index_help)
    p.add_argument("--version", metavar="V", help="the version to verify (default: the project's)")
    p.add_argument(
        "--dist", type=Path, metavar="DIR", help="compare sha256 with the files built here"
    )
    p.set_defaults(func=_cmd_verify)

    p = sub.add_parser(
        "serve-index", help="run a local package index (pypiserver) in the foreground"
    )
    p.add_argument(
        "--host", default=targets.LOCAL_HOST, help=f"interface (default: {targets.LOCAL_HOST})"
    )
    p.add_argument(
        "--port",
        type=int,
        default=targets.LOCAL_PORT,
        help=f"port (default: {targets.LOCAL_PORT}; 0: a free one)",
    )
    p.add_argument(
        "--root",
        type=Path,
        metavar="DIR",
        help="where the files live (default: a temporary directory)",
    )
    p.set_defaults(func=_cmd_serve_index)

    p = sub.add_parser(
        "github-release",
        help="create or update the GitHub Release of a tag, notes from the changelog",
        description="Uses GITHUB_TOKEN, GITHUB_API_URL (default https://api.github.com) and "
        "GITHUB_REPOSITORY (default: parsed from the origin remote).",
    )
    p.add_argument("--tag", help="the tag (default: the tag of the current version)")
    p.set_defaults(func=_cmd_github_release)

    p = sub.add_parser(
        "init",
        help="write a thin noxfile, tasks.py, workflows and a PR template for this project",
    )
    p.add_argument(
        "--trigger",
        choices=scaffold.TRIGGERS,
        default=scaffold.DEFAULT_TRIGGER,
        help="what starts a release: a pushed v* tag (default), every merge to main, "
        "a merge into the deploy branch, or a published GitHub Release",
    )
    p.add_argument("--force", action="store_true", help="overwrite files that differ")
    p.set_defaults(func=_cmd_init)

    p = sub.add_parser(
        "promote",
        help="copy a verified release's exact files from one index to another",
        description="Download NAME==VERSION from --from, check each file's sha256 against a "
        "fresh build of the tag, upload the same bytes to --to, and verify the install there.",
    )
    p.add_argument("--from", dest="source", required=True, metavar="R", help=targets.CHOICES)
    p.add_argument("--to", dest="dest", required=True, metavar="R", help=targets.CHOICES)
    p.add_argument("--version", help="the version to promote (default: the tag at HEAD)")
    p.add_argument("--no-isolation", action="store_true", help="build with the backends here")
    p.set_defaults(func=_cmd_promote)

    for command, helptext in (
        ("ship", "release: preflight, bump, build, check, upload, verify, push"),
        ("status", "what ship would do, and why it would refuse"),
    ):
        p = sub.add_parser(command, help=helptext)
        p.add_argument(
            "--part",
            default="patch",
            type=_part_or_version,
            metavar="PART|VERSION",
            help=f"what to bump: {', '.join(PARTS)}, or an explicit version (default: patch)",
        )
        p.add_argument("--repository", metavar="R", help=targets.CHOICES)
        p.add_argument("--index-url", metavar="URL", help="the simple index verify installs from")
        p.add_argument("--no-push", action="store_true", help="do not push the commit and tag")
        if command == "ship":
            p.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
            p.add_argument("--keep", action="store_true", help="keep the rehearsal's directories")
            p.add_argument(
                "--no-isolation",
                action="store_true",
                help="build with the backends installed here instead of an isolated environment",
            )
        p.set_defaults(func=_cmd_ship if command == "ship" else _cmd_status)

    p = sub.add_parser(
        "completion",
        help="print a shell completion script",
        description="Print the completion script for SHELL; for bash: "
        'eval "$(release completion bash)" in ~/.bashrc.',
    )
    p.add_argument(
        "shell", choices=("bash", "zsh", "fish"), metavar="SHELL", help="bash, zsh or fish"
    )
    p.set_defaults(func=_cmd_completion)

    sub.choices["ship"].description = _SHIP_DESCRIPTION
    for action in sub._choices_actions:  # every command: a description and the global options
        command_parser = sub.choices[action.dest]
        if command_parser.description is None and action.help:
            command_parser.description = action.help[0].upper() + action.help[1:] + "."
        _add_global_options(command_parser, top=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    parser = build_parser()
    _autocomplete(parser)
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return int(args.func(args))
    except ReleaseError as exc:
        if args.debug:
            raise
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


def run() -> NoReturn:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
