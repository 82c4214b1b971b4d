"""What a package index holds: its PEP 503 simple pages, read with retries, and file hashes."""

from __future__ import annotations

import hashlib
import http.client
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from .dists import artifact_id, files_of, is_distribution, normalize
from .errors import StepError, Transient
from .retry import Backoff, bounded
from .values import frozen

TIMEOUT = 30.0
_USER_AGENT = "releasekit (+https://pypi.org/project/releasekit/)"


@frozen
class IndexFile:
    """One file link on a project page."""

    filename: str
    url: str
    sha256: str | None


Unavailable = Transient
"""The index could not be reached or answered 5xx (the name pipeline.py and verify.py use)."""

__all__ = [
    "RETRY_HINT",
    "TIMEOUT",
    "IndexFile",
    "Unavailable",
    "artifact_id",  # re-exported from dists for pipeline.py, promote.py and __main__.py
    "download",
    "files_of",
    "is_up",
    "normalize",
    "parse_project_page",
    "probe",
    "project_url",
    "read_project",
    "sha256_bytes",
    "sha256_file",
    "with_retries",
]


def project_url(index_url: str, name: str) -> str:
    """The simple page of project ``name``."""
    base = index_url if index_url.endswith("/") else index_url + "/"
    return f"{base}{normalize(name)}/"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def parse_project_page(html: str, page_url: str) -> dict[str, IndexFile]:
    """Every file linked from a simple project page, by file name (pure)."""
    parser = _Links()
    parser.feed(html)
    files: dict[str, IndexFile] = {}
    for href in parser.hrefs:
        url, _, fragment = urljoin(page_url, href).partition("#")
        filename = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
        if not filename:
            continue
        match = re.search(r"(?:^|&)sha256=([0-9a-fA-F]{64})(?:&|$)", fragment)
        files[filename] = IndexFile(filename, url, match.group(1).lower() if match else None)
    return files


def sha256_file(path: Path) -> str:
    """The hex sha256 of a local file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_bytes(data: bytes) -> str:
    """The hex sha256 of some bytes."""
    return hashlib.sha256(data).hexdigest()


@frozen
class _Response:
    url: str
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Hand every redirect back to ``_get``, which decides whether to follow it."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


# the standard library, not requests: reading an index must not cost a command its start-up
_OPENER = urllib.request.build_opener(_NoRedirects())


def _get(url: str, accept: str, timeout: float = TIMEOUT) -> _Response | None:
    """GET ``url``, following redirects only within its host; None when it is not there.

    A redirect to another host is how pypiserver falls back to PyPI for projects it does not
    have: for us that means "not on this index".
    """
    host = urlsplit(url).netloc
    for _ in range(5):
        request = urllib.request.Request(url, headers={"Accept": accept, "User-Agent": _USER_AGENT})
        try:
            with _OPENER.open(request, timeout=timeout) as resp:
                return _Response(resp.geturl() or url, resp.read())
        except urllib.error.HTTPError as exc:
            status, reason = exc.code, exc.reason
            location = exc.headers.get("Location", "") if exc.headers else ""
            exc.close()
        except (urllib.error.URLError, http.client.HTTPException, ConnectionError) as exc:
            raise Transient(f"cannot connect to {url}: {_reason(exc)}") from exc
        except TimeoutError as exc:
            raise Transient(f"{url} did not answer within {timeout:g}s") from exc
        if status in (301, 302, 303, 307, 308):
            location = urljoin(url, location)
            if urlsplit(location).netloc != host:
                return None
            url = location
            continue
        if status == 404:
            return None
        if status >= 500:
            raise Transient(f"{url} answered {status} {reason}")
        raise StepError(
            f"{url} answered {status} {reason}",
            hint="check the index URL (--index-url) and that the index is readable",
        )
    raise StepError(
        f"{url} redirects too often", hint="check the index URL (--index-url): it loops"
    )


def _reason(exc: Exception) -> str:
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "timed out"):
        if marker in text:
            return marker
    return text.splitlines()[0][:200] if text else type(exc).__name__


def read_project(index_url: str, name: str, *, timeout: float = TIMEOUT) -> dict[str, IndexFile]:
    """One look at the project's simple page: its files by name ({} when it has none).

    Links without a ``#sha256=`` fragment are downloaded and hashed, so every entry has one.
    """
    url = project_url(index_url, name)
    resp = _get(url, "text/html", timeout)
    if resp is None:
        return {}
    files = parse_project_page(resp.text, resp.url or url)
    if files and not any(is_distribution(n) for n in files):
        # a login page or a web site answers every path; a simple page links only files
        raise StepError(
            f"{url} is not a simple index page: it links {', '.join(sorted(files)[:3])}",
            hint="check the index URL (--index-url): it must be a PEP 503 simple index",
        )
    for filename, entry in list(files.items()):
        if entry.sha256 is None:
            files[filename] = IndexFile(filename, entry.url, sha256_bytes(download(entry.url)))
    return files


def probe(index_url: str, *, timeout: float = TIMEOUT) -> None:
    """Check that ``index_url`` answers as an index does; StepError, or Transient when it cannot tell.

    Only a HEAD request: PyPI's simple root is tens of megabytes.
    """
    request = urllib.request.Request(index_url, method="HEAD", headers={"User-Agent": _USER_AGENT})
    try:
        with _OPENER.open(request, timeout=timeout):
            return
    except urllib.error.HTTPError as exc:
        status, reason = exc.code, exc.reason
        exc.close()
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        raise Transient(f"cannot connect to {index_url}: {_reason(exc)}") from exc
    if status >= 500:
        raise Transient(f"{index_url} answered {status} {reason}")
    if status in (301, 302, 303, 307, 308, 405):
        return  # a redirect to the canonical URL, or no HEAD: the page read decides
    raise StepError(
        f"{index_url} answered {status} {reason}: there is no simple index there",
        hint="check the index URL (--index-url)",
    )


def download(url: str) -> bytes:
    """The bytes of one file on the index."""
    resp = _get(url, "*/*")
    if resp is None:
        raise StepError(f"the index lists {url} but does not serve it")
    return resp.body


RETRY_HINT = (
    "check that the index is running and the URL is right; "
    "RELEASE_RETRY_TIMEOUT sets how long to keep trying"
)


def with_retries(
    action: Callable[[], dict[str, IndexFile]],
    backoff: Backoff,
    what: str,
    on_retry: Callable[[Exception, float], None] | None = None,
) -> dict[str, IndexFile]:
    """``retry.bounded`` for an index read (kept for pipeline.py and promote.py)."""
    return bounded(action, backoff, what=f"could not {what}", hint=RETRY_HINT, on_retry=on_retry)


def is_up(index_url: str) -> bool:
    """Whether the simple index answers at all (one quick try)."""
    request = urllib.request.Request(index_url, headers={"User-Agent": _USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=5):
            return True
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code < 500
    except (urllib.error.URLError, http.client.HTTPException, OSError):
        return False
