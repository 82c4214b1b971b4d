"""The ``release`` argument parser: one small function per command, errors in our own form.

Parsing only: each command's handler is looked up by name in ``__main__``. Building the
parser imports nothing heavy, so that ``release bump --dry-run`` starts quickly.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from . import targets, triggers, workspace_cli
from .argparsing import Adds, Commands, Parser, closest
from .version import PARTS

JSON_COMMANDS = ("version", "bump", "status", "ship")
"""The commands that take ``--json``."""

SHIP_DESCRIPTION = (
    "Release the project: preflight, bump, build, check, upload, verify, push. With no "
    "--repository (and no RELEASE_REPOSITORY or [tool.release] repository) the target is "
    "local: a rehearsal of the whole pipeline in a throwaway clone against a throwaway local "
    "index, which changes nothing (not your checkout, tags, remotes or any index). "
    "--part takes a part name or an explicit version greater than the current one."
)

_TARGET_HELP = f"{targets.CHOICES} (default: RELEASE_REPOSITORY, [tool.release] repository, local)"
_INDEX_HELP = (
    "the simple index when it cannot be derived "
    "(default: RELEASE_INDEX_URL, [tool.release] index-url)"
)
_FILES_HELP = "default: the release's files in dist/"


def part_or_version(text: str) -> str:
    """A ``--part`` value: a part name or an explicit PEP 440 version (compared when shipping)."""
    from packaging.version import InvalidVersion, Version

    from .decision import AUTO

    names = (*PARTS, AUTO)
    if text in names:
        return text
    try:
        Version(text)
    except InvalidVersion:
        close = closest(text, names)
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


def _json_option(p: Adds) -> None:
    p.add_argument(
        "--json",
        action="store_true",
        help="print one JSON document on standard output instead of text (see the README)",
    )


def _no_isolation(p: Adds, helptext: str) -> None:
    p.add_argument("--no-isolation", action="store_true", help=helptext)


def _add_version_and_bump(sub: Commands) -> None:
    p = sub.add_parser("version", help="print the current version")
    _json_option(p)
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


def _add_build_and_check(sub: Commands) -> None:
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
    _no_isolation(p, "build with the backends installed here instead of a fresh build environment")
    p = sub.add_parser(
        "check",
        help="twine check --strict, and the files are the project's name and version",
    )
    p.add_argument("files", nargs="*", type=Path, metavar="FILE", help=_FILES_HELP)
    p.add_argument(
        "--ref", default="HEAD", help="the commit whose tag names the version (default: HEAD)"
    )
    p.add_argument(
        "--dist", type=Path, metavar="DIR", help="where to look for the files (default: dist/)"
    )


def _add_publish_and_verify(sub: Commands) -> None:
    p = sub.add_parser(
        "publish",
        help="upload to an index; files already on the index are skipped, conflicts refused",
    )
    p.add_argument("files", nargs="*", type=Path, metavar="FILE", help=_FILES_HELP)
    p.add_argument("--repository", metavar="R", help=_TARGET_HELP)
    p.add_argument("--index-url", metavar="URL", help=_INDEX_HELP)
    p = sub.add_parser(
        "verify",
        help="install the release from the index alone into a fresh venv and use it",
    )
    p.add_argument("--repository", metavar="R", help=_TARGET_HELP)
    p.add_argument("--index-url", metavar="URL", help=_INDEX_HELP)
    p.add_argument("--version", metavar="V", help="the version to verify (default: the project's)")
    p.add_argument(
        "--dist", type=Path, metavar="DIR", help="compare sha256 with the files built here"
    )


def _add_serve_index_and_github(sub: Commands) -> None:
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
    p = sub.add_parser(
        "github-release",
        help="create or update the GitHub Release of a tag, notes from the changelog",
        description="Uses GITHUB_TOKEN, GITHUB_API_URL (default https://api.github.com) and "
        "GITHUB_REPOSITORY (default: parsed from the origin remote).",
    )
    p.add_argument("--tag", help="the tag (default: the tag of the current version)")


def _add_init(sub: Commands) -> None:
    p = sub.add_parser(
        "init",
        help="write a thin noxfile, tasks.py, workflows and a PR template for this project",
    )
    p.add_argument(
        "--trigger",
        choices=triggers.TRIGGERS,
        default=triggers.DEFAULT_TRIGGER,
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
    for flag, verb in (("--replace", "delete"), ("--keep", "leave")):
        p.add_argument(
            flag,
            action="append",
            default=[],
            metavar="NAME",
            help=f"{verb} this existing workflow that publishes on the same trigger",
        )


def _add_promote(sub: Commands) -> None:
    p = sub.add_parser(
        "promote",
        help="copy a verified release's exact files from one index to another",
        description="Download NAME==VERSION from --from, check each file's sha256 against a "
        "fresh build of the tag, upload the same bytes to --to, and verify the install there.",
    )
    p.add_argument("--from", dest="source", required=True, metavar="R", help=targets.CHOICES)
    p.add_argument("--to", dest="dest", required=True, metavar="R", help=targets.CHOICES)
    p.add_argument("--version", help="the version to promote (default: the tag at HEAD)")
    _no_isolation(p, "build with the backends here")


def _add_ship_and_status(sub: Commands) -> None:
    for command, helptext in (
        ("ship", "release: preflight, bump, build, check, upload, verify, push"),
        ("status", "what ship would do, and why it would refuse"),
    ):
        p = sub.add_parser(command, help=helptext)
        p.add_argument(
            "--part",
            default="patch",
            type=workspace_cli.part_value(part_or_version),
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
    p = sub.described("ship", SHIP_DESCRIPTION)
    p.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    p.add_argument("--keep", action="store_true", help="keep the rehearsal's directories")
    _no_isolation(p, "build with the backends installed here instead of an isolated environment")


def _add_completion(sub: Commands) -> None:
    p = sub.add_parser(
        "completion",
        help="print a shell completion script",
        description="Print the completion script for SHELL; for bash: "
        'eval "$(release completion bash)" in ~/.bashrc.',
    )
    p.add_argument(
        "shell", choices=("bash", "zsh", "fish"), metavar="SHELL", help="bash, zsh or fish"
    )


COMMANDS = (
    "version", "bump", "build", "check", "publish", "verify", "serve-index",
    "github-release", "init", "promote", "ship", "status", "completion",
)  # fmt: skip
"""Every command, in the order ``release --help`` lists them."""


def command_in(argv: Sequence[str]) -> str | None:
    """The one command ``argv`` names, or None when it names none or several (a value too),
    or when ``--help`` comes before it (the help then lists every command)."""
    named = {a for a in argv if a in COMMANDS}
    if len(named) != 1:
        return None
    command = named.pop()
    before = argv[: list(argv).index(command)]
    return None if "-h" in before or "--help" in before else command


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser; with ``argv``, only the command it names gets its arguments.

    ``args.command`` names the command given. Without ``argv`` (or when it is unclear which
    command it names, or a shell asks for completions) every command is built in full.
    """
    completing = "_ARGCOMPLETE" in os.environ
    wanted = command_in(argv) if argv is not None and not completing else None
    parser = Parser(prog="release", description="Release tasks for Python packages.")
    parser.add_argument("--version", action=_VersionAction)
    _add_global_options(parser, top=True)
    parser.add_argument("--json", dest="json_first", action="store_true", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    commands = Commands(sub, wanted)
    _add_version_and_bump(commands)
    _add_build_and_check(commands)
    _add_publish_and_verify(commands)
    _add_serve_index_and_github(commands)
    _add_init(commands)
    _add_promote(commands)
    _add_ship_and_status(commands)
    _add_completion(commands)
    for action in sub._choices_actions:  # every command: a description and the global options
        command_parser = sub.choices[action.dest]
        if command_parser.description is None and action.help:
            command_parser.description = action.help[0].upper() + action.help[1:] + "."
        if wanted in (None, action.dest):
            _add_global_options(command_parser, top=False)
    return parser
