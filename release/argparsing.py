"""argparse, quicker and in our own form: a parser builds only the command being run, measures
the terminal without shutil, and reports a bad value as ``error:`` and ``hint:`` (exit 2).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction["Parser"]


class Adds(Protocol):
    def add_argument(self, *args: Any, **kwargs: Any) -> object: ...


class _Unused:
    """The arguments of a command that is not being run: nobody parses them, so none is built."""

    description: str | None = None

    def add_argument(self, *args: Any, **kwargs: Any) -> object:
        return None


class Commands:
    """Registers every command; builds the arguments of ``wanted`` only (None: of every one).

    Each argument costs argparse some work; a quick command should not pay for all ninety.
    """

    def __init__(self, sub: Subparsers, wanted: str | None) -> None:
        self.sub, self.wanted = sub, wanted

    def add_parser(self, name: str, **kwargs: Any) -> Adds:
        """The parser of command ``name`` to add arguments to."""
        if self.wanted in (None, name):
            return self.sub.add_parser(name, **kwargs)
        # a command not run: its name stays a choice (for the closest-match hint), but no
        # parser is built for it (each one costs argparse a formatter and gettext look-ups)
        unused = _Unused()
        self.sub._name_parser_map[name] = unused  # type: ignore[assignment]
        return unused

    def described(self, name: str, description: str) -> Adds:
        """Command ``name`` (already added) with its ``description``, to add more arguments."""
        if self.wanted not in (None, name):
            return _Unused()
        self.sub.choices[name].description = description
        return self.sub.choices[name]


def closest(word: str, choices: Sequence[str]) -> str | None:
    """The choice closest to ``word``, if one is close (only a mistyped run loads difflib)."""
    import difflib

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return close[0] if close else None


def _suggest(word: str, choices: Sequence[str]) -> str:
    """A hint naming the closest choice to ``word``, or every choice when none is close."""
    close = closest(word, choices)
    return f"did you mean {close}?" if close else f"choose from {', '.join(choices)}"


def _columns() -> int:
    """The terminal's width as ``shutil.get_terminal_size`` gives it, without loading shutil.

    argparse asks for it on every ``add_argument``; shutil would load bz2 and lzma for that.
    """
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        stdout = sys.__stdout__
        try:
            columns = os.get_terminal_size(stdout.fileno()).columns if stdout else 0
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class Parser(argparse.ArgumentParser):
    def _get_formatter(self) -> argparse.HelpFormatter:
        # argparse itself takes 2 off the width it reads; it takes nothing off one it is given
        return self.formatter_class(prog=self.prog, width=_columns() - 2)  # type: ignore[call-arg]

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
