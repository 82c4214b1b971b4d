"""The ``release`` command line: parse, read the project, plan, show, act.

This is the only module that prints final errors or decides the exit status.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from . import bump, config
from .errors import ReleaseError
from .version import PARTS


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        print(f"error: {message}", file=sys.stderr)
        print(f"hint: run '{self.prog} --help' for usage", file=sys.stderr)
        sys.exit(2)


def _cmd_version(args: argparse.Namespace) -> int:
    state = bump.read_state(config.load(args.project))
    print(state.current)
    return 0


def _cmd_bump(args: argparse.Namespace) -> int:
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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = _Parser(prog="release", description="Release tasks for Python packages.")
    parser.add_argument(
        "--project", type=Path, default=Path("."), metavar="DIR", help="the project (default: .)"
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    args = build_parser().parse_args(argv)
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
