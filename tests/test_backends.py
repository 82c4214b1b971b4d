"""``release bump patch`` on real projects, proven by building them with their real backends.

Each project under ``tests/packages`` keeps its version where one build backend reads it. The
test bumps a copy, checks that the only bytes that changed are the version string, then builds
an sdist and a wheel with that backend and reads the version back from their metadata: what
the backend reports is the proof that the rewritten file is the one it reads.

The builds run without isolation: the backends are installed in the test environment (the
``test`` extra), so one environment serves every build instead of one created per test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from pathlib import Path

import pytest
from conftest import git, init_repo, snapshot
from packaging.utils import canonicalize_name

from release.__main__ import main

PACKAGES = Path(__file__).parent / "packages"

# Warnings are errors in the builds too, as in pytest: a fixture that makes a backend warn is
# fixed, not silenced. The one exception is not the fixture's doing: setuptools-scm is installed
# in this shared environment, so its file finder joins every setuptools build and warns in the
# ones that do not configure it. An isolated build of those projects would not have it at all.
BUILD_WARNINGS = ",".join(
    [
        "error",
        "ignore:The setuptools.file_finders entry point is deprecated:DeprecationWarning",
    ]
)

# Variables that would point git at another repository (as inside a git hook).
GIT_REDIRECTS = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
)


@dataclass(frozen=True)
class Project:
    """A fixture project and what ``release bump patch`` must do to it."""

    name: str
    dist: str
    old: str
    new: str
    # files whose version string the bump rewrites; none when git tags are the version
    changed: tuple[str, ...]
    # files whose CRLF line endings are part of the test
    crlf: tuple[str, ...] = ()

    @property
    def vcs(self) -> bool:
        """Whether the version comes from git tags."""
        return not self.changed


PROJECTS = [
    Project(
        "setuptools-static", "rk-fixture-setuptools-static", "1.2.3", "1.2.4", ("pyproject.toml",)
    ),
    Project(
        "setuptools-attr",
        "rk-fixture-setuptools-attr",
        "1.2.3",
        "1.2.4",
        ("pkg_attr/__init__.py",),
    ),
    Project(
        "setup-cfg",
        "rk-fixture-setup-cfg",
        "1.2.3",
        "1.2.4",
        ("setup.cfg",),
        crlf=("setup.cfg",),
    ),
    Project(
        "hatchling-static", "rk-fixture-hatchling-static", "1.2.3", "1.2.4", ("pyproject.toml",)
    ),
    Project(
        "hatchling-path",
        "rk-fixture-hatchling-path",
        "1.2.3",
        "1.2.4",
        ("src/rk_fixture_hatchling_path/__about__.py",),
    ),
    Project("flit-core", "rk-fixture-flit-core", "1.2.3", "1.2.4", ("rk_fixture_flit_core.py",)),
    Project(
        "poetry-core",
        "rk-fixture-poetry-core",
        "0.1.0a8",
        "0.1.0",
        ("pyproject.toml",),
        crlf=("pyproject.toml",),
    ),
    Project(
        "pdm-backend",
        "rk-fixture-pdm-backend",
        "1.2.3",
        "1.2.4",
        ("src/rk_fixture_pdm_backend/__init__.py",),
    ),
    Project("setuptools-scm", "rk-fixture-setuptools-scm", "1.2.3", "1.2.4", ()),
    Project("hatch-vcs", "rk-fixture-hatch-vcs", "1.2.3", "1.2.4", ()),
    Project("pdm-scm", "rk-fixture-pdm-scm", "1.2.3", "1.2.4", ()),
]


@pytest.fixture
def hermetic_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """git that reads no user or system configuration and finds no repository above tmp_path."""
    for name in GIT_REDIRECTS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))


def make_repo(project: Path, tag: str) -> None:
    """Commit ``project`` in a new repository, tag that commit, and commit once more after it."""
    init_repo(project)
    # hermetic_git reads no global configuration: the release tag needs an identity here
    git(project, "config", "user.name", "releasekit tests")
    git(project, "config", "user.email", "tests@releasekit.invalid")
    git(project, "tag", "-a", tag, "-m", f"Release {tag}")
    # one commit gets one release tag: the next release needs a commit after this one
    git(project, "commit", "-q", "--allow-empty", "-m", "Work after the release")


def replaced_at(old: bytes, new: bytes, old_version: bytes, new_version: bytes) -> int:
    """The one offset in ``old`` where writing ``new_version`` over ``old_version`` gives ``new``."""
    offsets = []
    start = old.find(old_version)
    while start >= 0:
        if old[:start] + new_version + old[start + len(old_version) :] == new:
            offsets.append(start)
        start = old.find(old_version, start + 1)
    assert len(offsets) == 1, f"not one version string replaced: {old!r} -> {new!r}"
    return offsets[0]


def build(project: Path, outdir: Path) -> tuple[Path, Path]:
    """Build an sdist and a wheel of ``project`` with its real backend; their paths."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--no-isolation",
            "--sdist",
            "--wheel",
            "--outdir",
            str(outdir),
            str(project),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": BUILD_WARNINGS},
        check=False,
    )
    assert done.returncode == 0, f"build failed:\n{done.stdout}\n{done.stderr}"
    sdists = sorted(outdir.glob("*.tar.gz"))
    wheels = sorted(outdir.glob("*.whl"))
    assert len(sdists) == 1, sdists
    assert len(wheels) == 1, wheels
    return sdists[0], wheels[0]


