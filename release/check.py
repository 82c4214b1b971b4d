"""``release check``: twine check --strict, and each artifact is the release it claims to be."""

from __future__ import annotations

import contextlib
import email.parser
import io
import logging
import re
import tarfile
import threading
import zipfile
from pathlib import Path

from packaging.version import InvalidVersion, Version

from .dists import artifact_id, normalize
from .errors import StepError
from .values import frozen


@frozen
class Metadata:
    """The name and version an artifact's own metadata declares."""

    path: Path
    name: str
    version: str


def raw_metadata(path: Path) -> bytes:
    """The bytes of a wheel's METADATA or an sdist's PKG-INFO (the top-level one)."""
    try:
        if path.name.endswith(".whl"):
            with zipfile.ZipFile(path) as zf:
                member = next(
                    (
                        n
                        for n in zf.namelist()
                        if n.count("/") == 1 and n.endswith(".dist-info/METADATA")
                    ),
                    None,
                )
                raw = zf.read(member) if member else None
        elif path.name.endswith(".zip"):
            with zipfile.ZipFile(path) as zf:
                member = next(
                    (n for n in zf.namelist() if n.count("/") == 1 and n.endswith("/PKG-INFO")),
                    None,
                )
                raw = zf.read(member) if member else None
        else:
            with tarfile.open(path) as tf:
                info = next(
                    (
                        m
                        for m in tf.getmembers()
                        if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO")
                    ),
                    None,
                )
                fh = tf.extractfile(info) if info else None
                raw = fh.read() if fh else None
    except (OSError, zipfile.BadZipFile, tarfile.TarError) as exc:
        raise StepError(f"{path.name} is not a readable archive: {exc}") from None
    if raw is None:
        raise StepError(f"{path.name} has no metadata file (METADATA or PKG-INFO)")
    return raw


def read_metadata(path: Path) -> Metadata:
    """Name and version from a wheel's METADATA or an sdist's PKG-INFO."""
    raw = raw_metadata(path)
    message = email.parser.BytesParser().parsebytes(raw, headersonly=True)
    return Metadata(path, str(message.get("Name", "")), str(message.get("Version", "")))


def problems(found: list[Metadata], name: str, version: Version) -> list[str]:
    """Every way the artifacts differ from release ``name`` ``version`` (pure)."""
    out: list[str] = []
    for meta in found:
        label = meta.path.name
        if normalize(meta.name) != normalize(name):
            out.append(f"{label}: its metadata names {meta.name!r}, the project is {name!r}")
        try:
            declared = Version(meta.version)
        except InvalidVersion:
            out.append(f"{label}: version {meta.version!r} is not PEP 440")
            continue
        if declared.local is not None:
            out.append(f"{label}: {declared} is a local version; no index accepts it")
        if declared != version:
            out.append(f"{label}: version {declared}, but the release is {version}")
        from_filename = artifact_id(label)
        if from_filename is not None and from_filename != (normalize(meta.name), declared):
            out.append(
                f"{label}: the file name says {from_filename[0]} {from_filename[1]}, the metadata {meta.name} {declared}"
            )
    return out


_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07")


def plain(text: str) -> str:
    """``text`` without ANSI escape sequences or the padding at line ends (pure)."""
    return "\n".join(line.rstrip() for line in _ANSI.sub("", text).splitlines())


class _Findings(logging.Handler):
    """Collects what twine's check logs: each warning or error, its first line."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.found: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.found.append(f"{record.levelname} {record.getMessage().splitlines()[0]}")


def preload() -> None:
    """Start importing twine's checker in a thread (half a second of imports).

    For a caller about to wait on a child process, such as the build: the imports then cost
    no time of their own. Not a daemon thread, so the interpreter never exits mid-import.
    """
    threading.Thread(target=_import_twine, name="preload-twine").start()


def _import_twine() -> None:
    with contextlib.suppress(Exception):  # a broken twine is reported by the check itself
        import twine.commands.check
        import twine.package  # noqa: F401


def twine_check(paths: list[Path]) -> str | None:
    """Run ``twine check --strict``; its findings when it fails, else None.

    In this process, not as ``python -m twine``: a second interpreter loading twine again
    cost more than the check itself, and ship loads twine anyway to upload. Not for threads:
    twine prints and logs through process-wide streams, which this redirects while it runs.
    """
    from twine.commands import check as twine_commands_check
    from twine.exceptions import TwineException

    logger = logging.getLogger(twine_commands_check.__name__)
    findings, propagate = _Findings(), logger.propagate
    logger.addHandler(findings)
    logger.propagate = False  # not also to the root logger's last-resort stderr handler
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):  # twine's "Checking ...: PASSED" lines
            failed = twine_commands_check.check([str(p) for p in paths], strict=True)
    except TwineException as exc:  # a file twine cannot read at all: said as the CLI says it
        return summary(plain(f"ERROR {type(exc).__name__}: {exc}"))
    finally:
        logger.removeHandler(findings)
        logger.propagate = propagate
    if not failed:
        return None
    return summary(plain("\n".join(findings.found) or printed.getvalue()))


def summary(output: str) -> str:
    """twine's findings in one line: each WARNING or ERROR once, without the file headers (pure)."""
    found = [
        line.split(None, 1)[1].strip() if len(line.split(None, 1)) > 1 else line
        for line in output.splitlines()
        if line.startswith(("WARNING", "ERROR"))
    ]
    unique = list(dict.fromkeys(f.rstrip(".") for f in found))
    return "; ".join(unique) if unique else " ".join(output.split())


README_HINT = (
    "create the readme that [project].readme in pyproject.toml names (e.g. README.md), "
    "or fix that setting, and commit"
)


def mentions_readme(text: str) -> bool:
    """Whether an error is about the readme or the long description it becomes (pure)."""
    low = text.lower()
    return "readme" in low or "long_description" in low or "long description" in low


def _hint(issues: list[str]) -> str:
    """What to do about ``issues``: the fix they name, or rebuilding."""
    if mentions_readme(" ".join(issues)):
        return README_HINT + "; nothing was uploaded"
    return "fix them, commit, and build again (release build); nothing was uploaded"


def check(
    paths: list[Path],
    name: str,
    version: Version,
    extra: list[str] | None = None,
) -> None:
    """Raise a StepError listing every problem with ``paths`` as release ``name`` ``version``."""
    found = [read_metadata(p) for p in paths]
    issues = list(extra or []) + problems(found, name, version)
    twine = twine_check(paths)
    if twine is not None:
        issues.append("twine check --strict: " + twine)
    if len(issues) == 1:
        raise StepError(issues[0], hint=_hint(issues))
    if issues:
        raise StepError(
            f"{len(issues)} problems with {', '.join(p.name for p in paths)}:\n"
            + "\n".join(f"  - {i}" for i in issues),
            hint=_hint(issues),
        )
