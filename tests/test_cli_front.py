"""The command line a user expects, through real ``python -m release`` runs: --version, global
options on either side of the command, suggestions for typos, completion, --part VERSION, help."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version as dist_version
from pathlib import Path

import pytest
from conftest import cli_env, release_cli, snapshot

PYPROJECT = '[project]\nname = "demo"\nversion = "1.2.3"\n'
COMMANDS = (
    "version",
    "bump",
    "build",
    "check",
    "publish",
    "verify",
    "serve-index",
    "github-release",
    "init",
    "promote",
    "ship",
    "status",
    "completion",
)


@pytest.fixture
def demo(make_project) -> Path:
    """A committed project at version 1.2.3."""
    return make_project({"pyproject.toml": PYPROJECT}, repo=True)


def run_in(cwd: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m release ARGV`` started in ``cwd``."""
    return subprocess.run(
        [sys.executable, "-m", "release", *argv],
        cwd=cwd,
        env=cli_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def refused(proc: subprocess.CompletedProcess[str]) -> list[str]:
    """The stderr lines of a usage refusal, after checking its status and empty stdout."""
    assert (proc.returncode, proc.stdout) == (2, ""), proc.stderr
    assert "usage:" not in proc.stderr and "Traceback" not in proc.stderr
    return proc.stderr.splitlines()


def test_version_flag_prints_releasekits_own_version() -> None:
    proc = release_cli("--version")
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == f"releasekit {dist_version('releasekit')}\n"


@pytest.mark.parametrize(
    "argv",
    [
        ("--project", "{p}", "version"),
        ("version", "--project", "{p}"),
        ("--project", "/nonexistent", "version", "--project", "{p}"),  # the later one wins
    ],
)
def test_project_before_or_after_the_command(demo: Path, tmp_path: Path, argv) -> None:
    proc = run_in(tmp_path, *(a.format(p=demo) for a in argv))
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "1.2.3\n", "")


def test_a_global_option_before_the_command_is_not_reset_by_the_command(
    demo: Path, tmp_path: Path
) -> None:
    # tmp_path is not a project: the subcommand's own --project default must not win
    proc = run_in(tmp_path, "--project", str(demo), "--debug", "version")
    assert (proc.returncode, proc.stdout) == (0, "1.2.3\n")


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_before_or_after_the_command_shows_the_traceback(tmp_path: Path, where) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    plain = run_in(tmp_path, "--project", str(empty), "version")
    assert plain.returncode == 2
    assert plain.stderr.startswith("error: ") and "Traceback" not in plain.stderr
    argv = ["--debug", "version"] if where == "before" else ["version", "--debug"]
    debug = run_in(tmp_path, "--project", str(empty), *argv)
    assert "Traceback (most recent call last)" in debug.stderr
    assert debug.returncode != 0


def test_a_mistyped_command_gets_a_suggestion(tmp_path: Path) -> None:
    assert refused(run_in(tmp_path, "shp")) == [
        "error: unknown command 'shp'",
        "hint: did you mean ship?",
    ]
    assert refused(run_in(tmp_path, "stauts", "--part", "minor")) == [
        "error: unknown command 'stauts'",
        "hint: did you mean status?",
    ]


def test_an_unknown_command_far_from_any_lists_them(tmp_path: Path) -> None:
    lines = refused(run_in(tmp_path, "xyzzy"))
    assert lines[0] == "error: unknown command 'xyzzy'"
    assert lines[1].startswith("hint: choose from version, bump, build,")
    assert len(lines) == 2


def test_no_command_is_an_error_with_a_hint(tmp_path: Path) -> None:
    assert refused(run_in(tmp_path)) == [
        "error: the following arguments are required: COMMAND",
        "hint: run 'release --help' for usage",
    ]


@pytest.mark.parametrize("command", ["ship", "status"])
def test_a_mistyped_part_gets_a_suggestion_and_changes_nothing(demo: Path, command) -> None:
    before = snapshot(demo)
    assert refused(run_in(demo, command, "--part", "pacth")) == [
        "error: argument --part: unknown part or invalid version 'pacth'",
        "hint: did you mean patch?",
    ]
    lines = refused(run_in(demo, command, "--part", "9x"))
    assert lines[0] == "error: argument --part: unknown part or invalid version '9x'"
    assert lines[1].startswith("hint: use one of major, minor, patch,")
    assert lines[1].endswith("or an explicit version such as 2.0.0")
    assert snapshot(demo) == before


