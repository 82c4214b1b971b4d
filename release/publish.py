"""``release publish``: upload each file once, never the same file twice, retrying what is transient.

Credentials are whatever twine resolves (``TWINE_USERNAME``/``TWINE_PASSWORD``, keyring,
``.pypirc``, and on PyPI inside GitHub Actions, Trusted Publishing); twine's settings are
loaded only when the environment does not already name both, and run in this process, so no
secret is ever put on a command line. The upload itself is ``upload.py``'s plain POST.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

from . import dists, index, uploadform
from .errors import StepError, Transient, UsageError
from .retry import Backoff, bounded
from .secrets import inherited
from .targets import Target
from .upload import Body, Response, Uploader, request_body
from .values import frozen

if TYPE_CHECKING:
    from twine.settings import Settings

Echo = Callable[[str], None]


@frozen
class Decision:
    """What to do with one local file, given what the index holds."""

    path: Path
    sha256: str
    action: str
    """``upload``, ``present`` (same name and sha256 already there) or ``conflict``."""
    remote_sha256: str | None = None


def decide(local: dict[Path, str], remote: dict[str, index.IndexFile]) -> list[Decision]:
    """Per file: upload it, count it as uploaded, or refuse it (pure).

    ============================  ==========
    on the index                  action
    ============================  ==========
    no file of that name          upload
    that name, same sha256        present
    that name, other sha256       conflict
    ============================  ==========
    """
    out = []
    for path, sha in local.items():
        there = remote.get(path.name)
        if there is None:
            out.append(Decision(path, sha, "upload"))
        elif there.sha256 == sha:
            out.append(Decision(path, sha, "present", there.sha256))
        else:
            out.append(Decision(path, sha, "conflict", there.sha256))
    return out


def conflict_error(conflicts: list[Decision], index_url: str) -> StepError:
    """The error for files whose name is taken on the index by other content."""
    lines = [
        f"{d.path.name}: the index has sha256 {d.remote_sha256}, the local file has {d.sha256}"
        for d in conflicts
    ]
    return StepError(
        f"{index_url} already has different files under the same name(s); nothing was uploaded:\n  "
        + "\n  ".join(lines),
        hint="an index never forgets a file name: release a new version (release bump patch)",
    )


def _twine_args(target: Target) -> argparse.Namespace:
    """twine's command-line settings for ``target``, TWINE_* read from the environment."""
    from twine.settings import Settings  # it loads keyring: only where credentials may be

    parser = argparse.ArgumentParser(add_help=False)
    Settings.register_argparse_arguments(parser)  # reads TWINE_* from the environment
    ns = parser.parse_args(["--non-interactive", "--disable-progress-bar"])
    if target.twine_repository:
        ns.repository, ns.repository_url = target.twine_repository, None
    else:
        ns.repository, ns.repository_url = "pypi", target.upload_url
    return ns


def twine_settings(target: Target, ns: argparse.Namespace | None = None) -> Settings:
    """twine's own settings for ``target``, with credentials as twine resolves them."""
    from twine import exceptions as twine_exceptions
    from twine.settings import Settings

    try:
        return Settings.from_argparse(ns or _twine_args(target))
    except twine_exceptions.TwineException as exc:
        raise UsageError(f"twine cannot use {target.upload_url}: {exc}") from None


def open_repository(target: Target) -> Uploader:
    """An uploader to ``target`` with the credentials twine would use.

    Without credentials, PyPI and TestPyPI are refused; another index gets an anonymous
    upload (pypiserver with ``-a .`` needs none; one that does answers 401/403, reported
    with a hint).
    """
    environ = inherited()
    if _loopback(target.upload_url) and not any(environ.get(v) for v in _TWINE_OWN):
        # a local index (the rehearsal's throwaway pypiserver) and nothing for twine to use:
        # anonymous, without loading twine's settings and keyring (half a second) for nothing
        return Uploader(target.upload_url)
    if (
        not target.twine_repository
        and environ.get("TWINE_USERNAME")
        and environ.get("TWINE_PASSWORD")
    ):
        # what twine would resolve for an upload URL when both are set: these, and its
        # certificate settings from the environment (keyring and .pypirc are not asked)
        return Uploader(
            target.upload_url,
            environ["TWINE_USERNAME"],
            environ["TWINE_PASSWORD"],
            environ.get("TWINE_CERT") or None,
            environ.get("TWINE_CLIENT_CERT") or None,
        )
    return _twine_resolved(target)


