"""``release promote``: the exact files verified on one index, uploaded to another.

The files are downloaded from the source index, their sha256 checked against the listing and
against a fresh build of the tag, the release verified on the source index itself (so files
that failed verification there, or a release still being uploaded there, are never copied),
and only then uploaded (the same bytes) to the destination, where the install is verified
again. A mismatch is refused before anything is uploaded.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from . import build, index, publish, retry, verify
from .config import Config
from .errors import StepError
from .model import Release
from .targets import Target, extra_index_url
from .values import frozen

Echo = Callable[[str], None]


@frozen
class Promoted:
    """The files promoted, and how many were newly uploaded."""

    files: tuple[str, ...]
    uploaded: int


def compare(downloaded: Mapping[str, str], fresh: Mapping[str, str]) -> list[str]:
    """Why the downloaded files are not the fresh build's (pure); empty when they are.

    ==========================================  ===========
    file                                        verdict
    ==========================================  ===========
    same name and sha256 in the fresh build     promotable
    same name, other sha256                     refused
    no file of that name in the fresh build     refused
    built, but not on the source index          refused
    ==========================================  ===========

    A file the tag builds but the source lacks means the release there is incomplete
    (still being uploaded, or interrupted): promoting part of it would publish it half.
    """
    problems = [
        f"{name}: the tag builds it but the source index does not have it (the release there "
        "is incomplete: still being uploaded, or interrupted)"
        for name in sorted(set(fresh) - set(downloaded))
    ]
    for name, sha in sorted(downloaded.items()):
        if name not in fresh:
            problems.append(f"{name}: the fresh build of the tag has no file of that name")
        elif fresh[name] != sha:
            problems.append(
                f"{name}: the source index has sha256 {sha}, a fresh build of the tag gives {fresh[name]}"
            )
    return problems


def promote(
    config: Config,
    release: Release,
    source: Target,
    dest: Target,
    *,
    environ: Mapping[str, str],
    echo: Echo = print,
    isolated: bool = True,
) -> Promoted:
    """Copy ``release`` from ``source`` to ``dest`` after checking it against a build of its tag."""
    backoff = retry.from_env(environ, timeout_var="RELEASE_RETRY_TIMEOUT", default_timeout=60)
    vbackoff = retry.from_env(environ, timeout_var="RELEASE_VERIFY_TIMEOUT", default_timeout=300)
    extra = extra_index_url(config, environ)
    with tempfile.TemporaryDirectory(prefix="release-promote-") as tmp:
        downloaded = _download(release, source, backoff, Path(tmp, "from-index"), echo)
        built = build.build(
            config,
            ref=release.tag,
            outdir=Path(tmp, "fresh"),
            isolated=isolated,
            environ=environ,
            echo=echo,
        )
        fresh = {p.name: index.sha256_file(p) for p in built.artifacts}
        problems = compare(downloaded, fresh)
        if problems:
            raise StepError(
                f"promote refused: the files on {source.index_url} are not what {release.tag} "
                "builds; nothing was uploaded:\n  " + "\n  ".join(problems),
                hint="release a new version, or promote only from a backend that builds reproducibly",
            )
        echo(f"sha256 of every file matches a fresh build of {release.tag}")
        files = [Path(tmp, "from-index", n) for n in sorted(downloaded)]

        def installs_from(index_url: str) -> None:
            where = verify.Where(index_url, extra, vbackoff)
            verify.verify(release, where, local=files, echo=echo, environ=environ)

        # verified where they come from, by this run: no record of another run is trusted
        try:
            installs_from(source.index_url)
        except StepError as exc:
            raise StepError(
                f"promote refused: {release} does not verify on {source.index_url}; "
                f"nothing was uploaded: {exc.message}",
                hint=exc.hint,
            ) from exc
        published = publish.publish(files, dest, backoff, echo)
        uploaded = sum(1 for _, outcome in published.outcomes if outcome == "uploaded")
        installs_from(dest.index_url)
    return Promoted(tuple(sorted(downloaded)), uploaded)


def _download(
    release: Release, source: Target, backoff: retry.Backoff, into: Path, echo: Echo
) -> dict[str, str]:
    """Download the files of ``release`` from ``source`` into ``into``: name -> sha256."""
    name, version = release.name, release.version
    listed = index.with_retries(
        lambda: index.read_project(source.index_url, name), backoff, f"read {source.index_url}"
    )
    wanted = {f: listed[f] for f in index.files_of(listed, name, version)}
    if not wanted:
        raise StepError(
            f"{source.index_url} has no files of {name} {version}",
            hint="publish there first (release ship or release publish), then promote",
        )
    into.mkdir()
    downloaded: dict[str, str] = {}
    for filename, entry in sorted(wanted.items()):
        data = index.download(entry.url)
        sha = index.sha256_bytes(data)
        if entry.sha256 is not None and sha != entry.sha256:
            raise StepError(
                f"{filename}: {source.index_url} lists sha256 {entry.sha256} but serves {sha}"
            )
        (into / filename).write_bytes(data)
        downloaded[filename] = sha
    echo(f"downloaded {len(downloaded)} file(s) of {name} {version} from {source.index_url}")
    return downloaded
