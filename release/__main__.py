# PYTHON_ARGCOMPLETE_OK
"""The ``release`` command line: parse, read the project, plan, show, act.

This is the only module that prints final errors or decides the exit status.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import shlex
import signal
import sys
import traceback
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from . import config, report, scaffold, targets, workspace_cli
from . import settings as settings_mod
from .auto import AUTO
from .errors import ReleaseError, StepError, UsageError
from .version import PARTS, check_publishable
from .version import parse as parse_version

if TYPE_CHECKING:
    from packaging.version import Version

    from . import bump as bump_mod
    from . import pipeline
    from .progress import Reporter

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

    names = (*PARTS, AUTO)
    if text in names:
        return text
    try:
        Version(text)
    except InvalidVersion:
        close = _closest(text, names)
        hint = (
            f"did you mean {close}?"
            if close
            else f"use one of {', '.join(names)}, or an explicit version such as 2.0.0"
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

    cfg = config.load(args.project)
    state = bump.read_state(cfg)
    if args.json:
        from . import project

        tag = cfg.tag(state.current)
        args.doc["release"] = report.release(project.name_of(cfg), state.current, None, tag)
        return 0
    print(state.current)
    return 0


def _cmd_bump(args: argparse.Namespace) -> int:
    from . import bump, unreleased

    cfg = config.load(args.project)
    state = bump.read_state(cfg)
    decision = unreleased.resolve(cfg, state.current, args.spec)
    plan = bump.plan(state, decision.spec, commit=args.commit, tag=args.tag)
    if args.json:
        return _bump_json(args, cfg, plan, decision.reason)
    if args.dry_run:
        bump.check_git(plan)
        _require_writable(plan.files)  # what the real run's atomic write would refuse
        print(f"{plan.current} -> {plan.target}")
        if decision.reason:
            print(f"  auto: {decision.reason}")
        for line in plan.describe():
            print(f"  would {line}")
        return 0
    outcome = bump.execute(plan)
    print(f"{plan.current} -> {plan.target}")
    if decision.reason:
        print(f"  auto: {decision.reason}")
    for line in plan.describe():
        if line.startswith("no tag:") or line.startswith("version comes"):
            print(f"  {line}")
        else:
            print(f"  did {line}")
    if outcome.commit:
        print(f"  commit {outcome.commit[:12]}")
    return 0


def _bump_json(
    args: argparse.Namespace, cfg: config.Config, plan: bump_mod.BumpPlan, reason: str
) -> int:
    """``bump --json``: the plan's lines as steps, and after a real run the commit."""
    from . import bump, project

    doc = args.doc
    tag = plan.tag or cfg.tag(plan.target)
    doc["release"] = report.release(project.name_of(cfg), plan.current, plan.target, tag)
    doc["steps"] = report.steps((line.split(" ", 1)[0], line) for line in plan.describe())
    doc["dry_run"] = bool(args.dry_run)
    doc["auto"] = reason or None
    doc["commit"] = None
    if args.dry_run:
        bump.check_git(plan)
        _require_writable(plan.files)
        return 0
    outcome = bump.execute(plan)
    doc["commit"] = outcome.commit
    return 0


def _require_writable(paths: Iterable[Path]) -> None:
    from .preflight import unwritable_files

    problem = unwritable_files(paths)
    if problem:
        raise UsageError(
            f"{problem} (no file was changed)",
            hint="make the files writable (chmod u+w) or remove them from the version sources",
        )


