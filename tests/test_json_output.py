"""``--json``: one document on standard output, checked against the fields the README documents."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import cli_env, git, git_repo_of, release_cli, snapshot

from release.server import Server

# the README's table: the fields every document has, and those each command adds
COMMON = {"schema", "command", "ok", "release", "target", "checks", "steps", "outcomes", "error"}
EXTRA = {
    "version": set(),
    "bump": {"dry_run", "auto", "commit"},
    "status": {"resume", "complete", "on_index", "dirty", "credentials", "auto"},
    "ship": {"dry_run", "rehearsal", "released", "files"},
}
SHIP_STEPS = ["bump", "build", "check", "push", "upload", "verify"]


def parse(proc: subprocess.CompletedProcess[str], command: str) -> dict[str, Any]:
    """Standard output as exactly one JSON document of the documented shape."""
    doc = json.loads(proc.stdout)  # the whole of stdout: one document, nothing else
    assert isinstance(doc, dict)
    assert set(doc) == COMMON | EXTRA[command]
    assert doc["schema"] == 1
    assert doc["command"] == command
    assert doc["ok"] is (doc["error"] is None)
    if doc["release"] is not None:
        assert set(doc["release"]) == {"name", "current", "next", "tag"}
    if doc["target"] is not None:
        assert set(doc["target"]) == {"name", "upload_url", "index_url", "source"}
    for check in doc["checks"]:
        assert set(check) == {"name", "ok", "warn", "message", "hint"}
        assert isinstance(check["ok"], bool) and check["message"]
        assert check["ok"] or check["hint"]  # a failed check says what to do
        assert not check["ok"] or check["hint"] is None
    for step in doc["steps"]:
        assert set(step) == {"name", "description"} and step["description"]
    for outcome in doc["outcomes"]:
        assert set(outcome) == {"name", "outcome", "seconds", "detail"}
        assert outcome["outcome"] in ("ok", "skipped", "failed")
        assert isinstance(outcome["seconds"], float | int) and outcome["seconds"] >= 0
    if doc["error"] is not None:
        assert set(doc["error"]) == {"message", "hint", "exit_code"}
        assert doc["error"]["exit_code"] == proc.returncode
    return doc


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """The hatch fixture project committed on main and pushed to a bare origin."""
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    root = git_repo_of("pub-hatch-cli", tmp_path)
    git(root, "remote", "add", "origin", str(bare))
    git(root, "push", "-q", "-u", "origin", "main")
    return root


def test_version(work: Path) -> None:
    proc = release_cli("--project", str(work), "version", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = parse(proc, "version")
    assert doc["release"] == {
        "name": "pub-hatch-cli",
        "current": "1.0.0",
        "next": None,
        "tag": "v1.0.0",
    }
    # the flag before the command name gives the same document
    before = release_cli("--json", "--project", str(work), "version")
    assert json.loads(before.stdout) == doc


def test_bump_dry_run_changes_nothing(work: Path) -> None:
    before = snapshot(work)
    proc = release_cli("--project", str(work), "bump", "minor", "--dry-run", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = parse(proc, "bump")
    assert doc["release"] == {
        "name": "pub-hatch-cli",
        "current": "1.0.0",
        "next": "1.1.0",
        "tag": "v1.1.0",
    }
    assert (doc["dry_run"], doc["commit"]) == (True, None)
    text = release_cli("--project", str(work), "bump", "minor", "--dry-run").stdout
    # the same plan as the text, line for line
    assert [f"  would {s['description']}" for s in doc["steps"]] == text.splitlines()[1:]
    assert snapshot(work) == before


def test_bump_real_reports_its_commit(work: Path) -> None:
    proc = release_cli("--project", str(work), "bump", "patch", "--commit", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = parse(proc, "bump")
    assert doc["release"]["next"] == "1.0.1"
    assert doc["dry_run"] is False
    assert doc["commit"] == git(work, "rev-parse", "HEAD")
    assert git(work, "log", "-1", "--format=%s") == "Release 1.0.1 (was 1.0.0)"


def test_status_matches_the_text(work: Path, pypi_index: Server) -> None:
    argv = ["--project", str(work), "status", "--repository", pypi_index.url]
    proc = release_cli(*argv, "--json")
    assert proc.returncode == 0, proc.stderr
    doc = parse(proc, "status")
    assert doc["release"]["next"] == "1.0.1"
    assert doc["target"] == {
        "name": "url",
        "upload_url": pypi_index.url,
        "index_url": pypi_index.index_url,
        "source": "--repository",
    }
    assert all(c["ok"] for c in doc["checks"]) and doc["checks"]
    assert [s["name"] for s in doc["steps"]] == SHIP_STEPS
    assert (doc["resume"], doc["complete"], doc["on_index"], doc["dirty"]) == (
        False,
        False,
        [],
        [],
    )
    text = release_cli(*argv).stdout.splitlines()
    planned = [line.removeprefix("ship would ") for line in text if line.startswith("ship would")]
    assert planned == [f"{s['name']}: {s['description']}" for s in doc["steps"]]
    checks = [line.strip() for line in text if line.startswith("  [")]
    assert checks == [
        f"[{('warn' if c['warn'] else 'ok') if c['ok'] else 'FAIL'}] {c['name']}: {c['message']}"
        for c in doc["checks"]
    ]


def test_status_reports_a_refusal_with_its_hint(work: Path, pypi_index: Server) -> None:
    (work / "README.md").write_text("changed\n")
    proc = release_cli("--project", str(work), "status", "--repository", pypi_index.url, "--json")
    doc = parse(proc, "status")
    assert proc.returncode == 0
    (bad,) = [c for c in doc["checks"] if not c["ok"]]
    assert bad["name"] == "clean work tree" and "git stash" in bad["hint"]
    assert doc["steps"] == [] and doc["dirty"] == ["README.md"]


def test_ship_dry_run(work: Path, pypi_index: Server) -> None:
    before = snapshot(work)
    argv = ["--project", str(work), "ship", "--repository", pypi_index.url, "--dry-run", "--json"]
    proc = release_cli(*argv)
    assert proc.returncode == 0, proc.stderr
    doc = parse(proc, "ship")
    assert doc["release"]["tag"] == "v1.0.1"
    assert [s["name"] for s in doc["steps"]] == SHIP_STEPS
    assert [(o["name"], o["outcome"]) for o in doc["outcomes"]] == [("preflight", "ok")]
    assert (doc["dry_run"], doc["released"], doc["files"]) == (True, False, [])
    assert "==> preflight" in proc.stderr  # progress goes to standard error
    assert snapshot(work) == before


@pytest.mark.slow
def test_ship_real_records_each_step(work: Path, fresh_index: Server) -> None:
    argv = ["--project", str(work), "ship", "--repository", fresh_index.url, "--no-isolation"]
    proc = release_cli(*argv, "--json")
    assert proc.returncode == 0, proc.stderr
    doc = parse(proc, "ship")
    assert [(o["name"], o["outcome"]) for o in doc["outcomes"]] == [
        ("preflight", "ok"),
        *((name, "ok") for name in SHIP_STEPS),
    ]
    assert sum(o["seconds"] for o in doc["outcomes"]) > 0
    assert (doc["dry_run"], doc["released"]) == (False, True)
    files = sorted(p.name for p in fresh_index.root.iterdir() if p.is_file())
    assert sorted(doc["files"]) == files and len(files) == 2
    assert git(work, "tag", "--list") == "v1.0.1"


def test_an_error_is_still_one_document(work: Path, pypi_index: Server) -> None:
    before = snapshot(work)
    env = cli_env(RELEASE_RETRY_TIMEOUT="abc")
    argv = ["--project", str(work), "ship", "--repository", pypi_index.url, "--json"]
    proc = release_cli(*argv, env=env)
    assert proc.returncode == 2
    doc = parse(proc, "ship")
    assert doc["ok"] is False
    assert "RELEASE_RETRY_TIMEOUT" in doc["error"]["message"] and doc["error"]["hint"]
    assert doc["error"]["exit_code"] == 2
    lines = proc.stderr.splitlines()
    assert lines[-2] == f"error: {doc['error']['message']}"
    assert lines[-1] == f"hint: {doc['error']['hint']}"
    assert snapshot(work) == before


def test_a_preflight_refusal_keeps_the_checks(work: Path, pypi_index: Server) -> None:
    git(work, "tag", "v1.0.1")
    before = snapshot(work)
    argv = ["--project", str(work), "ship", "--repository", pypi_index.url, "--json"]
    proc = release_cli(*argv)
    assert proc.returncode == 2
    doc = parse(proc, "ship")
    assert [c["name"] for c in doc["checks"] if not c["ok"]] == ["tag"]
    assert doc["error"]["message"].startswith("preflight refused: ")
    assert [(o["name"], o["outcome"]) for o in doc["outcomes"]] == [("preflight", "failed")]
    assert snapshot(work) == before


def test_json_on_another_command_is_refused(work: Path) -> None:
    proc = release_cli("--json", "--project", str(work), "build")
    assert proc.returncode == 2
    doc = json.loads(proc.stdout)
    assert doc["error"]["message"] == "--json is not supported by release build"
    assert proc.stderr.splitlines()[0] == "error: --json is not supported by release build"
    assert not (work / "dist").exists()
