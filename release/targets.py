"""Where a release goes: ``--repository`` and ``--index-url`` resolved to URLs (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from .config import Config
from .errors import UsageError
from .values import frozen

LOCAL_HOST = "127.0.0.1"
LOCAL_PORT = 8765
"""Where ``release serve-index`` listens by default, and so where ``local`` looks for it."""

NAMED = {
    "pypi": ("https://upload.pypi.org/legacy/", "https://pypi.org/simple/"),
    "testpypi": ("https://test.pypi.org/legacy/", "https://test.pypi.org/simple/"),
    "local": (f"http://{LOCAL_HOST}:{LOCAL_PORT}/", f"http://{LOCAL_HOST}:{LOCAL_PORT}/simple/"),
}
CHOICES = "local, testpypi, pypi, or an upload URL such as http://127.0.0.1:8080/"


@frozen
class Target:
    """An upload endpoint and the simple index that serves what was uploaded there."""

    name: str
    """``local``, ``testpypi``, ``pypi``, or ``url``."""
    upload_url: str
    index_url: str
    source: str
    """Where the repository came from: flag, environment, pyproject or default."""

    @property
    def twine_repository(self) -> str | None:
        """The ``.pypirc`` section twine reads credentials from, for the named PyPI targets."""
        return self.name if self.name in ("pypi", "testpypi") else None

    @property
    def is_pypi(self) -> bool:
        """Whether this is PyPI or TestPyPI (which twine knows by name)."""
        return self.name in ("pypi", "testpypi")

    def describe(self) -> str:
        """One line for the user: what and where."""
        label = self.name if self.name != "url" else self.upload_url
        return f"{label} (upload {self.upload_url}, index {self.index_url})"


def _check_url(url: str, what: str, schemes: tuple[str, ...] = ("http", "https")) -> str:
    parts = urlsplit(url)
    if parts.scheme not in schemes or not (parts.hostname or parts.scheme == "file"):
        raise UsageError(
            f"{what} {url!r} is not an http(s) URL",
            hint=f"{what} takes {CHOICES}" if what == "repository" else "give an http(s) URL",
        )
    if parts.username is not None or parts.password is not None:
        # a URL with a password would put the secret on command lines and in logs
        raise UsageError(
            f"{what.removesuffix(' URL')} URL carries credentials; they would end up in logs and command lines",
            hint="drop them from the URL and set TWINE_USERNAME and TWINE_PASSWORD instead",
        )
    return url if url.endswith("/") else url + "/"


def derive_index_url(upload_url: str) -> str:
    """The simple index of an upload URL.

    ============================================  ===========================================
    upload URL                                    simple index
    ============================================  ===========================================
    ``https://upload.pypi.org/legacy/``           ``https://pypi.org/simple/``
    ``https://test.pypi.org/legacy/``             ``https://test.pypi.org/simple/``
    ``https://host/path/legacy/`` (warehouse)     ``https://host/path/simple/``
    ``http://host:port/`` (pypiserver)            ``http://host:port/simple/``
    ``http://host/root/`` (pypiserver under root) ``http://host/root/simple/``
    ============================================  ===========================================

    Indexes that lay out URLs differently (devpi's ``.../+simple/``) need ``--index-url``.
    """
    url = upload_url if upload_url.endswith("/") else upload_url + "/"
    for upload, index in (NAMED["pypi"], NAMED["testpypi"]):
        if url == upload:
            return index
    if url.endswith("/legacy/"):
        return url[: -len("legacy/")] + "simple/"
    return url + "simple/"


def _first(*pairs: tuple[str | None, str]) -> tuple[str, str] | None:
    for value, source in pairs:
        if value:
            return value, source
    return None


def repository_of(value: str, source: str) -> tuple[str, str, str]:
    """A repository setting as (name, upload URL, known index URL); exit 2 when it is none."""
    if value in NAMED:
        return value, *NAMED[value]
    if "://" in value:
        upload = _check_url(value, "repository")
        return "url", upload, derive_index_url(upload)
    raise UsageError(
        f"unknown repository {value!r} (from {source})",
        hint=f"--repository takes {CHOICES}",
    )


def check_url(url: str, what: str, *, file_ok: bool = False) -> str:
    """``url`` with a trailing slash; exit 2 when it is no http(s) URL or carries credentials."""
    return _check_url(url, what, ("http", "https", "file") if file_ok else ("http", "https"))


def resolve(
    config: Config,
    *,
    repository: str | None = None,
    index_url: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Target:
    """The target, first found: the flag, ``RELEASE_REPOSITORY``, ``[tool.release]``, ``local``.

    The index URL, first found: ``--index-url``, ``RELEASE_INDEX_URL``, ``[tool.release]
    index-url``, then known (named targets) or derived from the upload URL.
    """
    env = environ or {}
    chosen = _first(
        (repository, "--repository"),
        (env.get("RELEASE_REPOSITORY"), "RELEASE_REPOSITORY"),
        (config.repository, "[tool.release] repository"),
    ) or ("local", "default")
    value, source = chosen
    name, upload, known_index = repository_of(value, source)
    explicit = _first(
        (index_url, "--index-url"),
        (env.get("RELEASE_INDEX_URL"), "RELEASE_INDEX_URL"),
        (config.index_url, "[tool.release] index-url"),
    )
    index = _check_url(explicit[0], "index URL") if explicit else known_index
    return Target(name=name, upload_url=upload, index_url=index, source=source)


def extra_index_url(config: Config, environ: Mapping[str, str] | None = None) -> str | None:
    """Where verify may find dependencies: ``RELEASE_EXTRA_INDEX_URL``, else ``[tool.release]``.

    Several URLs are separated by spaces, as in pip's ``PIP_EXTRA_INDEX_URL``.
    """
    env = environ or {}
    value = env.get("RELEASE_EXTRA_INDEX_URL") or config.extra_index_url
    if not value or not value.split():
        return None
    schemes = ("http", "https", "file")
    return " ".join(_check_url(url, "extra index URL", schemes) for url in value.split())
