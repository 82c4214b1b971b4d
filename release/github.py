"""The announce step: a GitHub Release whose notes are the version's changelog section.

Talks to the REST API with the standard library only. The token comes from ``GITHUB_TOKEN``
and goes into one request header, never onto a command line, into a message or a log; it is
an unredirected header, so a redirect to another host does not carry it along.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import bump, git
from .config import Config
from .errors import StepError, Transient, UsageError
from .notes import Notes, notes, notes_from_commits, upcoming_notes, version_of_tag
from .retry import Backoff, bounded, from_env
from .values import frozen, replace

__all__ = [  # the notes names stay importable from here
    "Client",
    "Notes",
    "Outcome",
    "announce",
    "api_url",
    "attach",
    "notes",
    "notes_from_commits",
    "parse_remote",
    "repository",
    "run",
    "sha256sums",
    "token",
    "upcoming_notes",
    "version_of_tag",
]

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
TIMEOUT = 30.0
DEFAULT_BACKOFF = Backoff(timeout=30.0)
"""Retry for 30s, as ``RELEASE_GITHUB_TIMEOUT`` does when unset."""
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}

_REMOTE = re.compile(
    r"""^(?:
        [a-z][a-z0-9+.-]*://(?:[^/@]+@)?[^/]+/   # https://[cred@]host/  ssh://git@host[:port]/
      | [^@/:]+@[^:/]+:                          # git@host:
    )(?P<path>[^?#]+?)(?:\.git)?/?$""",
    re.VERBOSE | re.IGNORECASE,
)


def parse_remote(url: str) -> str | None:
    """``owner/name`` from a remote URL (https, ssh or scp-like), or None when it has none.

    =========================================  ==============
    remote URL                                 repository
    =========================================  ==============
    ``https://github.com/o/r.git``             ``o/r``
    ``https://x-access-token:T@github.com/o/r``  ``o/r``
    ``git@github.com:o/r.git``                 ``o/r``
    ``ssh://git@github.com:22/o/r``            ``o/r``
    ``/srv/git/r.git`` (a path)                None
    =========================================  ==============
    """
    match = _REMOTE.match(url.strip())
    if match is None:
        return None
    parts = [p for p in match.group("path").split("/") if p]
    if len(parts) != 2:
        return None
    return "/".join(parts)


def _origin_url(project: Path) -> str | None:
    repo = git.open_repo(project)
    try:
        return str(repo.remote("origin").url)
    except ValueError:
        return None


def repository(project: Path, environ: Mapping[str, str]) -> str:
    """The ``owner/name`` to release in: ``GITHUB_REPOSITORY``, else the ``origin`` remote."""
    slug = environ.get("GITHUB_REPOSITORY", "").strip()
    if slug:
        if parse_remote(f"https://host/{slug}") != slug:
            raise UsageError(
                f"GITHUB_REPOSITORY={slug!r} is not owner/name",
                hint="set GITHUB_REPOSITORY=owner/name, or unset it to use the origin remote",
            )
        return slug
    url = _origin_url(project)
    parsed = parse_remote(url) if url else None
    if parsed is None:
        where = (
            "has no origin remote" if url is None else "has an origin remote that is not owner/name"
        )
        raise UsageError(
            f"cannot tell the GitHub repository: {project} {where}",
            hint="set GITHUB_REPOSITORY=owner/name",
        )
    return parsed


def api_url(environ: Mapping[str, str]) -> str:
    """The API base, ``GITHUB_API_URL`` or api.github.com; plain http only on loopback."""
    url = environ.get("GITHUB_API_URL", "").strip() or DEFAULT_API_URL
    parts = urllib.parse.urlsplit(url)
    local = parts.scheme == "http" and parts.hostname in _LOOPBACK
    if parts.scheme != "https" and not local:
        raise UsageError(
            f"GITHUB_API_URL={url!r} is not an https URL; the token would travel in clear text",
            hint="use https://, or unset GITHUB_API_URL for https://api.github.com",
        )
    if parts.username is not None or parts.password is not None:
        raise UsageError(
            "GITHUB_API_URL carries credentials", hint="put the token in GITHUB_TOKEN instead"
        )
    return url.rstrip("/")


def token(environ: Mapping[str, str]) -> str:
    """``GITHUB_TOKEN``; exit 2 when it is unset."""
    value = environ.get("GITHUB_TOKEN", "").strip()
    if not value:
        raise UsageError(
            "GITHUB_TOKEN is not set",
            hint="in GitHub Actions: env: GITHUB_TOKEN: ${{ github.token }} with "
            "permissions: contents: write; elsewhere a token that may write releases",
        )
    return value


Opener = Callable[[urllib.request.Request, float], Any]


def _open(request: urllib.request.Request, timeout: float) -> Any:
    return urllib.request.urlopen(request, timeout=timeout)


class Client:
    """A minimal GitHub REST client: JSON in and out, retries what is transient."""

    def __init__(
        self,
        base: str,
        secret: str,
        *,
        backoff: Backoff = DEFAULT_BACKOFF,
        opener: Opener = _open,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base = base.rstrip("/")
        self._secret = secret
        self._backoff = backoff
        self._opener = opener
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"Client({self.base!r})"

    def scrub(self, text: str) -> str:
        """``text`` with the token, should a server echo it, replaced by ``***``."""
        return text.replace(self._secret, "***")

    def _once(
        self, method: str, url: str, data: bytes | None, content_type: str
    ) -> tuple[int, Any]:
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("X-GitHub-Api-Version", API_VERSION)
        request.add_header("User-Agent", "releasekit")
        if data is not None:
            request.add_header("Content-Type", content_type)
        request.add_unredirected_header("Authorization", f"Bearer {self._secret}")
        where = urllib.parse.urlsplit(url).path
        try:
            with self._opener(request, TIMEOUT) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
            exc.close()
            if status >= 500:
                raise Transient(self.scrub(f"{method} {where} answered {status}")) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise Transient(self.scrub(f"{method} {where} failed: {reason}")) from None
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            body = None
        return status, body

    def request(self, method: str, path: str, payload: Any = None) -> tuple[int, Any]:
        """Send one request; returns the status and the decoded JSON body (or None)."""
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        return self.send(method, self.base + path, data, "application/json")

    def send(self, method: str, url: str, data: bytes | None, content_type: str) -> tuple[int, Any]:
        """Send ``data`` to a full ``url`` (the uploads endpoint), retrying what is transient."""
        return bounded(
            lambda: self._once(method, url, data, content_type),
            self._backoff,
            what="announce: GitHub did not answer",
            hint="check GITHUB_API_URL and the network, then run release github-release again",
            sleep=self._sleep,
        )


def _fail(client: Client, status: int, body: Any, what: str) -> StepError:
    message = body.get("message") if isinstance(body, dict) else None
    detail = client.scrub(f"{status} {message}" if message else str(status))
    hint = "run release github-release again"
    if status in (401, 403, 404):
        hint = (
            "the token may not write releases here: in GitHub Actions grant the job "
            "permissions: contents: write; check GITHUB_REPOSITORY"
        )
    return StepError(f"announce: GitHub refused to {what}: {detail}", hint=hint)


def _quote(part: str) -> str:
    return urllib.parse.quote(part, safe="")


@frozen
class Outcome:
    """What ``announce`` did: ``created``, ``updated`` or ``unchanged``, and the release page."""

    action: str
    url: str
    ident: int = 0
    upload_url: str = ""
    assets: tuple[str, ...] = ()
    """What happened to each asset: ``uploaded NAME``, ``kept NAME`` or ``replaced NAME``."""


def announce(client: Client, repo: str, release: Notes) -> Outcome:
    """Create the GitHub Release of ``release.tag``, or update the one that exists."""
    owner, name = (_quote(p) for p in repo.split("/"))
    base = f"/repos/{owner}/{name}"
    tag = _quote(release.tag)
    status, body = client.request("GET", f"{base}/git/ref/tags/{tag}")
    if status == 404:
        raise UsageError(
            f"tag {release.tag} is not on GitHub ({repo})",
            hint=f"push it first: git push origin {release.tag}",
        )
    if status != 200:
        raise _fail(client, status, body, f"read tag {release.tag}")
    for attempt in range(2):
        outcome = _create_or_update(client, base, tag, release, retried=attempt > 0)
        if outcome is not None:
            return outcome
    raise _fail(client, 422, None, f"create the release of {release.tag}")  # pragma: no cover


def _create_or_update(
    client: Client, base: str, tag: str, release: Notes, *, retried: bool
) -> Outcome | None:
    """One round of read, then update or create; None when a create raced another one."""
    status, body = client.request("GET", f"{base}/releases/tags/{tag}")
    if status == 200 and isinstance(body, dict):
        current = {k: body.get(k) for k in ("name", "body", "prerelease")}
        url = str(body.get("html_url", ""))
        ident, upload = int(body["id"]), str(body.get("upload_url", ""))
        if current == release.payload():
            return Outcome("unchanged", url, ident, upload)
        status, body = client.request("PATCH", f"{base}/releases/{ident}", release.payload())
        if status != 200:
            raise _fail(client, status, body, f"update the release of {release.tag}")
        return Outcome("updated", str(body.get("html_url", url)), ident, upload)
    if status != 404:
        raise _fail(client, status, body, f"read the release of {release.tag}")
    payload = {"tag_name": release.tag, "draft": False, **release.payload()}
    status, body = client.request("POST", f"{base}/releases", payload)
    if status == 422 and not retried:
        # it exists after all: a retried POST that had gone through, or a concurrent run
        return None
    if status != 201 or not isinstance(body, dict):
        raise _fail(client, status, body, f"create the release of {release.tag}")
    return Outcome(
        "created", str(body.get("html_url", "")), int(body["id"]), str(body.get("upload_url", ""))
    )


def run(
    config: Config,
    tag: str | None,
    environ: Mapping[str, str],
    *,
    assets: Sequence[Path] = (),
    backoff: Backoff | None = None,
) -> tuple[Notes, str, Outcome]:
    """``release github-release``: every input is checked before the first request.

    ``assets`` (the sdist and wheel) are attached to the release with a SHA256SUMS file.
    ``backoff`` is ``Settings.github_backoff``; without it, read from ``environ``.
    """
    if backoff is None:
        backoff = from_env(environ, timeout_var="RELEASE_GITHUB_TIMEOUT", default_timeout=30.0)
    repo = repository(config.project, environ)
    base = api_url(environ)
    secret = token(environ)
    version = None
    if tag is None:
        version = bump.read_state(config).current
        tag = config.tag(version)
    release = notes(config, tag, version=version)
    client = Client(base, secret, backoff=backoff)
    outcome = announce(client, repo, release)
    if assets:
        outcome = replace(outcome, assets=attach(client, repo, outcome, assets))
    return release, repo, outcome


def sha256sums(files: Sequence[Path]) -> bytes:
    """A ``sha256sum -c`` file for ``files``: one ``HEX  NAME`` line each, sorted by name."""
    lines = [f"{_sha256(p.read_bytes())}  {p.name}\n" for p in sorted(files, key=lambda p: p.name)]
    return "".join(lines).encode("utf-8")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _upload_base(client: Client, outcome: Outcome) -> str:
    """The release's uploads endpoint without its URI template; https or loopback only."""
    url = outcome.upload_url.split("{", 1)[0]
    parts = urllib.parse.urlsplit(url)
    if not url or not (
        parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK)
    ):
        raise StepError(
            f"announce: GitHub gave no usable upload URL for the release ({client.scrub(url)!r})",
            hint="run release github-release again",
        )
    return url


def attach(client: Client, repo: str, outcome: Outcome, files: Sequence[Path]) -> tuple[str, ...]:
    """Attach ``files`` and SHA256SUMS to the release; an asset already there intact is kept.

    An asset of the same name with other content (a broken earlier upload) is deleted and
    uploaded again: the files were verified against the index, which cannot change them.
    """
    owner, name = (_quote(p) for p in repo.split("/"))
    base = f"/repos/{owner}/{name}/releases"
    wanted = {p.name: p.read_bytes() for p in files}
    wanted["SHA256SUMS"] = sha256sums(files)
    status, body = client.request("GET", f"{base}/{outcome.ident}/assets?per_page=100")
    if status != 200 or not isinstance(body, list):
        raise _fail(client, status, body, "list the release's assets")
    there = {str(a.get("name")): a for a in body if isinstance(a, dict)}
    upload = _upload_base(client, outcome)
    done = []
    for asset, data in wanted.items():
        old = there.get(asset)
        if old is not None and _same(old, data):
            done.append(f"kept {asset}")
            continue
        if old is not None:
            status, body = client.request("DELETE", f"{base}/assets/{old['id']}")
            if status != 204:
                raise _fail(client, status, body, f"delete the stale asset {asset}")
        url = f"{upload}?name={urllib.parse.quote(asset, safe='')}"
        status, body = client.send("POST", url, data, "application/octet-stream")
        if status != 201:
            raise _fail(client, status, body, f"upload the asset {asset}")
        done.append(f"{'replaced' if old is not None else 'uploaded'} {asset}")
    return tuple(done)


def _same(asset: Mapping[str, Any], data: bytes) -> bool:
    """Whether an asset GitHub lists holds ``data``: its size, and its digest when given."""
    digest = asset.get("digest")
    if asset.get("size") != len(data):
        return False
    return not digest or digest == f"sha256:{_sha256(data)}"
