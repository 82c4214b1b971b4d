"""The CLI contract of version and bump: output, exit status, and nothing changed on refusal."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import git, snapshot

from release.__main__ import main

PYPROJECT = '[project]\nname = "demo"\nversion = "1.2.3"  # the version\n'
CHANGELOG = "# Changelog\n\n## [Unreleased]\n\n- new\n\n## [1.2.3] - 2020-01-01\n"


def run(capsys: pytest.CaptureFixture[str], root: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--project", str(root), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_version_prints_the_version(make_project, capsys) -> None:
    root = make_project({"pyproject.toml": PYPROJECT})
    assert run(capsys, root, "version") == (0, "1.2.3\n", "")


def test_bump_rewrites_sources_and_changelog(make_project, capsys) -> None:
    root = make_project(
        {
            "pyproject.toml": PYPROJECT + '[tool.release]\nversion-files = ["demo.py"]\n',
            "demo.py": "__version__ = '1.2.3'\n",
            "CHANGELOG.md": CHANGELOG,
        }
    )
    code, out, err = run(capsys, root, "bump", "minor")
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == "1.2.3 -> 1.3.0"
    assert (
        (root / "pyproject.toml")
        .read_text()
        .startswith('[project]\nname = "demo"\nversion = "1.3.0"  # the version\n')
    )
    assert (root / "demo.py").read_text() == "__version__ = '1.3.0'\n"
    log = (root / "CHANGELOG.md").read_text()
    assert "## [Unreleased]\n\n## [1.3.0] - " in log
    assert run(capsys, root, "version")[1] == "1.3.0\n"


def test_python_dash_m_release(make_project) -> None:
    root = make_project({"pyproject.toml": PYPROJECT})
    proc = subprocess.run(
        [sys.executable, "-m", "release", "--project", str(root), "bump", "patch", "--dry-run"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "1.2.3 -> 1.2.4"


def test_dry_run_changes_nothing(make_project, capsys) -> None:
    root = make_project({"pyproject.toml": PYPROJECT, "CHANGELOG.md": CHANGELOG}, repo=True)
    before = snapshot(root)
    code, out, _ = run(capsys, root, "bump", "patch", "--dry-run", "--commit", "--tag")
    assert code == 0
    assert out.splitlines() == [
        "1.2.3 -> 1.2.4",
        "  would rewrite pyproject.toml:3 1.2.3 -> 1.2.4 ([project].version)",
        "  would move [Unreleased] in CHANGELOG.md to [1.2.4]",
        "  would commit 2 file(s): Release 1.2.4 (was 1.2.3)",
        "  would create annotated tag v1.2.4",
    ]
    assert snapshot(root) == before


def test_crlf_and_quotes_are_kept(make_project, capsys) -> None:
    data = b"[project]\r\nname = 'demo'\r\nversion = '1.2.3'\t# v\r\n"
    root = make_project({"pyproject.toml": data})
    assert run(capsys, root, "bump", "patch")[0] == 0
    assert (root / "pyproject.toml").read_bytes() == data.replace(b"1.2.3", b"1.2.4")


def test_commit_and_tag(make_project, capsys) -> None:
    root = make_project(
        {"pyproject.toml": PYPROJECT, "CHANGELOG.md": CHANGELOG, "other.txt": "x\n"}, repo=True
    )
    (root / "other.txt").write_text("changed, not part of the release\n")
    git(root, "add", "other.txt")
    code, out, err = run(capsys, root, "bump", "patch", "--tag")
    assert code == 0, err
    assert "did create annotated tag v1.2.4" in out
    assert git(root, "log", "-1", "--format=%s") == "Release 1.2.4 (was 1.2.3)"
    assert git(root, "show", "--name-only", "--format=", "HEAD").split() == [
        "CHANGELOG.md",
        "pyproject.toml",
    ]
    assert git(root, "cat-file", "-t", "v1.2.4") == "tag"  # annotated
    assert git(root, "rev-parse", "v1.2.4^{commit}") == git(root, "rev-parse", "HEAD")
    assert git(root, "show", "v1.2.4:pyproject.toml").count('version = "1.2.4"') == 1
    # the unrelated staged change stays staged and out of the commit
    assert git(root, "status", "--porcelain") == "M  other.txt"


def test_vcs_bump_is_a_tag(make_project, capsys) -> None:
    root = make_project(
        {"pyproject.toml": '[project]\nname = "a"\ndynamic = ["version"]\n[tool.setuptools_scm]\n'},
        repo=True,
    )
    git(root, "tag", "-a", "v0.4.1", "-m", "0.4.1")
    (root / "f.py").write_text("x = 1\n")
    git(root, "add", "f.py")
    git(root, "commit", "-qm", "change")
    head = git(root, "rev-parse", "HEAD")
    code, out, err = run(capsys, root, "bump", "minor", "--tag")
    assert code == 0, err
    assert out.splitlines()[0] == "0.4.1 -> 0.5.0"
    assert git(root, "rev-parse", "v0.5.0^{commit}") == head
    assert git(root, "rev-parse", "HEAD") == head  # no commit: nothing to change
    assert run(capsys, root, "version")[1] == "0.5.0\n"


def _refused(capsys, root: Path, *argv: str, error: str) -> str:
    before = snapshot(root)
    code, out, err = run(capsys, root, *argv)
    assert code == 2, (out, err)
    lines = err.splitlines()
    assert lines[0].startswith("error: "), err
    assert error in lines[0]
    assert "Traceback" not in err
    assert snapshot(root) == before
    return err


BAD_INPUT = [
    (
        "invalid toml",
        {"pyproject.toml": '[project\nversion = "1.0"\n'},
        ["bump", "patch"],
        "is not valid TOML",
    ),
    (
        "no version",
        {"pyproject.toml": '[project]\nname = "a"\n'},
        ["bump", "patch"],
        "no version found",
    ),
    (
        "not a version",
        {"pyproject.toml": '[project]\nname = "a"\nversion = "not.a.version"\n'},
        ["bump", "patch"],
        "pyproject.toml:3: 'not.a.version' is not a valid PEP 440 version",
    ),
    (
        "unknown part",
        {"pyproject.toml": PYPROJECT},
        ["bump", "micro"],
        "unknown part or invalid version 'micro'",
    ),
    (
        "release on final",
        {"pyproject.toml": PYPROJECT},
        ["bump", "release"],
        "1.2.3 is already final",
    ),
    (
        "phase backwards",
        {"pyproject.toml": '[project]\nname = "a"\nversion = "1.3.0b1"\n'},
        ["bump", "alpha"],
        "cannot go from 1.3.0b1 (beta) back to alpha",
    ),
    (
        "missing version file",
        {"pyproject.toml": PYPROJECT + '[tool.release]\nversion-files = ["gone.py"]\n'},
        ["bump", "patch"],
        "version file gone.py is listed in [tool.release] version-files but does not exist",
    ),
    (
        "disagreeing sources",
        {
            "pyproject.toml": PYPROJECT + '[tool.release]\nversion-files = ["v.py"]\n',
            "v.py": "VERSION = '1.2.2'\n",
        },
        ["bump", "patch"],
        "version sources disagree: pyproject.toml:3 has 1.2.3 ([project].version); v.py:1 has 1.2.2",
    ),
    (
        "explicit not greater",
        {"pyproject.toml": PYPROJECT},
        ["bump", "1.2.3"],
        "is not greater than",
    ),
    (
        "explicit local",
        {"pyproject.toml": PYPROJECT},
        ["bump", "1.3+abc"],
        "local versions cannot be published",
    ),
    (
        "unknown config key",
        {"pyproject.toml": PYPROJECT + "[tool.release]\ntag_format = 'x{version}'\n"},
        ["bump", "patch"],
        "unknown [tool.release] key(s): tag_format",
    ),
    ("pre on final", {"pyproject.toml": PYPROJECT}, ["bump", "pre"], "1.2.3 is not a pre-release"),
]


@pytest.mark.parametrize(
    ("files", "argv", "error"), [b[1:] for b in BAD_INPUT], ids=[b[0] for b in BAD_INPUT]
)
def test_bad_input_exits_2_and_changes_nothing(make_project, capsys, files, argv, error) -> None:
    root = make_project({**files, "CHANGELOG.md": CHANGELOG}, repo=True)
    _refused(capsys, root, *argv, error=error)


def test_read_only_source_rewrites_nothing(make_project, capsys) -> None:
    root = make_project(
        {
            "pyproject.toml": PYPROJECT + '[tool.release]\nversion-files = ["a.py", "b.py"]\n',
            "a.py": '__version__ = "1.2.3"\n',
            "b.py": '__version__ = "1.2.3"\n',
            "CHANGELOG.md": CHANGELOG,
        }
    )
    os.chmod(root / "b.py", stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    err = _refused(capsys, root, "bump", "patch", error="b.py is read-only")
    assert "hint: " in err
    assert not list(root.glob(".*releasekit-tmp"))


def test_no_git_identity(make_project, capsys, monkeypatch, tmp_path) -> None:
    root = make_project({"pyproject.toml": PYPROJECT}, repo=True)
    empty = tmp_path / "empty-home"
    empty.mkdir()
    monkeypatch.setenv("HOME", str(empty))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty / "none"))
    err = _refused(capsys, root, "bump", "patch", "--tag", error="no git identity")
    assert "hint: git config user.name" in err


def test_existing_tag_is_refused(make_project, capsys) -> None:
    root = make_project({"pyproject.toml": PYPROJECT}, repo=True)
    git(root, "tag", "v1.2.4")
    _refused(capsys, root, "bump", "patch", "--tag", error="tag v1.2.4 already exists")


def test_uncommitted_source_is_refused_for_commit(make_project, capsys) -> None:
    root = make_project({"pyproject.toml": PYPROJECT, "CHANGELOG.md": CHANGELOG}, repo=True)
    with (root / "CHANGELOG.md").open("a") as fh:
        fh.write("- unsaved work\n")
    _refused(capsys, root, "bump", "patch", "--commit", error="uncommitted changes in CHANGELOG.md")


def test_not_a_repository_is_refused_for_commit(make_project, capsys) -> None:
    root = make_project({"pyproject.toml": PYPROJECT})
    _refused(capsys, root, "bump", "patch", "--commit", error="is not inside a git repository")


def test_failed_tag_rolls_back_commit_and_files(make_project, capsys) -> None:
    # a tag v1.2.4/x makes refs/tags/v1.2.4 a directory: the commit succeeds, the tag fails
    root = make_project({"pyproject.toml": PYPROJECT, "CHANGELOG.md": CHANGELOG}, repo=True)
    git(root, "tag", "v1.2.4/x")
    before = snapshot(root)
    head = git(root, "rev-parse", "HEAD")
    code, _, err = run(capsys, root, "bump", "patch", "--tag")
    assert code == 1
    assert err.startswith("error: git could not create tag v1.2.4")
    assert git(root, "rev-parse", "HEAD") == head
    assert snapshot(root) == before


def test_usage_errors(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    assert "error: " in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["bump"])
    assert info.value.code == 2


def test_missing_project_dir(capsys, tmp_path) -> None:
    code, _, err = run(capsys, tmp_path / "nope", "version")
    assert code == 2
    assert err.startswith("error: project directory")
