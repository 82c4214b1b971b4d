"""The upload form of a distribution: its metadata read, checked as an index checks it, as fields.

What ``publish`` sends beside the file (``upload.request_body`` adds what the file is and its
digests). Reading and checking it loads ``packaging.metadata`` and the archive modules, a
tenth of a second before the first upload; ``ahead`` does that in a forked child while the
parent loads the HTTP client and reads the index, on the other core.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import ReleaseError, StepError, UsageError

Fields = list[tuple[str, str]]

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


def fields(path: Path) -> Fields:
    """The form fields of ``path``; a UsageError when it is not a distribution an index accepts."""
    from .check import raw_metadata

    try:
        return form(path, raw_metadata(path))
    except (StepError, EOFError) as exc:
        reason = exc.message if isinstance(exc, StepError) else "the archive is cut short"
        raise UsageError(
            f"{path.name} is not a distribution an index accepts: {reason}",
            hint="build it again (release build) and upload the files it makes",
        ) from None


_KINDS: dict[str, type[UsageError]] = {"BadDistribution": BadDistribution, "UsageError": UsageError}
"""The errors ``fields`` raises, by name: what a child can hand back."""


def _outcome(path: Path) -> tuple[Any, ...]:
    """One file's fields, or its error, as plain data; ``("here",)``: let the parent find out."""
    try:
        return ("ok", fields(path))
    except ReleaseError as exc:
        if _KINDS.get(type(exc).__name__) is type(exc):
            return ("error", type(exc).__name__, exc.message, exc.hint)
        return ("here",)
    except Exception:
        return ("here",)


class Ahead:
    """The form fields of some files, worked out in a forked child while the caller goes on."""

    def __init__(self, pid: int, to_child: int, from_child: int) -> None:
        self._pid: int | None = pid  # None once reaped
        self._to_child: int | None = to_child  # each None once closed or handed to a file
        self._from_child: int | None = from_child
        self._found: dict[str, tuple[Any, ...]] | None = None

    def send(self, paths: list[Path]) -> None:
        """The files to work out (the child has loaded what it needs meanwhile)."""
        fd, self._to_child = self._to_child, None
        if fd is None:
            return
        with contextlib.suppress(OSError), os.fdopen(fd, "wb") as pipe:
            pipe.write(marshal.dumps([str(p) for p in paths]))  # a child gone: found out here

    def fields(self, path: Path) -> Fields:
        """``fields(path)``, from the child when it worked it out, else here."""
        found = self._collect().get(str(path), ("here",))
        if found[0] == "ok":
            return [(str(k), str(v)) for k, v in found[1]]
        if found[0] == "error":
            raise _KINDS[found[1]](found[2], hint=found[3])
        return fields(path)

    @property
    def answered(self) -> int:
        """How many files the child worked out (after the first ``fields``)."""
        return len(self._found or {})

    def _collect(self) -> dict[str, tuple[Any, ...]]:
        if self._found is None:
            data = b""
            fd, self._from_child = self._from_child, None
            if fd is not None:
                with os.fdopen(fd, "rb") as pipe:
                    data = pipe.read()
            status = self._reap()
            try:
                found = marshal.loads(data) if status in (0, None) and data else {}
            except (EOFError, ValueError, TypeError):
                found = {}
            self._found = found if isinstance(found, dict) else {}
        return self._found

    def _reap(self, kill: bool = False) -> int | None:
        """Wait for the child (SIGKILL first with ``kill``); its wait status, once."""
        pid, self._pid = self._pid, None
        if pid is None:
            return None
        if kill:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        try:
            return os.waitpid(pid, 0)[1]
        except ChildProcessError:  # reaped by someone else: its answer, if any, is in the pipe
            return None

    def close(self) -> None:
        """Close what is still open and end the child if it is still there, then reap it."""
        for fd in (self._to_child, self._from_child):
            if fd is not None:
                os.close(fd)
        self._to_child = self._from_child = None
        self._reap(kill=True)


def _child(from_parent: int, to_parent: int) -> None:  # pragma: no cover - in the forked child
    """Load what ``fields`` needs, then work out the files the parent sends."""
    from packaging import metadata  # noqa: F401

    from . import check  # noqa: F401

    with os.fdopen(from_parent, "rb") as pipe:
        paths = marshal.loads(pipe.read())
    data = marshal.dumps({p: _outcome(Path(p)) for p in paths})
    with os.fdopen(to_parent, "wb") as pipe:
        pipe.write(data)


_STOPPING = (signal.SIGINT, signal.SIGTERM)


def _fork() -> tuple[int, int, int]:
    """Fork the child; in the parent, its pid and the two pipe ends (to it, from it).

    SIGINT and SIGTERM are held while it forks: the child then takes their defaults before
    any can arrive (the parent's handlers raise, and an exception in the child would run the
    rest of the parent's command a second time), and the parent gets them once it is done.
    """
    down_read, down_write = os.pipe()
    up_read, up_write = os.pipe()
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING)
    try:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child: it never returns
            status = 1
            try:
                for sig in _STOPPING:
                    signal.signal(sig, signal.SIG_DFL)
                signal.pthread_sigmask(signal.SIG_SETMASK, held)
                os.close(down_write)
                os.close(up_read)
                _child(down_read, up_write)
                status = 0
            finally:
                os._exit(status)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
    os.close(down_read)
    os.close(up_write)
    return pid, down_write, up_read


@contextlib.contextmanager
def ahead() -> Iterator[Ahead | None]:
    """A child that loads what reading and checking metadata needs at once, and works out the
    files ``Ahead.send`` names; None where a fork is not safe (no ``os.fork`` or
    ``pthread_sigmask``, or other threads, which a fork would copy mid-step)."""
    threading = sys.modules.get("threading")
    if (
        not hasattr(os, "fork")
        or not hasattr(signal, "pthread_sigmask")
        or (threading is not None and threading.active_count() > 1)
    ):
        yield None
        return
    pid, to_child, from_child = _fork()
    found = Ahead(pid, to_child, from_child)
    try:
        yield found
    finally:
        found.close()
