"""One file to an index through the legacy upload API, the protocol twine and uv publish speak.

A ``multipart/form-data`` POST of the file and its metadata (``:action=file_upload``,
``protocol_version=1``, the core metadata fields, the digests) over the standard library:
twine, requests and rich together cost ``release publish`` more than half a second to load.
Credentials come from the caller (``publish.open_repository`` resolves them as twine does);
they go in the Authorization header only, never in a message.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import ssl
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

from .errors import Transient
from .values import field, frozen

REDIRECTS = (301, 302, 303, 307, 308)
_USER_AGENT = "releasekit (+https://pypi.org/project/releasekit/)"
_CHUNK = 1 << 16


@frozen
class Response:
    """What the index answered to one upload."""

    status_code: int
    reason: str
    text: str
    location: str | None = None

    @property
    def is_redirect(self) -> bool:
        """A redirect with somewhere to go (the upload is not followed there)."""
        return self.status_code in REDIRECTS and bool(self.location)


def _pyversion(path: Path) -> str:
    """The upload form's ``pyversion``: a wheel's Python tag, ``source`` for an sdist (pure)."""
    if path.name.endswith(".whl"):
        parts = path.name[: -len(".whl")].split("-")
        return parts[-3] if len(parts) >= 5 else "any"
    return "source"


def _digests(path: Path) -> tuple[str, str]:
    """sha256 and blake2b-256 of the file."""
    sha, blake = hashlib.sha256(), hashlib.blake2b(digest_size=32)
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            sha.update(chunk)
            blake.update(chunk)
    return sha.hexdigest(), blake.hexdigest()


@frozen
class Body:
    """A multipart/form-data body: text fields, then the file, streamed."""

    boundary: str
    head: bytes
    path: Path
    tail: bytes

    @property
    def length(self) -> int:
        """Its size in bytes (the Content-Length)."""
        return len(self.head) + self.path.stat().st_size + len(self.tail)

    def chunks(self) -> Iterator[bytes]:
        """The body, a piece at a time (a new iterator for each attempt)."""
        yield self.head
        with self.path.open("rb") as fh:
            yield from iter(lambda: fh.read(_CHUNK), b"")
        yield self.tail


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", " ").replace("\n", " ")


def body(path: Path, fields: list[tuple[str, str]]) -> Body:
    """The upload request's body for ``path`` with ``fields`` before it."""
    boundary = os.urandom(16).hex()
    parts = []
    for name, value in fields:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{_quoted(name)}"\r\n\r\n'.encode()
            + value.encode("utf-8")
            + b"\r\n"
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="content"; '
        f'filename="{_quoted(path.name)}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
    )
    return Body(boundary, b"".join(parts), path, f"\r\n--{boundary}--\r\n".encode())


def request_body(path: Path, fields: list[tuple[str, str]]) -> Body:
    """Everything the index is sent for ``path``: its metadata's form fields
    (``uploadform.fields``), what it is, its digests."""
    sha256, blake2 = _digests(path)
    fields = [
        *fields,
        ("pyversion", _pyversion(path)),
        ("filetype", "bdist_wheel" if path.name.endswith(".whl") else "sdist"),
        ("sha256_digest", sha256),
        ("blake2_256_digest", blake2),
        (":action", "file_upload"),
        ("protocol_version", "1"),
    ]
    return body(path, fields)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is the answer: an upload is never sent on to somewhere else."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def tls_context(
    cacert: str | None, client_cert: str | None, environ: Mapping[str, str]
) -> ssl.SSLContext:
    """The TLS settings requests would use: ``cacert``, else ``REQUESTS_CA_BUNDLE`` or
    ``CURL_CA_BUNDLE``, else certifi's bundle (or the system's), and the client certificate."""
    cafile = cacert or environ.get("REQUESTS_CA_BUNDLE") or environ.get("CURL_CA_BUNDLE") or None
    if cafile is None:
        try:
            import certifi
        except ImportError:  # pragma: no cover - requests (a twine dependency) brings it
            pass
        else:
            cafile = certifi.where()
    if cafile is not None and os.path.isdir(cafile):
        context = ssl.create_default_context(capath=cafile)
    else:
        context = ssl.create_default_context(cafile=cafile)
    if client_cert:
        context.load_cert_chain(client_cert)
    return context


@frozen
class Uploader:
    """Uploads to one URL with one set of credentials (None: anonymous)."""

    url: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never in a repr or a log
    cacert: str | None = None
    client_cert: str | None = None

    def _authorization(self) -> dict[str, str]:
        if not (self.username or self.password):
            return {}
        pair = f"{self.username or ''}:{self.password or ''}"
        try:
            raw = pair.encode("latin-1")  # what requests sends
        except UnicodeEncodeError:
            raw = pair.encode("utf-8")
        return {"Authorization": "Basic " + base64.b64encode(raw).decode("ascii")}

    def _opener(self, environ: Mapping[str, str]) -> urllib.request.OpenerDirector:
        handlers: list[urllib.request.BaseHandler] = [_NoRedirects()]
        if self.url.startswith("https:"):
            context = tls_context(self.cacert, self.client_cert, environ)
            handlers.append(urllib.request.HTTPSHandler(context=context))
        return urllib.request.build_opener(*handlers)

    def upload(self, data: Body, environ: Mapping[str, str] | None = None) -> Response:
        """POST ``data`` once; ``Transient`` when the index cannot be reached."""
        headers = {
            "Content-Type": f"multipart/form-data; boundary={data.boundary}",
            "Content-Length": str(data.length),
            "User-Agent": _USER_AGENT,
            **self._authorization(),
        }
        request = urllib.request.Request(self.url, data=data.chunks(), headers=headers)
        try:
            opener = self._opener(os.environ if environ is None else environ)
            with opener.open(request) as resp:
                return Response(resp.status, resp.reason, _text(resp.read()))
        except urllib.error.HTTPError as exc:
            with exc:
                text = _text(exc.read())
                location = exc.headers.get("Location") if exc.headers else None
            return Response(exc.code, str(exc.reason), text, location)
        except (urllib.error.URLError, http.client.HTTPException, OSError, ssl.SSLError) as exc:
            raise Transient(_cannot_connect(exc)) from exc


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _cannot_connect(exc: BaseException) -> str:
    """The one-line reason an upload did not reach the index (as publish always said it)."""
    return "cannot connect" + (": Connection refused" if "refused" in str(exc) else "")