def _twine_resolved(target: Target) -> Uploader:
    """The uploader with the credentials twine's settings find (keyring, .pypirc, OIDC)."""
    import requests
    from twine import exceptions as twine_exceptions

    settings = twine_settings(target)
    try:
        repo = settings.create_repository()
    except twine_exceptions.NonInteractive:
        if target.is_pypi:
            raise UsageError(
                f"no credentials for {target.name}",
                hint="set TWINE_PASSWORD to an API token (TWINE_USERNAME=__token__), or publish from GitHub Actions with 'permissions: id-token: write' for Trusted Publishing",
            ) from None
        username = password = None
    except twine_exceptions.TrustedPublishingFailure as exc:
        raise StepError(
            f"Trusted Publishing failed: {exc}",
            hint="register this workflow as a trusted publisher on the index, or set TWINE_PASSWORD",
        ) from None
    except twine_exceptions.TwineException as exc:
        raise UsageError(f"twine cannot use {target.upload_url}: {exc}") from None
    except requests.RequestException as exc:
        # e.g. Trusted Publishing tried because no password was found, with no network
        raise StepError(
            f"could not get credentials for {target.upload_url}: {type(exc).__name__}",
            hint="set TWINE_USERNAME and TWINE_PASSWORD, or check the network",
        ) from None
    else:
        auth = repo.session.auth
        repo.close()
        username, password = auth if isinstance(auth, tuple) else (None, None)
    return Uploader(target.upload_url, username, password, settings.cacert, settings.client_cert)


_TWINE_OWN = ("TWINE_USERNAME", "TWINE_PASSWORD", "TWINE_CERT", "TWINE_CLIENT_CERT")
"""What twine would take from the environment for an upload to a URL."""


def _loopback(url: str) -> bool:
    """Whether ``url`` is on this machine (127.0.0.0/8, ::1 or localhost) (pure)."""
    import ipaddress
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _upload_once(repo: Uploader, path: Path, data: Body) -> Response:
    """One upload attempt; a 5xx answer or a lost connection is ``Transient``."""
    print(f"Uploading {path.name}", flush=True)  # as twine said it: ship shows it as progress
    resp = repo.upload(data)  # one attempt: our retry loop does the rest
    if resp.status_code >= 500:
        raise Transient(f"{resp.status_code} {resp.reason}")
    return resp


class _Text(HTMLParser):
    """The text of an HTML page, without its tags, scripts and styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("script", "style", "title", "head")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style", "title", "head") and self._skip > 0

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def body_text(body: str, status: int, reason: str, limit: int = 300) -> str:
    """An index's answer as one plain sentence: HTML stripped, status and reason not repeated (pure)."""
    if "<" in body and ">" in body:
        parser = _Text()
        parser.feed(body)
        parser.close()
        body = " ".join(parser.parts)
    words = " ".join(body.replace("<", " ").replace(">", " ").split())
    for echo in (f"{status} {reason}", f"Error {status}", f"Error code: {status}", str(status)):
        words = words.replace(echo, " ")
    words = " ".join(words.split()).strip(" .:;-")
    return words[:limit]


def _response_error(path: Path, resp: Response, target: Target) -> StepError:
    body = body_text(resp.text or "", resp.status_code, resp.reason or "")
    hint = None
    if resp.status_code in (401, 403):
        hint = "check the credentials: TWINE_USERNAME and TWINE_PASSWORD, keyring, or .pypirc"
    elif resp.is_redirect:
        hint = "the upload URL redirects: pass the URL it redirects to"
    return StepError(
        f"upload of {path.name} to {target.upload_url} failed: {resp.status_code} {resp.reason}"
        + (f": {body}" if body else ""),
        hint=hint,
    )


@frozen
class Published:
    """Per file: ``uploaded`` or ``present``."""

    outcomes: tuple[tuple[Path, str], ...]


