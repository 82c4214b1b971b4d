"""Run a generated GitHub Actions workflow's steps here, as a runner would, for tests.

The steps come from the workflow file itself (no copy of its commands in a test). Each job gets
a fresh clone of the origin at the ref the trigger gives, with the depth its checkout step asks
for (``actions/checkout``'s default is 1; a tag gives a detached HEAD). ``uses:`` steps for
checkout and setup-python count as done: the clone is the checkout, and the Python is the one
running the tests. ``if:`` expressions on ``github.ref``, ``github.ref_type`` and
``github.event_name`` are evaluated; every ``run:`` step runs as written, with bash, in order,
with the ``GITHUB_*`` variables Actions sets and the job's and step's ``env:``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

VENV_BIN = Path(sys.executable).parent


@dataclass
class Event:
    """What started the run: the event's name and the full ref (refs/heads/X, refs/tags/Y)."""

    name: str
    ref: str

    @property
    def ref_name(self) -> str:
        """The branch or tag name."""
        return self.ref.split("/", 2)[2]

    @property
    def ref_type(self) -> str:
        """``branch`` or ``tag``."""
        return "tag" if self.ref.startswith("refs/tags/") else "branch"


@dataclass
class StepResult:
    """One ``run:`` step: its command and how it ended."""

    job: str
    run: str
    returncode: int
    output: str


@dataclass
class JobResult:
    """One job: skipped by its ``if:``, or the steps it ran (it stops at the first failure)."""

    name: str
    skipped: bool = False
    steps: list[StepResult] = field(default_factory=list)
    workdir: Path | None = None

    @property
    def ok(self) -> bool:
        """Whether every step it ran succeeded."""
        return all(s.returncode == 0 for s in self.steps)


# --- the expression language, as far as the generated workflows use it ---

_TOKEN = re.compile(r"\s*(&&|\|\||==|!=|!|\(|\)|,|'(?:[^']|'')*'|[A-Za-z_][\w.-]*)")


def _tokens(expr: str) -> list[str]:
    expr = expr.strip()
    if expr.startswith("${{") and expr.endswith("}}"):
        expr = expr[3:-2]
    out, pos = [], 0
    while pos < len(expr.rstrip()):
        match = _TOKEN.match(expr, pos)
        if not match:
            raise ValueError(f"cannot evaluate {expr!r} at {expr[pos:]!r}")
        out.append(match.group(1))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, tokens: list[str], context: dict[str, Any]) -> None:
        self.tokens, self.context = tokens, context

    def peek(self) -> str | None:
        return self.tokens[0] if self.tokens else None

    def take(self) -> str:
        return self.tokens.pop(0)

    def expr(self) -> Any:
        value = self.conj()
        while self.peek() == "||":
            self.take()
            right = self.conj()
            value = value or right
        return value

    def conj(self) -> Any:
        value = self.comparison()
        while self.peek() == "&&":
            self.take()
            right = self.comparison()
            value = value and right
        return value

    def comparison(self) -> Any:
        value = self.unary()
        while self.peek() in ("==", "!="):
            op = self.take()
            right = self.unary()
            value = (str(value).lower() == str(right).lower()) == (op == "==")
        return value

    def unary(self) -> Any:
        if self.peek() == "!":
            self.take()
            return not self.unary()
        return self.atom()

    def atom(self) -> Any:
        token = self.take()
        if token == "(":
            value = self.expr()
            assert self.take() == ")"
            return value
        if token.startswith("'"):
            return token[1:-1].replace("''", "'")
        if token in ("true", "false"):
            return token == "true"
        if self.peek() == "(":
            self.take()
            args = [self.expr()]
            while self.peek() == ",":
                self.take()
                args.append(self.expr())
            assert self.take() == ")"
            return _FUNCTIONS[token.lower()](*args)
        value: Any = self.context
        for part in token.split("."):
            value = value.get(part, "") if isinstance(value, dict) else ""
        return value


_FUNCTIONS = {
    "startswith": lambda s, p: str(s).lower().startswith(str(p).lower()),
    "endswith": lambda s, p: str(s).lower().endswith(str(p).lower()),
    "contains": lambda s, p: str(p).lower() in str(s).lower(),
}


def evaluate(expr: str, context: dict[str, Any]) -> Any:
    """The value of a workflow expression (``if:`` or ``${{ }}``) in ``context``."""
    return _Parser(_tokens(expr), context).expr()


def substitute(text: str, context: dict[str, Any]) -> str:
    """``text`` with every ``${{ expr }}`` replaced by its value."""
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: str(evaluate(m.group(1), context)), text)


# --- running ---


def _git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def checkout(origin: Path, event: Event, dest: Path, depth: int) -> Path:
    """``actions/checkout``: a clone of ``origin`` at the event's ref (depth 0: everything)."""
    args = ["clone", "-q", "--branch", event.ref_name]
    if depth:
        args += ["--depth", str(depth)]
    _git(*args, f"file://{origin}", str(dest))
    return dest


