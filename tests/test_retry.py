"""The one bounded-retry helper: what it retries, how often, and for how long.

The network cases read a real pypiserver through the fault proxy, and the GitHub client talks
to the stand-in GitHub API; the schedule itself is checked with a fake clock.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from faultproxy import FaultProxy
from test_github import SENTINEL, FakeGitHub, github  # noqa: F401  (the stand-in GitHub API)

from release import github as github_mod
from release import index
from release.errors import StepError, Transient
from release.retry import Backoff, GaveUp, bounded
from release.server import Server, free_port

WHEEL = "demo-1.0-py3-none-any.whl"
FAST = Backoff(delay=0.01, max_delay=0.05, timeout=10)


@pytest.fixture
def proxy(pypi_index: Server) -> Iterator[FaultProxy]:
    """The module's pypiserver, holding one wheel of ``demo``, behind a fault proxy."""
    (pypi_index.root / WHEEL).write_bytes(b"not really a wheel")
    with FaultProxy(pypi_index.url) as p:
        yield p


def read(proxy: FaultProxy) -> dict[str, index.IndexFile]:
    return index.read_project(f"{proxy.url}simple/", "demo")


def test_transient_answers_are_retried_until_the_read_succeeds(proxy: FaultProxy) -> None:
    proxy.fail_reads = 2  # two 503s, then the real page
    retries: list[str] = []
    files = bounded(
        lambda: read(proxy),
        FAST,
        what="could not read the index",
        hint="h",
        on_retry=lambda exc, wait: retries.append(str(exc)),
    )
    assert list(files) == [WHEEL]
    assert len(retries) == 2 and all("503" in r for r in retries)
    assert proxy.fail_reads == 0


def test_a_refusal_is_not_retried(proxy: FaultProxy) -> None:
    proxy.fail_status, proxy.fail_reads = 403, 5
    retries: list[str] = []
    with pytest.raises(StepError) as info:
        bounded(
            lambda: read(proxy),
            FAST,
            what="could not read the index",
            hint="h",
            on_retry=lambda exc, wait: retries.append(str(exc)),
        )
    assert not isinstance(info.value, (GaveUp, Transient))
    assert "403" in info.value.message
    assert (retries, proxy.fail_reads) == ([], 4)  # exactly one request was made


def test_the_time_budget_ends_the_retries_with_a_step_error(proxy: FaultProxy) -> None:
    proxy.fail_reads = 10_000  # the index answers 503 for good
    budget = Backoff(delay=0.05, max_delay=0.1, timeout=0.6)
    start = time.monotonic()
    with pytest.raises(GaveUp) as info:
        bounded(lambda: read(proxy), budget, what="could not read the index", hint="wait")
    took = time.monotonic() - start
    assert 0.6 <= took < 0.6 + 5  # the budget, plus at most one (local) attempt
    err = info.value
    assert isinstance(err, StepError) and err.exit_code == 1 and err.hint == "wait"
    made = 10_000 - proxy.fail_reads
    assert err.attempts == made and 3 <= made <= 12  # bounded: 0.05, 0.1, 0.1 ... up to 0.6s
    assert err.message.startswith("could not read the index: ")
    assert "503" in err.message
    assert err.message.endswith(f"(gave up after {made} attempts in 1s)")


def test_an_index_that_is_not_there_is_transient_too() -> None:
    url = f"http://127.0.0.1:{free_port()}/simple/"
    with pytest.raises(GaveUp) as info:
        bounded(
            lambda: index.read_project(url, "demo"),
            Backoff(delay=0.01, timeout=0.2),
            what="could not read",
            hint="h",
        )
    assert isinstance(info.value.last, Transient)
    assert "cannot connect to" in info.value.message and info.value.attempts >= 2


def test_the_schedule_with_a_fake_clock() -> None:
    """Transient errors are retried on the backoff schedule; any other error stops at once."""
    now = [0.0]
    calls: list[float] = []

    def sleep(seconds: float) -> None:
        now[0] += seconds

    def flaky() -> int:
        calls.append(now[0])
        raise Transient("503 Service Unavailable")

    with pytest.raises(GaveUp) as info:
        bounded(
            flaky,
            Backoff(delay=1, factor=2, max_delay=4, timeout=10),
            what="could not upload",
            hint="h",
            sleep=sleep,
            clock=lambda: now[0],
        )
    assert calls == [0, 1, 3, 7, 10]  # the last wait is cut to end at the deadline
    assert info.value.message == (
        "could not upload: 503 Service Unavailable (gave up after 5 attempts in 10s)"
    )
    for permanent in (ValueError("bad"), ConnectionError("not wrapped"), StepError("400")):
        calls.clear()

        def fails(exc: Exception = permanent) -> int:
            calls.append(now[0])
            raise exc

        with pytest.raises(type(permanent)):
            bounded(fails, Backoff(), what="x", hint="h", sleep=sleep, clock=lambda: now[0])
        assert len(calls) == 1


def test_github_5xx_is_retried_within_the_budget_and_never_shows_the_token(
    github: FakeGitHub,  # noqa: F811
) -> None:
    github.fail = [503] * 10_000
    client = github_mod.Client(github.url, SENTINEL, backoff=Backoff(delay=0.01, timeout=0.3))
    with pytest.raises(GaveUp) as info:
        client.request("GET", "/repos/acme/widget/releases")
    err = info.value
    assert err.message.startswith("announce: GitHub did not answer: GET /repos/acme/widget/")
    assert "answered 503 (gave up after" in err.message
    assert SENTINEL not in err.message + str(err.hint)
    assert err.attempts == len(github.requests) >= 2


def test_github_recovers_after_transient_answers(
    github: FakeGitHub,  # noqa: F811
) -> None:
    github.fail = [502, 503]
    client = github_mod.Client(github.url, SENTINEL, backoff=FAST)
    status, _ = client.request("GET", "/repos/acme/widget/git/ref/tags/v1.2.3")
    assert status == 200 and len(github.requests) == 3