def _settings(args: argparse.Namespace, cfg: config.Config) -> settings_mod.Settings:
    """Every setting of this run from flags, environment and ``cfg``; exit 2 on a bad one."""
    return settings_mod.build(
        cfg,
        repository=getattr(args, "repository", None),
        index_url=getattr(args, "index_url", None),
        environ=os.environ,
    )


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
    from . import project, publish
    from .index import artifact_id

    cfg = config.load(args.project)
    checked = _settings(args, cfg)
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
    if target.name == "local":
        _require_local_index(target.index_url)
    _echo(f"publish: {len(files)} file(s) to {target.describe()}")
    result = publish.publish(files, target, backoff, _echo)
    uploaded = sum(1 for _, outcome in result.outcomes if outcome == "uploaded")
    _echo(f"published: {uploaded} uploaded, {len(result.outcomes) - uploaded} already there")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from . import project, verify

    cfg = config.load(args.project)
    checked = _settings(args, cfg)
    target, extra, backoff = checked.target, checked.extra_index_url, checked.verify_backoff
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
    _settings(args, cfg)
    notes, repo, outcome = github.run(cfg, args.tag, os.environ)
    if outcome.action == "unchanged":
        print(f"GitHub Release {notes.tag} of {repo} is up to date: {outcome.url}")
    else:
        print(f"{outcome.action} GitHub Release {notes.tag} of {repo}: {outcome.url}")
    return 0


def _cmd_init(args: argparse.Namespace) -> int:
    runs_on = tuple(label.strip() for arg in args.runs_on for label in arg.split(","))
    plan = scaffold.plan(
        args.project,
        args.trigger,
        force=args.force,
        runs_on=tuple(filter(None, runs_on)),
        replace=tuple(args.replace),
        keep=tuple(args.keep),
    )
    if not plan.changes:
        print(f"release init: every file is up to date (trigger {plan.trigger})")
        for action in plan.actions:
            if action.kind == "leave":
                print(f"  {action.describe()}")
        return 0
    scaffold.execute(plan)
    for action in plan.actions:
        print(f"  {action.describe()}")
    for line in scaffold.next_steps(plan):
        print(line)
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


def _dev_version(project: Path) -> str:
    """``--dev``: the next patch version with .devN (N: commits in HEAD's history)."""
    from . import bump

    current = bump.read_state(config.load(project)).current
    return scaffold.dev_version(project, current)


def _ship_options(args: argparse.Namespace, **extra: object) -> pipeline.Options:
    from . import pipeline

    rerun = "release " + " ".join(shlex.quote(a) for a in (args.argv or []))
    part, push = args.part, False if args.no_push else None
    if getattr(args, "dev", False):
        part, push = _dev_version(args.project), False
    return pipeline.Options(
        part=part,
        repository=args.repository,
        index_url=args.index_url,
        push=push,
        rerun=rerun.strip(),
        **extra,  # type: ignore[arg-type]
    )


def _tagged_at_head(cfg: config.Config, tag: str) -> bool:
    """Whether HEAD of the user's checkout already carries ``tag`` (the release happened)."""
    from . import git

    repo = git.open_repo(cfg.project)
    return tag in git.tags_at(repo, git.head_sha(repo))


def _cmd_ship(args: argparse.Namespace) -> int:
    from .progress import Reporter, use_color

    on_tty = sys.stderr.isatty()
    reporter = Reporter(
        color=use_color(sys.stderr, os.environ),
        actions=args.output.actions,
        live=on_tty and not args.output.actions,
    )
    try:
        return _ship(args, reporter)
    except ReleaseError as exc:
        report.error(args.doc, exc)
        raise
    finally:
        _ship_report(args, reporter)


def _ship(args: argparse.Namespace, reporter: Reporter) -> int:
    from . import pipeline, rehearsal

    cfg = config.load(args.project)
    options = _ship_options(
        args, dry_run=args.dry_run, keep=args.keep, isolated=not args.no_isolation
    )
    checked = _settings(args, cfg)
    target = checked.target
    args.doc["target"] = report.target(target)
    say = _say(args)
    # a CI job cancelled mid-run gets SIGTERM: roll back like on Ctrl-C, not die half-done
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        if target.name == "local" and not args.dry_run:
            rehearsed = rehearsal.rehearse(cfg, options, reporter, os.environ)
            result = rehearsed.result
            reporter.summary()
            args.doc["rehearsal"] = True
            args.doc["files"] = report.files(result.files)
            files = ", ".join(p.name for p in result.files)
            if _tagged_at_head(cfg, result.tag):
                say(
                    f"rehearsal passed: {result.name} {result.version} is already released "
                    f"({result.tag} is at HEAD); rehearsed its files again: {files}"
                )
                return 0
            say(
                f"rehearsal passed: {result.name} {result.version} would be released as "
                f"{result.tag}: {files} (rehearsed against a local index, {result.index_url})"
            )
            return 0
        result = pipeline.ship(cfg, options, reporter, os.environ, checked)
    except ReleaseError:
        reporter.summary()
        raise
    args.doc["files"] = report.files(result.files)
    if args.dry_run:
        say(f"dry run: {result.name} {result.version} ({result.tag}) to {target.describe()}")
    elif result.already:
        say(f"already released: {result.name} {result.version} ({result.tag}); nothing to do")
    else:
        args.doc["released"] = True
        reporter.summary()
        files = ", ".join(p.name for p in result.files)
        say(
            f"released {result.name} {result.version} ({result.tag}): {files} on {result.index_url}"
        )
    return 0


