"""``release promote``: the same bytes from one real index to another, or nothing at all."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import (
    build_dist,
    cli_env,
    commit_all,
    emptied,
    git,
    git_as_tester,
    git_repo_of,
    release_cli,
)

from release.promote import compare
from release.server import Server, running


# session scope: the slow tests run first, the others later, and a module-scoped fixture
# would be made again when a worker comes back to this module
@pytest.fixture(scope="session")
def _index_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    with running(tmp_path_factory.mktemp("from")) as a, running(tmp_path_factory.mktemp("to")) as b:
        yield a, b


@pytest.fixture
def two_indexes(_index_pair: tuple[Server, Server]) -> tuple[Server, Server]:
    """Two real pypiservers, both empty at the start of the test (this worker's pair, emptied)."""
    return emptied(_index_pair[0]), emptied(_index_pair[1])


@pytest.fixture(scope="session")
def _tagged_once(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """pub-hatch-cli committed, tagged v1.0.0 and built once: (repository, artifacts)."""
    top = tmp_path_factory.mktemp("tagged")
    root = git_repo_of("pub-hatch-cli", top)
    git_as_tester(root, "tag", "-a", "v1.0.0", "-m", "Release 1.0.0")
    return root, build_dist(root, top / "dist")


@pytest.fixture
def tagged(_tagged_once: tuple[Path, list[Path]], tmp_path: Path) -> Path:
    """A copy of that repository (the same commit and tag, so the same build)."""
    return Path(shutil.copytree(_tagged_once[0], tmp_path / "pub-hatch-cli", symlinks=True))


@pytest.fixture
def tagged_dist(_tagged_once: tuple[Path, list[Path]], tmp_path: Path) -> list[Path]:
    """Copies of its artifacts, in ``tmp_path / "dist"``: what ``build_dist`` of it gives."""
    (tmp_path / "dist").mkdir()
    return [Path(shutil.copy2(p, tmp_path / "dist" / p.name)) for p in _tagged_once[1]]


def _files(server: Server) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(server.root.iterdir()) if p.is_file()}


def promote(root: Path, source: Server, dest: Server) -> subprocess.CompletedProcess[str]:
    """``release promote --from SOURCE --to DEST``, building with the installed backends."""
    return release_cli(
        "--project", str(root), "promote", "--from", source.url, "--to", dest.url, "--no-isolation"
    )


@pytest.mark.slow
def test_promote_copies_the_exact_bytes(
    tagged: Path, tagged_dist: list[Path], two_indexes, tmp_path: Path
) -> None:
    source, dest = two_indexes
    proc = release_cli(
        "--project",
        str(tagged),
        "publish",
        "--repository",
        source.url,
        *[str(p) for p in (tmp_path / "dist").iterdir()],
    )
    assert proc.returncode == 0, proc.stderr
    proc = promote(tagged, source, dest)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "sha256 of every file matches a fresh build of v1.0.0" in proc.stdout
    assert "import pub_hatch_cli: ok" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1].startswith("promoted pub-hatch-cli 1.0.0:")
    assert _files(dest) == _files(source)
    assert len(_files(dest)) == 2
    # promoting again uploads nothing
    again = promote(tagged, source, dest)
    assert again.returncode == 0, again.stderr
    assert "(0 uploaded)" in again.stdout


def test_a_file_that_differs_from_the_tag_is_refused_before_any_upload(
    tagged: Path, two_indexes, tmp_path: Path
) -> None:
    source, dest = two_indexes
    # same name and version, other content: built from a commit that is not the tag
    other = tmp_path / "other"
    shutil.copytree(tagged, other)
    (other / "src" / "pub_hatch_cli" / "extra.py").write_text("X = 1\n")
    commit_all(other, "not the release")
    for path in build_dist(other, tmp_path / "other-dist"):
        shutil.copy(path, source.root / path.name)
    before = _files(source)
    proc = promote(tagged, source, dest)
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: promote refused: the files on ")
    assert "a fresh build of the tag gives" in proc.stderr
    assert _files(dest) == {}
    assert _files(source) == before


