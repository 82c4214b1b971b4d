"""Every setting of a run, from flags, the environment and ``[tool.release]``, checked once.

The front door builds one ``Settings`` before anything is read from git or the index, let
alone changed: a bad value anywhere is exit 2 with nothing touched, and a later step never
meets a setting it cannot use (``RELEASE_RETRY_TIMEOUT=abc`` after the bump, say).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from types import MappingProxyType

from . import retry, targets, tools
from .config import Config
from .errors import UsageError
from .output import Output as Output  # re-exported: callers know them here
from .output import output as output
from .retry import Backoff
from .targets import Target
from .values import field, frozen

INSTALLERS = ("uv", "pip")

ENVIRONMENT = {
    "RELEASE_REPOSITORY": f"the target: {targets.CHOICES}",
    "RELEASE_INDEX_URL": "the simple index verify installs from: an http(s) URL",
    "RELEASE_EXTRA_INDEX_URL": "where verify finds dependencies: an http(s) or file URL",
    "RELEASE_INSTALLER": "uv or pip (default: uv when it is on PATH, else pip)",
    "RELEASE_RETRY_DELAY": "seconds before the first retry, 0 or more (default 1)",
    "RELEASE_RETRY_MAX_DELAY": "the longest wait between retries, 0 or more (default 15)",
    "RELEASE_RETRY_TIMEOUT": "how long to retry the upload and index reads (default 60)",
    "RELEASE_VERIFY_TIMEOUT": "how long verify waits for the release to install (default 300)",
    "RELEASE_GITHUB_TIMEOUT": "how long to retry GitHub's API (default 30)",
    "RELEASE_INDEX_TIMEOUT": "seconds one request to the index may take, more than 0 (default 30)",
    "GITHUB_ACTIONS": "true: ::group::/::error:: lines, $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY",
    "GITHUB_OUTPUT": "the file ship appends version, tag and released to (in GitHub Actions)",
    "GITHUB_STEP_SUMMARY": "the file ship appends its Markdown summary to (in GitHub Actions)",
    "FORCE_COLOR": "any non-empty value: colour even when not on a terminal",
    "NO_COLOR": "any non-empty value: no colour (wins over FORCE_COLOR)",
}
"""Every environment variable releasekit reads, and its valid values (the README lists them)."""


@frozen
class Settings:
    """One run's settings, every one parsed and checked."""

    config: Config
    target: Target
    extra_index_url: str | None
    installer: str
    """``uv``, ``pip``, or ``""``: uv when it is on PATH, else pip."""
    upload_backoff: Backoff
    verify_backoff: Backoff
    github_backoff: Backoff
    index_timeout: float
    environ: Mapping[str, str] = field(repr=False, compare=False)
    """The environment the run started with, read once in the front door: what child processes
    start from (``secrets.child_env`` takes the secrets out). Never in a repr: it holds tokens."""


def _installer(environ: Mapping[str, str], which: Callable[[str], str | None]) -> str:
    raw = environ.get("RELEASE_INSTALLER", "")
    wanted = raw.strip().lower()
    if wanted not in ("", *INSTALLERS):
        raise UsageError(
            f"RELEASE_INSTALLER={raw!r} is neither uv nor pip",
            hint="set RELEASE_INSTALLER=uv or RELEASE_INSTALLER=pip, or unset it",
        )
    if wanted == "uv" and which("uv") is None:
        raise UsageError(
            "RELEASE_INSTALLER=uv but uv is not on PATH",
            hint="install uv, or unset RELEASE_INSTALLER",
        )
    return wanted


def _index_timeout(environ: Mapping[str, str]) -> float:
    value = retry.seconds(environ, "RELEASE_INDEX_TIMEOUT", 30.0)
    if value <= 0:
        raise UsageError(
            "RELEASE_INDEX_TIMEOUT=0: a request needs some time",
            hint="for example RELEASE_INDEX_TIMEOUT=30, or unset it",
        )
    return value


def _urls(config: Config, environ: Mapping[str, str]) -> None:
    """Every repository and URL setting, also those a flag or variable overrides."""
    for value, source in (
        (environ.get("RELEASE_REPOSITORY"), "RELEASE_REPOSITORY"),
        (config.repository, "[tool.release] repository"),
    ):
        if value:
            targets.repository_of(value, source)
    for value, source, file_ok in (
        (environ.get("RELEASE_INDEX_URL"), "RELEASE_INDEX_URL", False),
        (config.index_url, "[tool.release] index-url", False),
        (environ.get("RELEASE_EXTRA_INDEX_URL"), "RELEASE_EXTRA_INDEX_URL", True),
        (config.extra_index_url, "[tool.release] extra-index-url", True),
    ):
        if value:
            try:
                targets.check_url(value, "URL", file_ok=file_ok)
            except UsageError as exc:
                raise UsageError(f"{source}: {exc.message}", hint=exc.hint) from None


def _dev_bump(config: Config) -> None:
    """``after-release-bump`` needs version files: for a VCS-versioned project the tag is it."""
    if config.after_release_bump is None:
        return
    from . import sources  # tomlkit: only when the key is set

    vcs = sources.scm_plugin(config.pyproject)
    if vcs is not None:
        raise UsageError(
            f'[tool.release] after-release-bump = "{config.after_release_bump}", but the version '
            f"comes from git tags ({vcs}): there is no file to move to a development version",
            hint="remove after-release-bump: the next tag is the next version",
        )


def build(
    config: Config,
    *,
    repository: str | None = None,
    index_url: str | None = None,
    environ: Mapping[str, str],
    which: Callable[[str], str | None] = tools.which,
) -> Settings:
    """Check every setting; one UsageError names each bad one (so one run finds them all)."""
    problems: list[UsageError] = []

    def attempt(read: Callable[[], object]) -> object:
        try:
            return read()
        except UsageError as exc:
            problems.append(exc)
            return None

    attempt(lambda: _urls(config, environ))
    target = attempt(
        lambda: targets.resolve(config, repository=repository, index_url=index_url, environ=environ)
    )
    extra = attempt(lambda: targets.extra_index_url(config, environ))
    installer = attempt(lambda: _installer(environ, which))
    backoffs = {
        var: attempt(partial(retry.from_env, environ, timeout_var=var, default_timeout=default))
        for var, default in retry.TIMEOUTS.items()
    }
    index_timeout = attempt(lambda: _index_timeout(environ))
    attempt(lambda: _dev_bump(config))
    if problems:
        unique = list(dict.fromkeys(p.message for p in problems))
        hints = list(dict.fromkeys(p.hint for p in problems if p.hint))
        raise UsageError("; ".join(unique), hint="; ".join(hints) or None)
    assert isinstance(target, Target) and isinstance(index_timeout, float)
    return Settings(
        config=config,
        target=target,
        extra_index_url=extra if isinstance(extra, str) else None,
        installer=str(installer),
        upload_backoff=_backoff(backoffs["RELEASE_RETRY_TIMEOUT"]),
        verify_backoff=_backoff(backoffs["RELEASE_VERIFY_TIMEOUT"]),
        github_backoff=_backoff(backoffs["RELEASE_GITHUB_TIMEOUT"]),
        index_timeout=index_timeout,
        environ=MappingProxyType(dict(environ)),
    )


def _backoff(value: object) -> Backoff:
    assert isinstance(value, Backoff)
    return value