def publish(
    files: list[Path],
    target: Target,
    backoff: Backoff,
    echo: Echo = print,
    forms: uploadform.Ahead | None = None,
) -> Published:
    """Upload ``files`` to ``target``: what the index holds already is skipped, conflicts refused.

    ``forms``: their upload forms, being worked out already (``uploadform.ahead``).
    """
    local = {p: index.sha256_file(p) for p in files}
    names = {dists.artifact_id(p.name) for p in files}

    def say_retry(exc: Exception, wait: float) -> None:
        echo(f"  {exc}; trying again in {wait:.1f}s")

    def remote() -> dict[str, index.IndexFile]:
        found: dict[str, index.IndexFile] = {}
        for project in sorted({ident[0] for ident in names if ident is not None}):
            found.update(
                bounded(
                    functools.partial(index.read_project, target.index_url, project),
                    backoff,
                    what=f"could not read {target.index_url}",
                    hint=index.RETRY_HINT,
                    on_retry=say_retry,
                )
            )
        return found

    decisions = decide(local, remote())
    conflicts = [d for d in decisions if d.action == "conflict"]
    if conflicts:
        raise conflict_error(conflicts, target.index_url)
    outcomes: list[tuple[Path, str]] = []
    pending = [d for d in decisions if d.action == "upload"]
    for d in decisions:
        if d.action == "present":
            echo(f"{d.path.name}: already on the index with the same sha256; not uploaded again")
            outcomes.append((d.path, "present"))
    if pending:
        repo = open_repository(target)
        for d in pending:
            outcomes.append((d.path, _upload(repo, d, target, backoff, echo, say_retry, forms)))
    _confirm(local, remote(), target, echo)
    return Published(tuple(outcomes))


def _upload(
    repo: Uploader,
    d: Decision,
    target: Target,
    backoff: Backoff,
    echo: Echo,
    say_retry: Callable[[Exception, float], None],
    forms: uploadform.Ahead | None,
) -> str:
    data = _body(d.path, forms)
    resp = bounded(
        lambda: _upload_once(repo, d.path, data),
        backoff,
        what=f"upload of {d.path.name} to {target.upload_url} failed",
        hint="check that the index is up; run the same command again to resume (files already there are skipped); RELEASE_RETRY_TIMEOUT sets the bound",
        on_retry=say_retry,
    )
    if resp.status_code in (400, 409):
        # someone (or an earlier attempt whose answer was lost) uploaded it meanwhile
        ident = dists.artifact_id(d.path.name)
        name = ident[0] if ident else _metadata_name(d.path)
        there = index.read_project(target.index_url, name).get(d.path.name)
        if there is not None and there.sha256 == d.sha256:
            echo(f"{d.path.name}: already on the index with the same sha256; not uploaded again")
            return "present"
        if there is not None:
            raise conflict_error(
                [Decision(d.path, d.sha256, "conflict", there.sha256)], target.index_url
            )
    if resp.status_code != 200 or resp.is_redirect:
        raise _response_error(d.path, resp, target)
    echo(f"{d.path.name}: uploaded (sha256 {d.sha256})")
    return "uploaded"


def _metadata_name(path: Path) -> str:
    """The project name a distribution's own metadata declares."""
    from .check import read_metadata

    return read_metadata(path).name


def _body(path: Path, forms: uploadform.Ahead | None) -> Body:
    """The upload of ``path``; a UsageError when it is not a distribution an index accepts."""
    return request_body(path, forms.fields(path) if forms else uploadform.fields(path))


def _confirm(
    local: dict[Path, str], remote: dict[str, index.IndexFile], target: Target, echo: Echo
) -> None:
    """Probe again after uploading: each file is listed with our sha256, or not yet listed."""
    for path, sha in local.items():
        there = remote.get(path.name)
        if there is None:
            echo(f"{path.name}: not listed on {target.index_url} yet (indexes may lag)")
        elif there.sha256 != sha:
            raise StepError(
                f"after the upload {target.index_url} lists {path.name} with sha256 {there.sha256}, not {sha}",
                hint="the index changed the file or another upload raced this one; do not release this version",
            )
