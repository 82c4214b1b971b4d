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
from typing import Any

from .errors import Transient, UsageError
from .values import field, frozen

REDIRECTS = (301, 302, 303, 307, 308)
_USER_AGENT = "releasekit (+https://pypi.org/project/releasekit/)"
_CHUNK = 1 << 16

FORM_FIELDS = {
    "metadata_version": "metadata_version",
    "name": "name",
    "version": "version",
    "platforms": "platform",
    "summary": "summary",
    "description": "description",
    "keywords": "keywords",
    "home_page": "home_page",
    "author": "author",
    "author_email": "author_email",
    "license": "license",
    "supported_platforms": "supported_platform",
    "download_url": "download_url",
    "classifiers": "classifiers",
    "requires": "requires",
    "provides": "provides",
    "obsoletes": "obsoletes",
    "maintainer": "maintainer",
    "maintainer_email": "maintainer_email",
    "requires_dist": "requires_dist",
    "provides_dist": "provides_dist",
    "obsoletes_dist": "obsoletes_dist",
    "requires_python": "requires_python",
    "requires_external": "requires_external",
    "project_urls": "project_urls",
    "description_content_type": "description_content_type",
    "provides_extra": "provides_extra",
    "dynamic": "dynamic",
    "license_expression": "license_expression",
    "license_files": "license_file",
}
"""packaging's core metadata field -> the upload form's field (the index's names: two differ)."""


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


class BadDistribution(UsageError):
    """A file whose metadata no index would accept (exit 2: nothing was uploaded)."""


_REBUILD = "build it again (release build) with a current build backend; nothing was uploaded"


def _safe_name(name: str) -> str:
    """The project name as the index's upload form has always taken it: runs of other
    characters than letters, digits and dots become one ``-`` (pure)."""
    out, run = [], False
    for char in name:
        if char.isascii() and (char.isalnum() or char == "."):
            out.append(char)
            run = False
        elif not run:
            out.append("-")
            run = True
    return "".join(out)


def _values(field: str, value: Any) -> list[tuple[str, str]]:
    """One metadata value as form fields: lists repeat the field, URLs are ``label, url``."""
    if field == "project_urls":
        return [(field, f"{label}, {url}") for label, url in dict(value).items()]
    if field == "keywords":
        return [(field, ", ".join(value))]
    if isinstance(value, (list, tuple)):
        return [(field, str(item)) for item in value]
    return [(field, str(value))]


def form(path: Path, raw: bytes) -> list[tuple[str, str]]:
    """The form fields of ``path`` with metadata ``raw``, checked as an index checks it.

    ``BadDistribution`` when the metadata has fields the specification does not know, or
    values it does not allow (the checks twine makes before an upload).
    """
    from packaging import metadata
    from packaging.version import InvalidVersion, Version

    fields, unparsed = metadata.parse_email(raw)
    try:
        old = Version(str(fields.get("metadata_version", "0"))) < Version("2.4")
    except InvalidVersion:
        old = False  # Metadata.from_raw below says what is wrong with it
    if old:
        # setuptools writes License-File under Metadata-Version 2.1: indexes take it, unsent
        fields.pop("license_files", None)
        unparsed.pop("license-file", None)
    if unparsed:
        found = "; ".join(f"unrecognized or malformed field {key!r}" for key in unparsed)
        raise BadDistribution(f"{path.name} has invalid metadata: {found}", hint=_REBUILD)
    try:
        metadata.Metadata.from_raw(fields)
    except Exception as exc:  # packaging raises an ExceptionGroup of every invalid field
        inner = getattr(exc, "exceptions", None) or [exc]
        found = "; ".join(sorted(str(e) for e in inner))
        raise BadDistribution(f"{path.name} has invalid metadata: {found}", hint=_REBUILD) from None
    out: list[tuple[str, str]] = []
    for key, value in fields.items():
        field = FORM_FIELDS.get(key)
        if field == "name":
            out.append(("name", _safe_name(str(value))))
        elif field is not None:
            out.extend(_values(field, value))
    return out


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


def request_body(path: Path, raw_metadata: bytes) -> Body:
    """Everything the index is sent for ``path``: its metadata, what it is, its digests."""
    sha256, blake2 = _digests(path)
    fields = form(path, raw_metadata)
    fields += [
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
