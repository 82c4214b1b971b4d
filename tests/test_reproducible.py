"""Two builds of one commit give the same bytes, for every backend (issue 9, point 7)."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import pytest
from conftest import build_dist, git, git_repo_of

from release.sdist import normalized

# backends whose sdists carried the build time before release/sdist.py normalised them (all
# five setuptools/pdm fixtures were measured; these three cover both backends and both
# version kinds, to keep the suite quick)
VARYING = ["setuptools-static", "setuptools-scm", "pdm-scm"]


@pytest.mark.slow
@pytest.mark.parametrize("fixture", VARYING)
def test_two_builds_of_one_tag_are_byte_identical(fixture: str, tmp_path: Path) -> None:
    root = git_repo_of(fixture, tmp_path)
    git(root, "tag", "-a", "v0.1.0", "-m", "Release 0.1.0")  # the version of the scm fixtures
    first = build_dist(root, tmp_path / "one")
    second = build_dist(root, tmp_path / "two")
    assert [p.name for p in first] == [p.name for p in second]
    assert first[0].name.endswith(".tar.gz")
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def _sdist(members: list[tuple[str, bytes, int, int]], gzip_mtime: int) -> bytes:
    """A .tar.gz of (name, data, mtime, uid) members, in that order."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data, mtime, uid in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.uid, info.uname = len(data), mtime, uid, f"user{uid}"
            info.pax_headers = {"mtime": f"{mtime}.123"}
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=gzip_mtime)


def test_normalized_depends_on_the_contents_only() -> None:
    files = [("p-1.0/PKG-INFO", b"Name: p\n"), ("p-1.0/p.py", b"X = 1\n")]
    one = _sdist([(n, d, 1000, 0) for n, d in files], gzip_mtime=1000)
    two = _sdist([(n, d, 2000 + i, 501) for i, (n, d) in enumerate(reversed(files))], 2000)
    assert one != two
    assert normalized(one, 42) == normalized(two, 42)
    with tarfile.open(fileobj=io.BytesIO(normalized(two, 42)), mode="r:gz") as tar:
        got = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
        assert {(m.mtime, m.uid, m.uname, m.mode) for m in tar.getmembers()} == {(42, 0, "", 0o644)}
        assert [m.name for m in tar.getmembers()] == sorted(got)
    assert got == dict(files)
    assert normalized(one, 42)[4:8] == (42).to_bytes(4, "little")  # the gzip header's mtime