def _say(args: argparse.Namespace) -> Callable[[str], None]:
    """Print a final line, unless standard output is the JSON document's."""
    return (lambda line: None) if args.json else print


def _ship_report(args: argparse.Namespace, reporter: Reporter) -> None:
    """Fill the document from the run; in GitHub Actions, write the outputs and the summary."""
    doc, out = args.doc, args.output
    if reporter.survey is not None:
        chosen = doc["target"]
        report.from_survey(doc, reporter.survey, _ship_options(args, dry_run=True))
        if chosen is not None:
            doc["target"] = chosen  # the rehearsal's inner survey aims at its throwaway index
    doc["outcomes"] = report.outcomes(reporter.rows)
    doc["dry_run"] = bool(args.dry_run)
    for path, text in (
        (out.github_output, report.output_lines(report.github_outputs(doc))),
        (out.step_summary, report.summary_markdown(doc, reporter.markdown())),
    ):
        if path:
            try:
                report.append(path, text)
            except OSError as exc:  # the run's own outcome matters more than its report
                print(f"warning: cannot append to {path}: {exc.strerror}", file=sys.stderr)


def _cmd_status(args: argparse.Namespace) -> int:
    from . import credentials, pipeline

    try:
        cfg = config.load(args.project)
        checked = _settings(args, cfg)
    except UsageError as exc:
        if not args.project.is_dir():
            raise
        # status reports a bad setting as a failed check, as it does every other refusal
        if args.json:
            args.doc["checks"] = [
                {"name": "settings", "ok": False, "message": exc.message, "hint": exc.hint}
            ]
            return 0
        print(f"project:     {args.project.resolve()}")
        print("checks:")
        print(f"  [FAIL] settings: {exc.message}")
        print("ship would refuse: 1 check(s) failed")
        return 0
    s = pipeline.survey(cfg, _ship_options(args, dry_run=True), os.environ, checked)
    if args.json:
        return _status_json(args, s)
    print(f"project:     {s.name} ({cfg.project})")
    print(f"version:     {s.current}")
    if s.resume:
        print(f"next:        {s.version} (HEAD carries {s.tag}: ship would resume)")
    else:
        print(f"next:        {s.version or 'cannot compute'} (--part {args.part})")
        if s.part_reason:
            print(f"auto:        {s.part_reason}")
    print(f"tag:         {s.tag or '-'}")
    print(f"on index:    {', '.join(s.on_index) or 'no files of that version'}")
    print(f"work tree:   {'clean' if not s.dirty else f'{len(s.dirty)} uncommitted change(s)'}")
    print(f"clone:       {pipeline.clone_line(s)}")
    print(f"release:     {pipeline.progress_line(s, args.repository)}")
    print(f"target:      {s.target.describe()} (from {s.target.source})")
    print(
        f"credentials: {s.credentials or ('none found' if credentials.required(s.target) else 'none needed')}"
    )
    print("checks:")
    for c in s.checks:
        print(f"  [{'FAIL' if not c.ok else 'warn' if c.warn else 'ok'}] {c.name}: {c.message}")
    if s.complete:
        print("ship would do nothing: that release is complete")
    elif s.refusals:
        print(f"ship would refuse: {len(s.refusals)} check(s) failed")
    else:
        for line in pipeline.plan_lines(s, _ship_options(args, dry_run=True)):
            print(f"ship would {line}")
    if not s.resume:
        _print_unreleased(cfg, s)
    return 0


