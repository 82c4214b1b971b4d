"""Progress a person can follow: each step as it starts, its outcome and duration, a summary."""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from typing import Any, TextIO

from .values import field, mutable

_COLORS = {"ok": "32", "skipped": "36", "failed": "31", "would": "33"}
LONG_STEPS = ("build", "verify")
"""Steps that take long enough to deserve a live elapsed time on a terminal."""


def _isatty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def use_color(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Colour on a terminal or with FORCE_COLOR, never with NO_COLOR (no-color.org wins)."""
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):  # https://force-color.org: any non-empty value
        return True
    return _isatty(stream)


def escape_data(text: str) -> str:
    """``text`` as a GitHub Actions workflow command's message (% CR LF escaped)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


@mutable
class Row:
    """One step's line in the summary."""

    step: str
    outcome: str
    seconds: float
    detail: str


@mutable
class Reporter:
    """Writes progress lines to ``stream`` (standard error by default).

    ``actions`` wraps each step's lines in GitHub Actions ``::group::``/``::endgroup::``;
    ``live`` shows a long step's elapsed time while it runs (rich, on a terminal only).
    """

    stream: TextIO = field(default_factory=lambda: sys.stderr)
    color: bool | None = None
    rows: list[Row] = field(default_factory=list)
    actions: bool = False
    live: bool = False
    survey: Any = None
    """The run's ``pipeline.Survey`` once preflight has read it (for the JSON report)."""
    _started: float = 0.0
    _step: str = ""
    _live: Any = None

    def _paint(self, outcome: str, text: str) -> str:
        on = use_color(self.stream, {}) if self.color is None else self.color
        code = _COLORS.get(outcome)
        return f"\033[{code}m{text}\033[0m" if on and code else text

    def line(self, text: str) -> None:
        """Print one line of progress."""
        if self._live is not None:
            self._live.console.print(text, markup=False, highlight=False)
            return
        print(text, file=self.stream, flush=True)

    @property
    def running(self) -> bool:
        """Whether a step was started and has not finished."""
        return bool(self._step)

    def start(self, step: str, detail: str) -> None:
        """Announce a step."""
        self._step, self._started = step, time.monotonic()
        if self.actions:
            self.line(f"::group::{escape_data(step)}")
        self.line(f"==> {step}: {detail}")
        if self.live and step in LONG_STEPS and _isatty(self.stream):
            self._start_live(step)

    def _start_live(self, step: str) -> None:
        # imported here: rich costs tens of milliseconds, paid only on a terminal
        from rich.console import Console
        from rich.live import Live
        from rich.spinner import Spinner

        console = Console(file=self.stream, force_terminal=True, highlight=False)
        spinner = Spinner("dots", text=f"{step} running")
        started = self._started

        class _Elapsed:
            def __rich__(self) -> Any:
                spinner.text = f"{step} running, {time.monotonic() - started:.0f}s"
                return spinner

        self._live = Live(_Elapsed(), console=console, refresh_per_second=4, transient=True)
        self._live.start()

    def _stop_live(self) -> None:
        if self._live is not None:
            live, self._live = self._live, None
            live.stop()

    def finish(self, outcome: str, detail: str = "") -> None:
        """Record the running step's outcome (ok, skipped, failed) and duration."""
        self._stop_live()
        seconds = time.monotonic() - self._started
        self.rows.append(Row(self._step, outcome, seconds, detail))
        tail = f": {detail}" if detail else ""
        self.line(f"    {self._paint(outcome, outcome)} {self._step} ({seconds:.1f}s){tail}")
        if self.actions:
            self.line("::endgroup::")
        self._step = ""

    def skip(self, step: str, reason: str) -> None:
        """Record a step that did not need to run."""
        self.rows.append(Row(step, "skipped", 0.0, reason))
        self.line(f"==> {step}: {self._paint('skipped', 'skipped')}, {reason}")

    def summary(self) -> None:
        """Print the table of steps, outcomes and durations."""
        if not self.rows:
            return
        width = max(len(r.step) for r in self.rows)
        self.line("")
        self.line(f"{'step'.ljust(width)}  {'outcome':<8} {'time':>7}  detail")
        for row in self.rows:
            outcome = self._paint(row.outcome, f"{row.outcome:<8}")
            self.line(f"{row.step.ljust(width)}  {outcome} {row.seconds:>6.1f}s  {row.detail}")
        total = sum(r.seconds for r in self.rows)
        self.line(f"{'total'.ljust(width)}  {'':<8} {total:>6.1f}s")

    def markdown(self) -> str:
        """The summary table as Markdown (for ``$GITHUB_STEP_SUMMARY``)."""
        lines = ["| step | outcome | time | detail |", "| --- | --- | ---: | --- |"]
        for row in self.rows:
            detail = row.detail.replace("|", "\\|")
            lines.append(f"| {row.step} | {row.outcome} | {row.seconds:.1f}s | {detail} |")
        return "\n".join(lines) + "\n"
