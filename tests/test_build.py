"""release build: from a clean checkout of a commit, reproducible, never the work tree."""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

import pytest
from conftest import build_dist, commit_all, git, git_repo_of, release_cli, sha256


def test_untracked_and_modified_files_stay_out(tmp_path) -> None:
    root = git_repo_of("pub-hatch-cli", tmp_path)
    package = root / "src" / "pub_hatch_cli"
    (package / "untracked_secret.py").write_text("TOKEN = 'leaked'\n")
    committed = (package / "__init__.py").read_text()
    (package / "__init__.py").write_text(committed + "\nMODIFIED_IN_WORK_TREE = True\n")

    proc = release_cli("--project", str(root), "build", "--no-isolation")
    assert proc.returncode == 0, proc.stderr
    assert "note: uncommitted and untracked files are not in the build" in proc.stderr
    sdist, wheel = (Path(line) for line in proc.stdout.splitlines())
    assert sdist.name == "pub_hatch_cli-1.0.0.tar.gz" and sdist.parent == root / "dist"
    with tarfile.open(sdist) as tf:
        names = tf.getnames()
        init = tf.extractfile("pub_hatch_cli-1.0.0/src/pub_hatch_cli/__init__.py")
        assert init is not None
        assert init.read().decode() == committed
    assert not [n for n in names if "untracked_secret" in n]
    with zipfile.ZipFile(wheel) as zf:
        assert not [n for n in zf.namelist() if "untracked_secret" in n]
        assert zf.read("pub_hatch_cli/__init__.py").decode() == committed
    # the work tree is as it was
    assert (package / "untracked_secret.py").exists()
    assert "MODIFIED_IN_WORK_TREE" in (package / "__init__.py").read_text()


def test_hatchling_sdist_and_wheel_are_reproducible(hatch_cli, tmp_path) -> None:
    root, dist = hatch_cli
    again = build_dist(root, tmp_path / "again")
    assert [sha256(p) for p in again] == [sha256(p) for p in dist]


@pytest.mark.slow
def test_build_a_tag_not_the_head(tmp_path) -> None:
    root = git_repo_of("pub-hatch-cli", tmp_path)
    git(root, "tag", "-a", "v1.0.0", "-m", "Release 1.0.0")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('version = "1.0.0"', 'version = "1.1.0"'))
    commit_all(root, "Release 1.1.0")
    proc = release_cli(
        "--project", str(root), "build", "--no-isolation", "--ref", "v1.0.0",
        "--outdir", str(tmp_path / "old"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert sorted(Path(line).name for line in proc.stdout.splitlines()) == [
        "pub_hatch_cli-1.0.0-py3-none-any.whl",
        "pub_hatch_cli-1.0.0.tar.gz",
    ]
    # check names the tag's version: 1.0.0 files at v1.0.0 pass, at HEAD (1.1.0) they do not
    proc = release_cli(
        "--project", str(root), "check", "--ref", "v1.0.0", "--dist", str(tmp_path / "old")
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "(tag v1.0.0)" in proc.stdout
    old = sorted((tmp_path / "old").iterdir())
    proc = release_cli("--project", str(root), "check", *map(str, old))
    assert proc.returncode == 1
    assert "version 1.0.0, but the release is 1.1.0" in proc.stderr


def test_check_refuses_a_local_version(tmp_path) -> None:
    root = git_repo_of("pub-hatch-cli", tmp_path)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('version = "1.0.0"', 'version = "1.0.0+dirty"')
    )
    commit_all(root, "local version")
    build_dist(root)
    proc = release_cli("--project", str(root), "check")
    assert proc.returncode == 1
    assert "1.0.0+dirty is a local version" in proc.stderr
    files = sorted(map(str, (root / "dist").iterdir()))
    proc = release_cli(
        "--project", str(root), "publish", "--repository", "http://127.0.0.1:1/", *files
    )
    assert proc.returncode == 2
    assert "local versions cannot be published" in proc.stderr


def test_default_isolated_build_writes_exactly_the_distributions(tmp_path) -> None:
    # the product default: an isolated build environment (uv build when uv is found)
    root = git_repo_of("pub-hatch-cli", tmp_path)
    outdir = tmp_path / "out"
    proc = release_cli("--project", str(root), "build", "--outdir", str(outdir))
    assert proc.returncode == 0, proc.stderr
    expected = ["pub_hatch_cli-1.0.0-py3-none-any.whl", "pub_hatch_cli-1.0.0.tar.gz"]
    assert sorted(p.name for p in outdir.iterdir()) == expected
    assert sorted(Path(line).name for line in proc.stdout.splitlines()) == expected