def _status_json(args: argparse.Namespace, s: pipeline.Survey) -> int:
    """``status --json``: the survey and the plan, the same facts as the text."""
    from . import credentials

    doc = args.doc
    report.from_survey(doc, s, _ship_options(args, dry_run=True))
    doc["resume"] = s.resume
    doc["complete"] = s.complete
    doc["on_index"] = list(s.on_index)
    doc["dirty"] = list(s.dirty)
    doc["credentials"] = s.credentials or (
        None if credentials.required(s.target) else "none needed"
    )
    doc["auto"] = s.part_reason or None
    return 0


def _print_unreleased(cfg: config.Config, s: pipeline.Survey) -> None:
    """The fragments the bump would consume and the notes a GitHub Release would get."""
    from . import fragments, github

    try:
        setup = fragments.find(cfg.project, cfg.pyproject)
        found = fragments.listing(setup) if setup is not None else []
    except ReleaseError:
        return  # the checks below say what is wrong
    if setup is not None:
        names = ", ".join(setup.label(f.path) for f in found) or "none"
        print(f"fragments:   {len(found)} to consume ({names})")
    if s.version is None or setup is not None:
        return  # towncrier writes a towncrier project's notes from the fragments above
    notes = github.upcoming_notes(cfg, s.version)
    print(
        "notes:       " + ("(none)" if not notes else f"the GitHub Release of {s.tag} would say:")
    )
    for line in (notes or "").splitlines():
        print(f"  | {line}".rstrip())


def _cmd_promote(args: argparse.Namespace) -> int:
    from . import project
    from . import promote as promote_mod

    cfg = config.load(args.project)
    _settings(argparse.Namespace(), cfg)  # the retry bounds promote reads, checked up front
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


JSON_COMMANDS = ("version", "bump", "status", "ship")


def _json_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--json",
        action="store_true",
        help="print one JSON document on standard output instead of text (see the README)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = _Parser(prog="release", description="Release tasks for Python packages.")
    parser.add_argument("--version", action=_VersionAction)
    _add_global_options(parser, top=True)
    parser.add_argument("--json", dest="json_first", action="store_true", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("version", help="print the current version")
    _json_option(p)
    p.set_defaults(func=_cmd_version)

    p = sub.add_parser(
        "bump",
        help="bump every version source (and the changelog)",
        description=f"PART is one of {', '.join(PARTS)}, or auto (decided from the news "
        "fragments, the changelog's [Unreleased] section or the commits); or give an explicit VERSION.",
    )
    p.add_argument("spec", metavar="PART|VERSION")
    p.add_argument("--dry-run", action="store_true", help="show the plan, change nothing")
    p.add_argument("--commit", action="store_true", help="commit exactly the changed files")
    p.add_argument("--tag", action="store_true", help="create an annotated tag (implies --commit)")
    _json_option(p)
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
        "a merge into the deploy branch, a published GitHub Release, or testpypi "
        "(every push to the release branch: X.Y.Z.devN to TestPyPI; v* tags: PyPI)",
    )
    p.add_argument(
        "--force", action="store_true", help="overwrite files that differ, ci.yml included"
    )
    p.add_argument(
        "--runs-on",
        action="append",
        default=[],
        metavar="LABEL",
        help="runner label(s) of the release jobs, comma-separated or repeated "
        "(default: ubuntu-latest; deploy: self-hosted,deploy)",
    )
    p.add_argument(
        "--replace",
        action="append",
        default=[],
        metavar="NAME",
        help="delete this existing workflow that publishes on the same trigger",
    )
    p.add_argument(
        "--keep",
        action="append",
        default=[],
        metavar="NAME",
        help="leave this existing workflow that publishes on the same trigger",
    )
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
            type=workspace_cli.part_value(_part_or_version),
            action=workspace_cli.PartAction,
            metavar="PART|VERSION",
            help=f"what to bump: {', '.join(PARTS)}, auto (from the changelog, fragments or "
            "commits), or an explicit version (default: patch)",
        )
        p.add_argument("--repository", metavar="R", help=targets.CHOICES)
        p.add_argument("--index-url", metavar="URL", help="the simple index verify installs from")
        p.add_argument("--no-push", action="store_true", help="do not push the commit and tag")
        p.add_argument(
            "--dev",
            action="store_true",
            help="a development release of HEAD instead: the next patch version with .devN "
            "(N: the commits in HEAD's history), uploaded and verified, nothing pushed",
        )
        _json_option(p)
        workspace_cli.add_arguments(p)
        if command == "ship":
            p.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
            p.add_argument("--keep", action="store_true", help="keep the rehearsal's directories")
            p.add_argument(
                "--no-isolation",
                action="store_true",
                help="build with the backends installed here instead of an isolated environment",
            )
        p.set_defaults(func=workspace_cli.front(_cmd_ship if command == "ship" else _cmd_status))

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