def test_promote_needs_the_release_on_the_source(tagged: Path, two_indexes) -> None:
    source, dest = two_indexes
    proc = release_cli("--project", str(tagged), "promote", "--from", source.url, "--to", dest.url)
    assert proc.returncode == 1
    assert "has no files of pub-hatch-cli 1.0.0" in proc.stderr
    proc = release_cli(
        "--project",
        str(tagged),
        "promote",
        "--from",
        source.url,
        "--to",
        source.url,
        env=cli_env(),
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: --from and --to name the same index")


@pytest.mark.parametrize(
    ("downloaded", "fresh", "problems"),
    [
        ({"a.whl": "1", "a.tar.gz": "2"}, {"a.whl": "1", "a.tar.gz": "2"}, []),
        # the source lacks a file the tag builds: an incomplete release is never promoted
        (
            {"a.whl": "1"},
            {"a.whl": "1", "a.tar.gz": "2"},
            [
                "a.tar.gz: the tag builds it but the source index does not have it (the release "
                "there is incomplete: still being uploaded, or interrupted)"
            ],
        ),
        (
            {"a.whl": "1"},
            {"a.whl": "9"},
            ["a.whl: the source index has sha256 1, a fresh build of the tag gives 9"],
        ),
        (
            {"a.whl": "1", "b.whl": "3"},
            {"a.whl": "1"},
            ["b.whl: the fresh build of the tag has no file of that name"],
        ),
        (
            {"b.whl": "3", "a.tar.gz": "2"},
            {"a.tar.gz": "7"},
            [
                "a.tar.gz: the source index has sha256 2, a fresh build of the tag gives 7",
                "b.whl: the fresh build of the tag has no file of that name",
            ],
        ),
    ],
)
def test_compare(downloaded: dict[str, str], fresh: dict[str, str], problems: list[str]) -> None:
    assert compare(downloaded, fresh) == problems


def test_a_configured_index_url_does_not_redirect_either_end(two_indexes, tmp_path: Path) -> None:
    # [tool.release] index-url names the project's usual index; promote derives each end's own
    source, dest = two_indexes
    root = git_repo_of("pub-hatch-cli", tmp_path)
    with (root / "pyproject.toml").open("a") as fh:
        fh.write(f'\n[tool.release]\nindex-url = "{source.index_url}"\n')
    commit_all(root, "configure the index")
    git(root, "tag", "-a", "v1.0.0", "-m", "Release 1.0.0")
    for path in build_dist(root, tmp_path / "dist"):
        shutil.copy(path, source.root / path.name)
    proc = promote(root, source, dest)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "(2 uploaded)" in proc.stdout
    assert f"now on {dest.index_url}" in proc.stdout
    assert _files(dest) == _files(source)


# --- issue 9: setuptools sdists are reproducible; only complete, verified releases are copied ---


def _publish_tag(root: Path, source: Server, dist: Path, version: str) -> dict[str, bytes]:
    """Tag ``root`` at ``version``, build it and upload the files to ``source``."""
    git(root, "tag", "-a", f"v{version}", "-m", f"Release {version}")
    built = build_dist(root, dist)
    proc = release_cli(
        "--project", str(root), "publish", "--repository", source.url, *map(str, built)
    )
    assert proc.returncode == 0, proc.stderr
    return _files(source)


@pytest.mark.slow
def test_promote_a_setuptools_project(two_indexes, tmp_path: Path) -> None:
    source, dest = two_indexes
    root = git_repo_of("setuptools-static", tmp_path)
    published = _publish_tag(root, source, tmp_path / "dist", "1.2.3")
    assert sorted(published) == [
        "rk_fixture_setuptools_static-1.2.3-py3-none-any.whl",
        "rk_fixture_setuptools_static-1.2.3.tar.gz",
    ]
    proc = promote(root, source, dest)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "sha256 of every file matches a fresh build of v1.2.3" in proc.stdout
    assert "(2 uploaded)" in proc.stdout
    assert _files(dest) == published


def test_promote_refuses_an_incomplete_release_on_the_source(
    tagged: Path, tagged_dist: list[Path], two_indexes
) -> None:
    source, dest = two_indexes
    sdist = next(p for p in tagged_dist if p.name.endswith(".tar.gz"))
    shutil.copy(sdist, source.root / sdist.name)  # the wheel is still being uploaded
    proc = promote(tagged, source, dest)
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: promote refused: the files on ")
    assert (
        "pub_hatch_cli-1.0.0-py3-none-any.whl: the tag builds it but the source index"
        in proc.stderr
    )
    assert _files(dest) == {}


def test_promote_refuses_a_release_that_fails_verification_on_the_source(
    two_indexes, tmp_path: Path
) -> None:
    source, dest = two_indexes
    root = git_repo_of("pub-broken", tmp_path)
    _publish_tag(root, source, tmp_path / "dist", "0.3.0")
    proc = promote(root, source, dest)
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert errors[0].startswith(
        f"error: promote refused: pub-broken 0.3.0 does not verify on {source.index_url}"
    ), proc.stderr
    assert _files(dest) == {}
