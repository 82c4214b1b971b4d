"""release.noxsupport: what every noxfile calls, run by a real nox on real noxfiles."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import NO_HYPOTHESIS, VENV_BIN, cli_env

from release.noxsupport import install_args_for_tests, releasekit_install_args

NOXFILE = """
import json
from pathlib import Path

import nox
from release import noxsupport


def record(session):
    with Path("calls.jsonl").open("a") as out:
        out.write(json.dumps([session.name, noxsupport.own_posargs(session)]) + "\\n")


@nox.session
def tests(session):
    if Path("skip-tests").exists():
        session.skip("no interpreter")
    record(session)


@nox.session(requires=["tests"])
def release(session):
    noxsupport.require_passed(session, ["tests"])
    record(session)
"""


def nox(root: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nox", "--force-venv-backend", "none", *argv],
        cwd=root,
        env=cli_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def calls(root: Path) -> list[list[object]]:
    path = root / "calls.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "noxfile.py").write_text(NOXFILE)
    return tmp_path


def test_posargs_reach_only_the_session_they_are_for(project: Path) -> None:
    proc = nox(project, "-s", "release", "--", "--part", "patch")
    assert proc.returncode == 0, proc.stderr
    assert calls(project) == [["tests", []], ["release", ["--part", "patch"]]]


def test_posargs_of_the_tests_session_alone_reach_pytest(project: Path) -> None:
    proc = nox(project, "-s", "tests", "--", "-k", "fast")
    assert proc.returncode == 0, proc.stderr
    assert calls(project) == [["tests", ["-k", "fast"]]]


def test_a_skipped_prerequisite_stops_the_release(project: Path) -> None:
    (project / "skip-tests").touch()
    proc = nox(project, "-s", "release", "--", "--part", "patch")
    assert proc.returncode == 1
    assert "tests (skipped) did not pass (skipped?); refusing to run release" in proc.stderr
    assert calls(project) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", ["releasekit==0.4.1"]),
        (">=0.2", ["releasekit>=0.2"]),
        ("releasekit~=0.4.0", ["releasekit~=0.4.0"]),
        (
            "https://example.com/releasekit-0.4.1.tar.gz",
            ["https://example.com/releasekit-0.4.1.tar.gz"],
        ),
    ],
)
def test_releasekit_requirement_variable(value: str, expected: list[str]) -> None:
    assert releasekit_install_args("0.4.1", {"RELEASEKIT_REQUIREMENT": value}) == expected


def test_releasekit_requirement_may_be_a_wheel_or_a_tree(tmp_path: Path) -> None:
    wheel = tmp_path / "releasekit-0.4.1-py3-none-any.whl"
    wheel.write_bytes(b"")
    env = {"RELEASEKIT_REQUIREMENT": wheel.name}
    assert releasekit_install_args("0.1.0", env, cwd=tmp_path) == [str(wheel)]
    env = {"RELEASEKIT_REQUIREMENT": str(tmp_path)}
    assert releasekit_install_args("0.1.0", env) == [str(tmp_path)]


PYPROJECTS = {
    "extra": (
        '[project]\nname = "p"\nversion = "1"\n'
        '[project.optional-dependencies]\ntest = ["pytest-mock"]\ndocs = ["sphinx"]\n',
        [".[test]", "pytest"],
    ),
    "extras test and dev": (
        '[project]\nname = "p"\nversion = "1"\n'
        '[project.optional-dependencies]\ndev = ["ruff"]\ntesting = ["pytest>=8"]\n',
        [".[testing,dev]", "pytest"],
    ),
    "dependency group with include": (
        '[project]\nname = "p"\nversion = "1"\n'
        '[dependency-groups]\ntyping = ["mypy"]\n'
        'dev = ["pytest", "anyio>=4", {include-group = "typing"}]\n',
        [".", "pytest", "anyio>=4", "mypy"],
    ),
    "poetry groups": (
        '[tool.poetry]\nname = "p"\nversion = "1"\n'
        "[tool.poetry.group.test.dependencies]\n"
        'pytest = "^8.1"\npytest-mock = {version = "~3.14", extras = ["x"]}\nhypothesis = "*"\n'
        'attrs = ">=23,<25"\n'
        '[tool.poetry.group.docs.dependencies]\nsphinx = "*"\n',
        [
            ".",
            "pytest>=8.1,<9",
            "pytest-mock[x]>=3.14,<3.15",
            "hypothesis",
            "attrs>=23,<25",
        ],
    ),
    "test-requirements override": (
        '[project]\nname = "p"\nversion = "1"\n'
        '[project.optional-dependencies]\ntest = ["pytest-mock"]\n'
        '[tool.release]\ntest-requirements = ["pytest", "pytest-xdist"]\n',
        [".", "pytest", "pytest-xdist"],
    ),
    "nothing declared": ('[project]\nname = "p"\nversion = "1"\n', [".", "pytest"]),
}


@pytest.mark.parametrize("case", PYPROJECTS)
def test_the_tests_session_installs_what_the_project_declares(tmp_path: Path, case: str) -> None:
    text, expected = PYPROJECTS[case]
    (tmp_path / "pyproject.toml").write_text(text)
    assert install_args_for_tests(tmp_path) == expected


GATE_NOXFILE = """
import nox
from release import noxsupport


@nox.session
def tests(session):
    noxsupport.run_tests(session)
"""


def _gate_project(root: Path, require: bool | None, tests: bool) -> Path:
    release = (
        f"[tool.release]\nrequire-tests = {str(require).lower()}\n" if require is not None else ""
    )
    (root / "pyproject.toml").write_text(f'[project]\nname = "p"\nversion = "1"\n{release}')
    (root / "noxfile.py").write_text(GATE_NOXFILE)
    if tests:
        (root / "test_one.py").write_text("def test_one():\n    assert True\n")
    return root


def _gate(root: Path) -> subprocess.CompletedProcess[str]:
    # the session runs in this test environment (pytest is here); nothing is installed
    return nox(root, "--no-install", "-s", "tests", PYTEST_ADDOPTS=NO_HYPOTHESIS)


def test_a_project_without_tests_passes_the_gate_with_a_warning(tmp_path: Path) -> None:
    proc = _gate(_gate_project(tmp_path, None, tests=False))
    assert proc.returncode == 0, proc.stderr
    assert "WARNING: pytest collected no tests" in proc.stderr


def test_require_tests_fails_the_gate_without_tests(tmp_path: Path) -> None:
    proc = _gate(_gate_project(tmp_path, True, tests=False))
    assert proc.returncode == 1
    assert "pytest collected no tests, and [tool.release] require-tests = true" in proc.stderr


def test_the_gate_runs_the_tests_when_there_are_some(tmp_path: Path) -> None:
    proc = _gate(_gate_project(tmp_path, True, tests=True))
    assert proc.returncode == 0, proc.stderr
    assert "1 passed" in proc.stdout + proc.stderr


def test_a_bad_require_tests_value_is_a_clear_error(tmp_path: Path) -> None:
    root = _gate_project(tmp_path, None, tests=True)
    with (root / "pyproject.toml").open("a") as out:
        out.write('[tool.release]\nrequire-tests = "yes"\n')
    proc = _gate(root)
    assert proc.returncode == 1
    assert "[tool.release] require-tests must be a bool, not 'yes'" in proc.stderr
    assert "Traceback" not in proc.stderr


assert VENV_BIN.exists()