def _changes_the_repository(args: argparse.Namespace) -> bool:
    """Whether the command writes to the checkout, the refs or an index (so takes the lock)."""
    if args.command == "bump":
        return not args.dry_run
    if args.command == "ship":
        return not args.dry_run
    return bool(args.command in ("publish", "promote"))


def _release_lock(args: argparse.Namespace) -> contextlib.AbstractContextManager[object]:
    """The repository's release lock for a command that changes things, else nothing."""
    from . import git, lock

    if not _changes_the_repository(args):
        return contextlib.nullcontext()
    try:
        repo = git.open_repo(args.project)
    except UsageError:
        return contextlib.nullcontext()  # not a repository: the command says so itself
    return lock.held(Path(repo.common_dir), lock.command_line(args.argv), lock.stderr_note)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    parser = build_parser()
    _autocomplete(parser)
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    # SIGTERM (a cancelled CI job, kill) ends children and cleans up like Ctrl-C, in every command
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    args.json = bool(getattr(args, "json", False) or args.json_first)
    args.output = settings_mod.output(os.environ, json=args.json)
    args.doc = report.document(args.command)
    try:
        if args.json and args.command not in JSON_COMMANDS:
            raise UsageError(
                f"--json is not supported by release {args.command}",
                hint=f"--json works with {', '.join(JSON_COMMANDS)}",
            )
        with _release_lock(args):
            code = int(args.func(args))
    except ReleaseError as exc:
        if args.debug:
            # the traceback for whoever debugs, and still the exit status scripts rely on
            traceback.print_exc()
        _report_error(args, exc.message, exc.hint)
        report.error(args.doc, exc)
        code = exc.exit_code
    except KeyboardInterrupt:
        if args.debug:
            traceback.print_exc()
        _report_error(args, "interrupted", None)
        report.error(args.doc, None, "interrupted", 130)
        code = 130
    except BrokenPipeError:
        return _broken_pipe()
    if args.json:
        print(report.dumps(args.doc), flush=True)
    return code


def _broken_pipe() -> int:
    """The reader of our output went away (``| head``): stop quietly, as other CLIs do."""
    # Python would complain again when it flushes stdout at exit: point it at the null device
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return 128 + signal.SIGPIPE


def _report_error(args: argparse.Namespace, message: str, hint: str | None) -> None:
    """``error:`` and ``hint:`` on standard error; in GitHub Actions also an annotation."""
    from .progress import escape_data

    print(f"error: {message}", file=sys.stderr)
    if hint:
        print(f"hint: {hint}", file=sys.stderr)
    if args.output.actions:
        text = f"{message}\nhint: {hint}" if hint else message
        print(f"::error::{escape_data(text)}", file=sys.stderr)


def run() -> NoReturn:
    """Console-script entry point."""
    code = main()
    try:
        sys.stdout.flush()  # what is still buffered may meet a closed pipe only now
    except BrokenPipeError:
        code = _broken_pipe()
    sys.exit(code)


if __name__ == "__main__":
    run()
