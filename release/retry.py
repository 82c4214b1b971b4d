"""Bounded exponential backoff: the schedule is pure, the loop takes its clock and sleep."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar

from .errors import UsageError

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    """Wait ``delay``, then ``delay * factor`` ... capped at ``max_delay``, for at most ``timeout``."""

    delay: float = 1.0
    factor: float = 2.0
    max_delay: float = 15.0
    timeout: float = 60.0

    def delays(self) -> Iterator[float]:
        """The waits between attempts, forever; the caller stops at ``timeout``."""
        delay = self.delay
        while True:
            yield delay
            delay = min(delay * self.factor, self.max_delay)


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value < 0:
        raise UsageError(
            f"{name}={raw!r} is not a number of seconds", hint=f"for example {name}={default:g}"
        )
    return value


def from_env(environ: Mapping[str, str], *, timeout_var: str, default_timeout: float) -> Backoff:
    """A Backoff tuned by ``RELEASE_RETRY_DELAY``, ``RELEASE_RETRY_MAX_DELAY`` and ``timeout_var``."""
    return Backoff(
        delay=_seconds(environ, "RELEASE_RETRY_DELAY", 1.0),
        max_delay=_seconds(environ, "RELEASE_RETRY_MAX_DELAY", 15.0),
        timeout=_seconds(environ, timeout_var, default_timeout),
    )


class GaveUp(Exception):
    """Raised by ``retry`` when the bound is reached; carries the last transient error."""

    def __init__(self, last: Exception, attempts: int, elapsed: float) -> None:
        super().__init__(str(last))
        self.last = last
        self.attempts = attempts
        self.elapsed = elapsed


def retry(
    action: Callable[[], T],
    *,
    transient: Callable[[Exception], bool],
    backoff: Backoff,
    on_retry: Callable[[Exception, float], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Call ``action`` until it returns; retry transient errors until ``backoff.timeout``.

    A non-transient error propagates at once. The last wait is shortened to end at the
    deadline; a transient error after it raises ``GaveUp`` with that error, so the whole
    call takes at most ``timeout`` plus one attempt.
    """
    start = clock()
    deadline = start + backoff.timeout
    for attempts, delay in enumerate(backoff.delays(), start=1):
        try:
            return action()
        except Exception as exc:
            if not transient(exc):
                raise
            now = clock()
            if now >= deadline:
                raise GaveUp(exc, attempts, now - start) from exc
            wait = min(delay, deadline - now)
            if on_retry is not None:
                on_retry(exc, wait)
            sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover
