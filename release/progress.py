"""Progress a person can follow: each step as it starts, its outcome and duration, a summary."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from typing import TextIO

_COLORS = {"ok": "32", "skipped": "36", "failed": "31", "would": "33"}


def use_color(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@dataclass
class Row:
    """One step's line in the summary."""

    step: str
    outcome: str
    seconds: float
    detail: str


@dataclass
class Reporter:
    """Writes progress lines to ``stream`` (standard error by default)."""

    stream: TextIO = field(default_factory=lambda: sys.stderr)
    color: bool | None = None
    rows: list[Row] = field(default_factory=list)
    _started: float = 0.0
    _step: str = ""

    def _paint(self, outcome: str, text: str) -> str:
        on = use_color(self.stream) if self.color is None else self.color
        code = _COLORS.get(outcome)
        return f"\033[{code}m{text}\033[0m" if on and code else text

    def line(self, text: str) -> None:
        """Print one line of progress."""
        print(text, file=self.stream, flush=True)

    @property
    def running(self) -> bool:
        """Whether a step was started and has not finished."""
        return bool(self._step)

    def start(self, step: str, detail: str) -> None:
        """Announce a step."""
        self._step, self._started = step, time.monotonic()
        self.line(f"==> {step}: {detail}")

    def finish(self, outcome: str, detail: str = "") -> None:
        """Record the running step's outcome (ok, skipped, failed) and duration."""
        seconds = time.monotonic() - self._started
        self.rows.append(Row(self._step, outcome, seconds, detail))
        tail = f": {detail}" if detail else ""
        self.line(f"    {self._paint(outcome, outcome)} {self._step} ({seconds:.1f}s){tail}")
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
