"""release build: from a clean checkout of a commit, reproducible, never the work tree."""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

import pytest
from conftest import (
    build_dist,
    cli_env,
    commit_all,
    copy_package,
    git,
    git_repo_of,
    release_cli,
    sha256,
    snapshot,
)


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


def _slots(cache: Path) -> list[Path]:
    """The reused venv places under a cache directory (``release.slots``)."""
    return sorted(cache.glob("releasekit/venvs/*/slot-*"))


@pytest.mark.parametrize(
    "fixture",
    [
        "pub-hatch-cli",
        pytest.param("setuptools-static", marks=pytest.mark.slow),
        pytest.param("setup-cfg", marks=pytest.mark.slow),
        pytest.param("flit-core", marks=pytest.mark.slow),
        pytest.param("pdm-backend", marks=pytest.mark.slow),
        pytest.param("poetry-core", marks=pytest.mark.slow),
    ],
)
def test_the_declared_requirements_alone_build_what_uv_build_builds(tmp_path, fixture) -> None:
    """The default build runs in a fresh environment of ``[build-system] requires`` (two
    backend processes, not uv build's four) and makes the same bytes as uv build."""
    from release import build, config

    root = git_repo_of(fixture, tmp_path)
    cache = tmp_path / "cache"
    proc = release_cli("--project", str(root), "build", env=cli_env(XDG_CACHE_HOME=str(cache)))
    assert proc.returncode == 0, proc.stderr
    assert "building again" not in proc.stderr
    declared = [Path(line) for line in proc.stdout.splitlines()]
    assert [p.name for p in _slots(cache)] == ["slot-0"]  # it was made there, and emptied
    assert list(_slots(cache)[0].iterdir()) == []
    isolated = build.build(config.load(root), outdir=tmp_path / "iso", declared=False)
    assert [p.name for p in isolated.artifacts] == [p.name for p in declared]
    assert [sha256(p) for p in isolated.artifacts] == [sha256(p) for p in declared]


HOOK = """\
import sys

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class Stamp(BuildHookInterface):
    def initialize(self, version, build_data):
        with open(self.root + "/built_by.txt", "w") as fh:  # the interpreter that built it
            fh.write(sys.executable)
        build_data["force_include"][self.root + "/built_by.txt"] = "built_by.txt"
        if self.config.get("needs-tomli-w"):
            try:
                import tomli_w  # asked for by the hook's dependencies, not by requires
            except ImportError:
                with open(self.root + "/stray.txt", "w") as fh:  # left in the tree
                    fh.write("from the build that failed")
                raise
            with open(self.root + "/stamp.toml", "w") as fh:
                fh.write(tomli_w.dumps({"stamped": True}))
"""


def _with_hook(tmp_path: Path, table: str) -> Path:
    """pub-hatch-cli with the ``HOOK`` build hook configured by ``table``, committed."""
    root = copy_package("pub-hatch-cli", tmp_path)
    (root / "hatch_build.py").write_text(HOOK)
    (root / ".gitignore").write_text("built_by.txt\n")
    with (root / "pyproject.toml").open("a") as fh:
        fh.write(table)
    commit_all(root, "initial", init=True)
    return root


def _built_by(sdist: Path) -> str:
    with tarfile.open(sdist) as tf:
        member = tf.extractfile(f"{sdist.name[: -len('.tar.gz')]}/built_by.txt")
        assert member is not None
        return member.read().decode()


def test_the_build_runs_in_the_declared_environment_unless_uv_would_choose_otherwise(
    tmp_path,
) -> None:
    """The interpreter that ran the backend: the reused place's venv; but where a setting of
    uv's would make its install choose other versions than uv build (UV_RESOLUTION here),
    uv build's own isolated environment."""
    root = _with_hook(tmp_path, "\n[tool.hatch.build.targets.sdist.hooks.custom]\n")
    cache = tmp_path / "cache"
    env = cli_env(XDG_CACHE_HOME=str(cache))
    proc = release_cli("--project", str(root), "build", env=env)
    assert proc.returncode == 0, proc.stderr
    by = _built_by(Path(proc.stdout.splitlines()[0]))
    assert by.startswith(f"{cache}/releasekit/venvs/") and by.endswith("/venv/bin/python"), by

    env["UV_RESOLUTION"] = "lowest-direct"
    proc = release_cli("--project", str(root), "build", env=env)
    assert proc.returncode == 0, proc.stderr
    by = _built_by(Path(proc.stdout.splitlines()[0]))
    assert not by.startswith(str(cache)) and "/builds-v" in by, by
    assert "building again" not in proc.stderr


@pytest.mark.slow
def test_a_backend_that_asks_for_more_than_it_declares_builds_as_uv_build_does(tmp_path) -> None:
    """hatchling asks for a build hook's dependencies through get_requires_for_build_sdist:
    without them the sdist fails, and the isolated build, which installs them, makes it,
    from a fresh checkout (not the tree the failed build wrote into)."""
    root = _with_hook(
        tmp_path,
        "\n[tool.hatch.build.targets.sdist.hooks.custom]\n"
        'dependencies = ["tomli-w"]\nneeds-tomli-w = true\n',
    )
    proc = release_cli("--project", str(root), "build")
    assert proc.returncode == 0, proc.stderr
    assert (
        "build: failed with only the declared build requirements (hatchling>=1.21); "
        "building again as uv build does, with what the backend asks for"
    ) in proc.stderr
    sdist = Path(proc.stdout.splitlines()[0])
    with tarfile.open(sdist) as tf:
        names = [n.split("/", 1)[1] for n in tf.getnames() if "/" in n]
        stamp = tf.extractfile(f"{sdist.name[: -len('.tar.gz')]}/stamp.toml")
        assert stamp is not None and stamp.read().decode() == "stamped = true\n"
    assert "stray.txt" not in names
    assert "/builds-v" in _built_by(sdist)


def test_a_build_that_fails_anyway_reports_the_isolated_builds_failure(tmp_path) -> None:
    root = copy_package("pub-hatch-cli", tmp_path)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('license = "MIT"', 'license = "Not A Licence"')
    )
    commit_all(root, "initial", init=True)
    before = snapshot(root)
    proc = release_cli("--project", str(root), "build")
    assert proc.returncode == 1
    assert proc.stderr.count("building again as uv build does") == 1
    error = next(line for line in proc.stderr.splitlines() if line.startswith("error: "))
    assert error.startswith("error: build of ") and error.endswith("its last lines:")
    assert "Not A Licence" in proc.stderr
    assert snapshot(root) == before and not (root / "dist").exists()


@pytest.mark.parametrize("bytecode", [False, True])
def test_the_build_environment_is_compiled_only_when_asked(tmp_path, bytecode) -> None:
    """Many CI images set UV_COMPILE_BYTECODE: for one package's two builds, compiling the
    whole backend costs more than it saves, and uv build does not compile either."""
    from release import buildenv
    from release.tools import which

    uv = which("uv")
    assert uv is not None
    # a cache of its own: the suite's has the backends compiled already (see README)
    env = cli_env(UV_COMPILE_BYTECODE="1", UV_CACHE_DIR=str(tmp_path / "uv-cache"))
    python = buildenv.make(uv, tmp_path / "env", ("hatchling>=1.21",), env, bytecode=bytecode)
    assert python is not None
    (site,) = (tmp_path / "env" / "venv" / "lib").glob("python*/site-packages")
    compiled = sorted(site.glob("hatchling/**/*.pyc"))
    assert bool(compiled) is bytecode
    assert (site / "hatchling" / "build.py").is_file()
