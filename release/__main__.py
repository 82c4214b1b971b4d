# PYTHON_ARGCOMPLETE_OK
"""The ``release`` command line: parse, call, print, exit.

This is the only module that prints final errors or decides the exit status. The parser is
in ``cliargs``; each command's handler in ``commands`` (version, bump, status, ship, ...) or
``stepcommands`` (build, check, publish, verify, promote, serve-index).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from . import commands, report, workspace_cli
from .cliargs import JSON_COMMANDS, build_parser
from .commands import stop_on_sigterm
from .errors import ReleaseError, UsageError
from .output import output

if TYPE_CHECKING:
    from collections.abc import Callable

# Each command imports what it needs when it runs: a command starts in a fraction of the
# time it takes to load twine and requests all at once. The step commands' module is not
# even loaded for the others (``bump --dry-run`` is run by hand, and its start-up is felt).
_STEP_COMMANDS = ("build", "check", "publish", "verify", "promote", "serve-index")


def _handler(command: str) -> Callable[[argparse.Namespace], int]:
    """The function that runs ``command``, from the one module that defines it."""
    if command in _STEP_COMMANDS:
        from . import stepcommands

        return stepcommands.HANDLERS[command]
    handler = commands.HANDLERS[command]
    if command in ("ship", "status"):  # at a workspace root these list or choose the packages
        handler = workspace_cli.front(handler)
    return handler


def _autocomplete(parser: argparse.ArgumentParser) -> None:
    """Answer a shell's completion request; only then is argcomplete imported."""
    if "_ARGCOMPLETE" in os.environ:
        import argcomplete

        argcomplete.autocomplete(parser)


def _changes_the_repository(args: argparse.Namespace) -> bool:
    """Whether the command writes to the checkout, the refs or an index (so takes the lock)."""
    if args.command == "bump":
        return not args.dry_run
    if args.command == "ship":
        return not args.dry_run
    return bool(args.command in ("publish", "promote"))


def _release_lock(args: argparse.Namespace) -> contextlib.AbstractContextManager[object]:
    """The repository's release lock for a command that changes things, else nothing."""
    if not _changes_the_repository(args):
        return contextlib.nullcontext()
    from . import git, lock

    try:
        repo = git.open_repo(args.project)
    except UsageError:
        return contextlib.nullcontext()  # not a repository: the command says so itself
    return lock.held(Path(repo.common_dir), lock.command_line(args.argv), lock.stderr_note)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    _autocomplete(parser)
    args = parser.parse_args(argv)
    args.argv = argv
    # SIGTERM (a cancelled CI job, kill) ends children and cleans up like Ctrl-C, in every command
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    args.json = bool(getattr(args, "json", False) or args.json_first)
    args.output = output(os.environ, json=args.json)
    args.doc = report.document(args.command)
    try:
        if args.json and args.command not in JSON_COMMANDS:
            raise UsageError(
                f"--json is not supported by release {args.command}",
                hint=f"--json works with {', '.join(JSON_COMMANDS)}",
            )
        with _release_lock(args):
            code = int(_handler(args.command)(args))
    except ReleaseError as exc:
        if args.debug:
            # the traceback for whoever debugs, and still the exit status scripts rely on
            _traceback()
        _report_error(args, exc.message, exc.hint)
        report.error(args.doc, exc)
        code = exc.exit_code
    except KeyboardInterrupt:
        if args.debug:
            _traceback()
        _report_error(args, "interrupted", None)
        report.error(args.doc, None, "interrupted", 130)
        code = 130
    except BrokenPipeError:
        return _broken_pipe()
    if args.json:
        print(report.dumps(args.doc), flush=True)
    return code


def _traceback() -> None:
    import traceback  # only for --debug: it loads linecache and tokenize

    traceback.print_exc()


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