def metadata(raw: bytes) -> tuple[str, str]:
    """Name and Version of a core metadata file (METADATA, PKG-INFO)."""
    headers = BytesHeaderParser().parsebytes(raw)
    return headers["Name"], headers["Version"]


def sdist_metadata(path: Path) -> tuple[str, str]:
    """Name and Version from the sdist's top-level PKG-INFO."""
    with tarfile.open(path) as tar:
        infos = [m for m in tar.getmembers() if re.fullmatch(r"[^/]+/PKG-INFO", m.name)]
        assert len(infos) == 1, [m.name for m in tar.getmembers()]
        handle = tar.extractfile(infos[0])
        assert handle is not None
        return metadata(handle.read())


def wheel_metadata(path: Path) -> tuple[str, str]:
    """Name and Version from the wheel's .dist-info/METADATA."""
    with zipfile.ZipFile(path) as whl:
        names = [n for n in whl.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)]
        assert len(names) == 1, whl.namelist()
        return metadata(whl.read(names[0]))


@pytest.mark.usefixtures("hermetic_git")
@pytest.mark.parametrize("spec", PROJECTS, ids=lambda p: p.name)
def test_bump_patch_is_what_the_backend_builds(
    spec: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / spec.name
    shutil.copytree(
        PACKAGES / spec.name,
        project,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "build", "dist", "*.egg-info"),
    )
    for rel in spec.crlf:
        data = (project / rel).read_bytes()
        # the fixture lost its CRLF bytes (an editor, or git without tests/packages/.gitattributes)
        assert b"\r\n" in data and data.count(b"\n") == data.count(b"\r\n"), f"{rel} is not CRLF"
    if spec.vcs:
        make_repo(project, f"v{spec.old}")
    before = snapshot(project, git_state=False)
    cli = ["--project", str(project)]

    assert main([*cli, "version"]) == 0
    assert capsys.readouterr().out == f"{spec.old}\n"

    assert main([*cli, "bump", "patch", *(["--tag"] if spec.vcs else [])]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[0] == f"{spec.old} -> {spec.new}"
    assert captured.err == ""

    assert main([*cli, "version"]) == 0
    assert capsys.readouterr().out == f"{spec.new}\n"

    after = snapshot(project, git_state=False)
    assert sorted(after) == sorted(before), "the bump created or deleted files"
    assert sorted(rel for rel in before if before[rel] != after[rel]) == sorted(spec.changed)
    for rel in spec.changed:
        old, new = before[rel], after[rel]
        offset = replaced_at(old, new, spec.old.encode(), spec.new.encode())
        # the spot is the version assignment, not another mention of the same string
        line_start = old.rfind(b"\n", 0, offset) + 1
        assert re.fullmatch(
            rb"[ \t]*(__version__|version)[ \t]*=[ \t]*['\"]?", old[line_start:offset]
        )

    if spec.vcs:
        assert f"v{spec.new}" in git(project, "tag", "--points-at", "HEAD").split()
        assert git(project, "status", "--porcelain") == ""

    sdist, wheel = build(project, tmp_path / "dist")
    for name, version in (sdist_metadata(sdist), wheel_metadata(wheel)):
        assert canonicalize_name(name) == canonicalize_name(spec.dist)
        assert version == spec.new