def test_a_mistyped_choice_gets_a_suggestion_and_writes_nothing(demo: Path) -> None:
    before = snapshot(demo)
    assert refused(run_in(demo, "init", "--trigger", "tga")) == [
        "error: argument --trigger: invalid choice 'tga'",
        "hint: did you mean tag?",
    ]
    assert snapshot(demo) == before


def test_an_unknown_option_is_an_error_with_a_hint(demo: Path) -> None:
    assert refused(run_in(demo, "ship", "--dry-runn")) == [
        "error: unrecognized arguments: --dry-runn",
        "hint: run 'release --help' for usage",
    ]


def test_status_and_dry_run_take_an_explicit_version(demo: Path) -> None:
    before = snapshot(demo)
    status = run_in(demo, "status", "--part", "2.0.0")
    assert status.returncode == 0, status.stderr
    assert "next:        2.0.0 (--part 2.0.0)" in status.stdout.splitlines()
    assert "tag:         v2.0.0" in status.stdout.splitlines()
    dry = run_in(demo, "ship", "--dry-run", "--part", "2.0.0")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines()[-1].startswith("dry run: demo 2.0.0 (v2.0.0) to local")
    assert snapshot(demo) == before


@pytest.mark.parametrize("spec", ["1.0.0", "1.2.3"])
def test_ship_refuses_a_version_not_greater_than_the_current(demo: Path, spec) -> None:
    before = snapshot(demo)
    proc = run_in(demo, "ship", "--dry-run", "--part", spec)
    assert proc.returncode == 2
    errors = [line for line in proc.stderr.splitlines() if line.startswith(("error:", "hint:"))]
    assert errors[0] == f"error: {spec} is not greater than the current version 1.2.3"
    assert errors[1].startswith("hint: ")
    assert "Traceback" not in proc.stderr
    assert snapshot(demo) == before


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o nospace -o default -o bashdefault -F _python_argcomplete release"),
        ("zsh", "#compdef release"),
        ("fish", "complete --command release"),
    ],
)
def test_completion_prints_a_script(tmp_path: Path, shell, marker) -> None:
    proc = run_in(tmp_path, "completion", shell)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert marker in proc.stdout


def test_completion_of_an_unknown_shell_is_refused(tmp_path: Path) -> None:
    assert refused(run_in(tmp_path, "completion", "bsh")) == [
        "error: argument SHELL: invalid choice 'bsh'",
        "hint: did you mean bash?",
    ]


def test_the_completion_request_answers_command_names(tmp_path: Path) -> None:
    # what the shell function does: run the program with argcomplete's variables set
    answer = tmp_path / "answer"
    line = "release s"
    proc = run_in(
        tmp_path,
        _ARGCOMPLETE="1",
        _ARGCOMPLETE_IFS="\n",
        _ARGCOMPLETE_STDOUT_FILENAME=str(answer),
        COMP_LINE=line,
        COMP_POINT=str(len(line)),
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(answer.read_text().split()) == ["serve-index", "ship", "status"]


def test_a_normal_run_does_not_import_argcomplete(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "release", "--version"],
        cwd=tmp_path,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "| release" in proc.stderr  # the import log is there
    assert "argcomplete" not in proc.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_a_description(tmp_path: Path, command) -> None:
    proc = run_in(tmp_path, command, "--help")
    assert (proc.returncode, proc.stderr) == (0, "")
    paragraphs = proc.stdout.split("\n\n")
    assert paragraphs[0].startswith(f"usage: release {command} ")
    description = paragraphs[1]
    assert not description.startswith(("options:", "positional arguments:"))
    assert len(description.split()) >= 4
    assert "--project DIR" in proc.stdout and "--debug" in proc.stdout


def test_ship_help_says_the_default_target_is_a_rehearsal_that_changes_nothing(
    tmp_path: Path,
) -> None:
    proc = run_in(tmp_path, "ship", "--help")
    text = " ".join(proc.stdout.split())
    assert "the target is local: a rehearsal" in text
    assert "which changes nothing" in text
    assert "an explicit version greater than the current one" in text


def test_every_command_is_in_the_help_list(tmp_path: Path) -> None:
    proc = run_in(tmp_path, "--help")
    assert proc.returncode == 0
    assert "--version" in proc.stdout
    for command in COMMANDS:
        assert f"    {command}" in proc.stdout