def _github_env(event: Event, origin: Path, workdir: Path, files: Path) -> dict[str, str]:
    sha = _git("rev-parse", f"{event.ref}^{{commit}}", cwd=origin)
    env = {
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": event.name,
        "GITHUB_REF": event.ref,
        "GITHUB_REF_NAME": event.ref_name,
        "GITHUB_REF_TYPE": event.ref_type,
        "GITHUB_SHA": sha,
        "GITHUB_REPOSITORY": "example/project",
        "GITHUB_REPOSITORY_OWNER": "example",
        "GITHUB_RUN_ID": "1",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_WORKSPACE": str(workdir),
        "GITHUB_SERVER_URL": "https://github.com",
        "RUNNER_TEMP": str(files),
    }
    for name in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_STEP_SUMMARY", "GITHUB_PATH"):
        path = files / name.lower()
        path.touch()
        env[name] = str(path)
    return env


def run_workflow(
    workflow: Path,
    event: Event,
    origin: Path,
    workdir: Path,
    *,
    env: dict[str, str],
    overrides: dict[str, str] | None = None,
    skip: tuple[str, ...] = (),
) -> list[JobResult]:
    """Run every job of ``workflow`` that ``event`` starts; ``overrides`` win over ``env:``.

    ``overrides`` stand in for what differs between GitHub and the test: the index the
    workflow names (``RELEASE_REPOSITORY: pypi``) is the test's pypiserver. Steps whose
    ``run:`` is in ``skip`` (and jobs made only of them) are left out: GitHub's API is not here.
    """
    data = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    context = {
        "github": {
            "ref": event.ref,
            "ref_name": event.ref_name,
            "ref_type": event.ref_type,
            "event_name": event.name,
            "token": "not-a-real-token",
            "repository": "example/project",
        },
        "matrix": {},
        "vars": {},
        "secrets": {},
    }
    results: list[JobResult] = []
    done: dict[str, bool] = {}
    for job_id, job in data["jobs"].items():
        needs = job.get("needs", [])
        needs = [needs] if isinstance(needs, str) else needs
        condition = job.get("if")
        runnable = all(done.get(n) for n in needs)
        if not runnable or (condition is not None and not evaluate(str(condition), context)):
            results.append(JobResult(job_id, skipped=True))
            done[job_id] = False
            continue
        runs = [s["run"] for s in job.get("steps", []) if "run" in s]
        if runs and all(r in skip or r.startswith("python -m pip install") for r in runs):
            results.append(JobResult(job_id, skipped=True))
            done[job_id] = True
            continue
        job = {**job, "steps": [s for s in job.get("steps", []) if s.get("run") not in skip]}
        result = _run_job(job_id, job, event, origin, workdir / job_id, context, env, overrides)
        results.append(result)
        done[job_id] = result.ok
    return results


# Settings of the machine running the tests that a GitHub runner does not have. Without
# bytecode written, every process of every session venv compiled what it imported again; with
# UV_COMPILE_BYTECODE, every install compiled all it installed, used or not.
_NOT_ON_A_RUNNER = ("PYTHONDONTWRITEBYTECODE", "UV_COMPILE_BYTECODE")


def _run_job(
    job_id: str,
    job: dict[str, Any],
    event: Event,
    origin: Path,
    workdir: Path,
    context: dict[str, Any],
    env: dict[str, str],
    overrides: dict[str, str] | None,
) -> JobResult:
    workdir.mkdir(parents=True)
    files = workdir / "runner"
    files.mkdir()
    clone = workdir / "workspace"
    result = JobResult(job_id, workdir=clone)
    base = {k: v for k, v in env.items() if k not in _NOT_ON_A_RUNNER}
    base["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    base.update(_github_env(event, origin, clone, files))
    base.update({k: substitute(str(v), context) for k, v in (job.get("env") or {}).items()})
    for step in job.get("steps", []):
        condition = step.get("if")
        if condition is not None and not evaluate(str(condition), context):
            continue
        uses = str(step.get("uses", ""))
        if uses.startswith("actions/checkout@"):
            depth = int((step.get("with") or {}).get("fetch-depth", 1))
            checkout(origin, event, clone, depth)
            continue
        if uses:
            continue  # setup-python: the interpreter running the tests
        step_env = {k: substitute(str(v), context) for k, v in (step.get("env") or {}).items()}
        proc = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", step["run"]],
            cwd=clone,
            env={**base, **step_env, **(overrides or {})},
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=900,
        )
        result.steps.append(
            StepResult(job_id, step["run"], proc.returncode, proc.stdout + proc.stderr)
        )
        if proc.returncode != 0:
            break
    return result
