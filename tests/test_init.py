"""release init: thin front doors for another project, written once, never clobbered."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import snapshot
from test_workflows import REPO, lint_workflows, tool, workflow_problems

from release.__main__ import main
from release.scaffold import (
    SESSIONS,
    TRIGGERS,
    noxfile,
    releasekit_requirement,
    releasekit_version,
)

WRITTEN = [
    ".github/pull_request_template.md",
    ".github/workflows/ci.yml",
    ".github/workflows/release.yml",
    ".gitignore",
    "noxfile.py",
    "tasks.py",
]
EXISTING_NOXFILE = '''"""Our own sessions."""

import nox

PYTHONS = ["3.11", "3.12"]


@nox.session(python=PYTHONS, name="tests")
def run_the_tests(session):
    session.install(".[test]")
    session.run("pytest")


@nox.session
def lint(session):
    session.run("ruff", "check", ".")


@nox.session(name="bump")
def our_bump(session):
    session.run("bump2version", *session.posargs)
'''


def init(capsys: pytest.CaptureFixture[str], root: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--project", str(root), "init", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_each_trigger_writes_thin_front_doors_that_pass_the_checks(
    tmp_path: Path, capsys, trigger: str
) -> None:
    code, out, err = init(capsys, tmp_path, "--trigger", trigger)
    assert (code, err) == (0, "")
    assert files(tmp_path) == WRITTEN
    assert out.splitlines()[0] == "  create noxfile.py"
    assert out.splitlines()[-2].startswith("next: ")
    for path in sorted((tmp_path / ".github" / "workflows").glob("*.yml")):
        assert workflow_problems(path) == [], path
    release = (tmp_path / ".github/workflows/release.yml").read_text()
    assert "__" not in release
    name = re.sub(r"[-_.]+", "-", tmp_path.name).lower()
    assert f"url: https://pypi.org/p/{name}" in release
    assert f"trigger {trigger}" in release.splitlines()[0] + release.splitlines()[1]
    assert any("RELEASEKIT_REQUIREMENT" in line for line in out.splitlines())


def test_every_trigger_passes_zizmor_and_the_schema(tmp_path: Path, capsys) -> None:
    """One run of each tool over what init writes for every trigger (each in its own project)."""
    workflows = []
    for trigger in TRIGGERS:
        root = tmp_path / trigger
        root.mkdir()
        assert init(capsys, root, "--trigger", trigger)[0] == 0
        workflows += sorted((root / ".github" / "workflows").glob("*.yml"))
    assert len(workflows) == 2 * len(TRIGGERS)
    lint_workflows(workflows)


def test_the_default_trigger_is_a_pushed_tag(tmp_path: Path, capsys) -> None:
    assert init(capsys, tmp_path)[0] == 0
    release = (tmp_path / ".github/workflows/release.yml").read_text()
    assert 'tags: ["v*"]' in release


def test_running_twice_changes_nothing(tmp_path: Path, capsys) -> None:
    assert init(capsys, tmp_path, "--trigger", "main")[0] == 0
    before = snapshot(tmp_path)
    code, out, err = init(capsys, tmp_path, "--trigger", "main")
    assert (code, out, err) == (0, "release init: every file is up to date (trigger main)\n", "")
    assert snapshot(tmp_path) == before


def test_a_file_that_differs_is_refused_without_force(tmp_path: Path, capsys) -> None:
    (tmp_path / "tasks.py").write_text("# our own tasks\n")
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github/workflows/ci.yml").write_text("name: ours\n")
    before = snapshot(tmp_path)
    code, out, err = init(capsys, tmp_path)
    assert (code, out) == (2, "")
    assert err == (
        "error: release init would overwrite tasks.py (nothing was written)\n"
        "hint: run again with --force to replace them, or move them aside\n"
    )
    assert snapshot(tmp_path) == before

    code, out, err = init(capsys, tmp_path, "--force")
    assert (code, err) == (0, "")
    assert "  overwrite tasks.py" in out.splitlines()
    assert (
        "  overwrite .github/workflows/ci.yml (its jobs (none) are replaced by tests)"
        in out.splitlines()
    )
    assert files(tmp_path) == WRITTEN


def test_switching_trigger_needs_force(tmp_path: Path, capsys) -> None:
    assert init(capsys, tmp_path, "--trigger", "tag")[0] == 0
    code, _, err = init(capsys, tmp_path, "--trigger", "release")
    assert code == 2
    assert "would overwrite .github/workflows/release.yml" in err
    assert init(capsys, tmp_path, "--trigger", "release", "--force")[0] == 0
    assert (
        "release:\n    types: [published]"
        in (tmp_path / ".github/workflows/release.yml").read_text()
    )


def test_an_existing_noxfile_only_gains_the_sessions_it_lacks(tmp_path: Path, capsys) -> None:
    (tmp_path / "noxfile.py").write_text(EXISTING_NOXFILE)
    code, out, _ = init(capsys, tmp_path)
    assert code == 0
    assert "  add release sessions to noxfile.py" in out.splitlines()
    text = (tmp_path / "noxfile.py").read_text()
    assert text.startswith(EXISTING_NOXFILE)
    added = text[len(EXISTING_NOXFILE) :]
    assert "def bump" not in added  # they have a bump session of their own
    assert "def tests" not in added
    assert '@nox.session(requires=["lint", "tests"])\ndef release(' in added
    assert "import nox\n" not in added
    assert "from release import noxsupport" in added

    proc = subprocess.run(
        [sys.executable, "-m", "nox", "--list", "--noxfile", str(tmp_path / "noxfile.py")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    for name in ("tests", "lint", "bump", "release", "publish", "verify", "github-release"):
        assert f"\n* {name}" in proc.stdout or f"\n- {name}" in proc.stdout, proc.stdout

    before = snapshot(tmp_path)
    assert init(capsys, tmp_path)[0] == 0
    assert snapshot(tmp_path) == before


def test_a_noxfile_without_import_nox_gets_one(tmp_path: Path) -> None:
    existing = 'from nox import session\n\n\n@session\ndef tests(s):\n    s.run("pytest")\n'
    text = noxfile(existing)
    assert text.startswith(existing)
    assert "\nimport nox  # noqa: E402\n" in text
    compile(text, "noxfile.py", "exec")


def test_a_broken_noxfile_is_refused(tmp_path: Path, capsys) -> None:
    (tmp_path / "noxfile.py").write_text("def broken(:\n")
    before = snapshot(tmp_path)
    code, _, err = init(capsys, tmp_path)
    assert code == 2
    assert err.startswith("error: noxfile.py is not valid Python (line 1)")
    assert snapshot(tmp_path) == before


def test_an_unknown_trigger_is_a_usage_error(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--project", str(tmp_path), "init", "--trigger", "nightly"])
    assert info.value.code == 2
    assert files(tmp_path) == []


def test_generated_python_is_clean_and_calls_only_the_cli(tmp_path: Path, capsys) -> None:
    assert init(capsys, tmp_path)[0] == 0
    generated = [tmp_path / "noxfile.py", tmp_path / "tasks.py"]
    for path in generated:
        compile(path.read_text(), str(path), "exec")
    text = (tmp_path / "noxfile.py").read_text()
    # no lint configuration: no lint session; a tag trigger: no publish-dev
    assert text.count("@nox.session") == len(SESSIONS) - 2
    assert "def lint" not in text
    installs = "noxsupport.install_releasekit(session, RELEASEKIT)"
    assert text.count(installs) == len(SESSIONS) - 3
    assert f'RELEASEKIT = "{releasekit_version()}"' in text
    if not _has("ruff"):
        pytest.skip("ruff comes with the lint extra")
    for args in (
        ["check", "--select", "E,F,W,I,B,UP,SIM,RUF", "--target-version", "py310"],
        ["format", "--check"],
    ):
        # run in the project, where release is a third-party package as in any other project
        proc = subprocess.run(
            [tool("ruff"), args[0], "--isolated", *args[1:], *map(str, generated)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr


def _has(name: str) -> bool:
    try:
        tool(name)
    except AssertionError:
        return False
    return True


@pytest.mark.parametrize(
    ("version", "requirement"),
    [
        ("0.1.0", "releasekit==0.1.0"),
        ("2.3.1rc1", "releasekit==2.3.1rc1"),
        ("0+unknown", "releasekit"),
    ],
)
def test_the_sessions_pin_the_releasekit_that_wrote_them(version: str, requirement: str) -> None:
    assert releasekit_requirement(version) == requirement


def test_the_wheel_carries_the_templates() -> None:
    from hatchling.builders.wheel import WheelBuilder

    included = {f.distribution_path for f in WheelBuilder(str(REPO)).recurse_included_files()}
    templates = REPO / "release" / "templates"
    expected = {
        str(p.relative_to(REPO)) for p in templates.rglob("*") if p.is_file() and p.suffix != ".pyc"
    }
    assert expected <= included
    assert "release/templates/workflows/release-tag.yml" in included
