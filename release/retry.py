"""Bounded exponential backoff: the schedule is pure, the loop takes its clock and sleep.

``bounded`` is the one way to retry: it retries ``errors.Transient`` (and nothing else) until
the time budget is spent, then raises ``GaveUp``, a ``StepError`` saying what could not be
done, the last error, and how many attempts took how long.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TypeVar

from .errors import StepError, Transient, UsageError
from .values import frozen

T = TypeVar("T")


@frozen
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


def seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    """The number of seconds in ``environ[name]`` (``default`` when unset); exit 2 when bad."""
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise UsageError(
            f"{name}={raw!r} is not a number of seconds (0 or more)",
            hint=f"for example {name}={default:g}, or unset it for the default ({default:g})",
        )
    return value


TIMEOUTS = {
    "RELEASE_RETRY_TIMEOUT": 60.0,
    "RELEASE_VERIFY_TIMEOUT": 300.0,
    "RELEASE_GITHUB_TIMEOUT": 30.0,
}
"""Each retry bound's variable and its default: upload and index reads, verify, GitHub."""


def from_env(environ: Mapping[str, str], *, timeout_var: str, default_timeout: float) -> Backoff:
    """A Backoff tuned by ``RELEASE_RETRY_DELAY``, ``RELEASE_RETRY_MAX_DELAY`` and ``timeout_var``."""
    return Backoff(
        delay=seconds(environ, "RELEASE_RETRY_DELAY", 1.0),
        max_delay=seconds(environ, "RELEASE_RETRY_MAX_DELAY", 15.0),
        timeout=seconds(environ, timeout_var, default_timeout),
    )


class GaveUp(StepError):
    """The time budget is spent: ``what`` could not be done; carries the last transient error."""

    def __init__(
        self,
        last: Exception,
        attempts: int,
        elapsed: float,
        *,
        what: str = "",
        hint: str | None = None,
    ) -> None:
        tail = f"{last} (gave up after {attempts} attempts in {elapsed:.0f}s)"
        super().__init__(f"{what}: {tail}" if what else str(last), hint=hint)
        self.last = last
        self.attempts = attempts
        self.elapsed = elapsed


def is_transient(exc: Exception) -> bool:
    """Whether ``exc`` is worth another try: an ``errors.Transient``."""
    return isinstance(exc, Transient)


def bounded(
    action: Callable[[], T],
    backoff: Backoff,
    *,
    what: str,
    hint: str,
    on_retry: Callable[[Exception, float], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Call ``action``, retrying ``Transient`` errors within ``backoff``; then ``GaveUp``.

    ``GaveUp`` (a StepError, exit 1) reads ``{what}: {last error} (gave up after N attempts
    in Ts)`` with ``hint``. Any other error propagates at once, unchanged.
    """
    return retry(
        action,
        transient=is_transient,
        backoff=backoff,
        on_retry=on_retry,
        sleep=sleep,
        clock=clock,
        what=what,
        hint=hint,
    )


def retry(
    action: Callable[[], T],
    *,
    transient: Callable[[Exception], bool] = is_transient,
    backoff: Backoff,
    on_retry: Callable[[Exception, float], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    what: str = "",
    hint: str | None = None,
) -> T:
    """The loop under ``bounded``: retry what ``transient`` accepts until ``backoff.timeout``.

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
                raise GaveUp(exc, attempts, now - start, what=what, hint=hint) from exc
            wait = min(delay, deadline - now)
            if on_retry is not None:
                on_retry(exc, wait)
            sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover
