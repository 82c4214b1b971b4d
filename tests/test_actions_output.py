"""GitHub Actions: groups, ::error:: annotations, $GITHUB_OUTPUT, the step summary, assets."""

from __future__ import annotations

import hashlib
import io
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import cli_env, git, git_repo_of, release_cli, ship_dry_run, snapshot
from test_github import SENTINEL, FakeGitHub, github  # noqa: F401  (the stand-in GitHub API)

from release import github as github_mod
from release.progress import Reporter, escape_data
from release.server import Server

WHEEL, SDIST = "pub_hatch_cli-1.0.1-py3-none-any.whl", "pub_hatch_cli-1.0.1.tar.gz"


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """The hatch fixture project, announcing on GitHub, pushed to a bare origin."""
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    root = git_repo_of("pub-hatch-cli", tmp_path)
    (root / "CHANGELOG.md").write_text("# Changelog\n\n## [Unreleased]\n\n- Greets.\n")
    with (root / "pyproject.toml").open("a") as fh:
        fh.write("\n[tool.release]\ngithub-release = true\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "announce")
    git(root, "remote", "add", "origin", str(bare))
    git(root, "push", "-q", "-u", "origin", "main")
    return root


def actions_env(tmp_path: Path, **extra: str) -> tuple[dict[str, str], Path, Path]:
    """GITHUB_ACTIONS=true with output and summary files that already hold an earlier step's lines."""
    out, summary = tmp_path / "github_output", tmp_path / "step_summary"
    out.write_text("earlier=kept\n")
    summary.write_text("# earlier step\n")
    env = cli_env(GITHUB_ACTIONS="true", GITHUB_OUTPUT=str(out), GITHUB_STEP_SUMMARY=str(summary))
    env.update(extra)
    return env, out, summary


def groups(stderr: str) -> list[str]:
    """The names of the ::group:: blocks, checking each is closed before the next opens."""
    names, open_ = [], None
    for line in stderr.splitlines():
        if line.startswith("::group::"):
            assert open_ is None, f"{line} inside {open_}"
            open_ = line.removeprefix("::group::")
            names.append(open_)
        elif line == "::endgroup::":
            assert open_ is not None
            open_ = None
    assert open_ is None
    return names


def refuse_second_asset(fake: FakeGitHub) -> None:
    """GitHub refuses the second asset upload once (403), as a lost permission would."""
    original, seen = fake.handle, []

    def handle(method: str, path: str, body: Any) -> tuple[int, Any]:
        if method == "POST" and "?name=" in path:
            seen.append(path)
            if len(seen) == 2:
                return 403, {"message": "Resource not accessible by integration"}
        return original(method, path, body)

    fake.handle = handle  # type: ignore[method-assign]


@pytest.mark.slow
def test_ship_in_actions_then_the_resume(
    github: FakeGitHub,  # noqa: F811
    work: Path,
    fresh_index: Server,
    tmp_path: Path,
) -> None:
    """A failed announce: ::error::, released=false; the re-run uploads only the missing assets."""
    github.tags.add("v1.0.1")  # what the push step gives GitHub
    refuse_second_asset(github)
    env, out, summary = actions_env(tmp_path)
    argv = ["--project", str(work), "ship", "--repository", fresh_index.url, "--no-isolation"]
    first = release_cli(*argv, env=env)
    assert first.returncode == 1, first.stderr
    assert groups(first.stderr) == [
        "preflight",
        "bump",
        "build",
        "check",
        "push",
        "upload",
        "verify",
        "announce",
    ]
    (annotation,) = [line for line in first.stderr.splitlines() if line.startswith("::error::")]
    assert annotation.startswith("::error::announce failed: announce: GitHub refused to upload")
    assert "%0Ahint: " in annotation and "\r" not in annotation
    assert out.read_text() == "earlier=kept\nversion=1.0.1\ntag=v1.0.1\nreleased=false\n"
    assert len(github.assets) == 1

    second = release_cli(*argv, env=env)
    assert second.returncode == 0, second.stderr
    assert "::error::" not in second.stderr
    assert out.read_text().splitlines()[-3:] == ["version=1.0.1", "tag=v1.0.1", "released=true"]
    names = sorted(a["name"] for a in github.assets.values())
    assert names == ["SHA256SUMS", WHEEL, SDIST]  # each once: nothing duplicated
    uploads = [
        r["path"] for r in github.requests if r["method"] == "POST" and "?name=" in r["path"]
    ]
    assert len(uploads) == 4  # 2 on the first run (one refused), 2 on the re-run
    on_index = {p.name: p.read_bytes() for p in fresh_index.root.iterdir() if p.is_file()}
    sums = next(a for a in github.assets.values() if a["name"] == "SHA256SUMS")["data"].decode()
    assert sums == "".join(
        f"{hashlib.sha256(on_index[n]).hexdigest()}  {n}\n" for n in sorted(on_index)
    )
    for asset in github.assets.values():
        if asset["name"] != "SHA256SUMS":
            assert asset["data"] == on_index[asset["name"]]
    text = summary.read_text()
    assert text.startswith("# earlier step\n")
    heads = [line for line in text.splitlines() if line.startswith("### ")]
    assert heads[0].startswith("### release pub-hatch-cli 1.0.1 (v1.0.1): failed: announce failed")
    assert heads[1:] == ["### release pub-hatch-cli 1.0.1 (v1.0.1): released"]
    assert "| announce | failed |" in text and "| announce | ok |" in text
    for head in ("| step | outcome | time | detail |", "| upload | ok |", "| verify | ok |"):
        assert head in text
    everything = first.stdout + first.stderr + second.stdout + second.stderr
    assert SENTINEL not in everything + out.read_text() + text


def test_attach_keeps_what_is_there_and_replaces_a_stale_asset(
    github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Same name and content: kept; same name, other content: deleted and uploaded again."""
    wheel, sdist = tmp_path / WHEEL, tmp_path / SDIST
    wheel.write_bytes(b"wheel bytes")
    sdist.write_bytes(b"sdist bytes")
    client = github_mod.Client(github.url, SENTINEL)
    notes = github_mod.Notes(tag="v1.2.3", name="v1.2.3", body="notes", prerelease=False)
    outcome = github_mod.announce(client, "acme/widget", notes)
    first = github_mod.attach(client, "acme/widget", outcome, [wheel, sdist])
    assert first == (f"uploaded {WHEEL}", f"uploaded {SDIST}", "uploaded SHA256SUMS")
    again = github_mod.attach(client, "acme/widget", outcome, [wheel, sdist])
    assert again == (f"kept {WHEEL}", f"kept {SDIST}", "kept SHA256SUMS")
    sdist.write_bytes(b"other sdist")  # a broken earlier upload left other bytes there
    third = github_mod.attach(client, "acme/widget", outcome, [wheel, sdist])
    assert third == (f"kept {WHEEL}", f"replaced {SDIST}", "replaced SHA256SUMS")
    by_name = {a["name"]: a["data"] for a in github.assets.values()}
    assert by_name[SDIST] == b"other sdist" and len(github.assets) == 3
    assert [r["method"] for r in github.requests].count("DELETE") == 2


def test_an_error_annotation_is_one_escaped_line(tmp_path: Path) -> None:
    root = git_repo_of("pub-hatch-cli", tmp_path)
    before = snapshot(root)
    env, out, _summary = actions_env(tmp_path)
    proc = release_cli("--project", str(root), "bump", "x%y", env=env)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "error: unknown part or invalid version 'x%y'",
        "hint: use one of major, minor, patch, alpha, beta, rc, pre, dev, post, release, "
        "or an explicit version such as 2.0.0",
        "::error::unknown part or invalid version 'x%25y'%0Ahint: use one of major, minor, "
        "patch, alpha, beta, rc, pre, dev, post, release, or an explicit version such as 2.0.0",
    ]
    assert out.read_text() == "earlier=kept\n"  # only ship writes outputs
    assert snapshot(root) == before


def test_escape_data() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"


def test_groups_only_in_actions() -> None:
    plain, grouped = io.StringIO(), io.StringIO()
    for stream, actions in ((plain, False), (grouped, True)):
        reporter = Reporter(stream, actions=actions)
        reporter.start("build", "sdist and wheel")
        reporter.finish("ok", "2 files")
    assert "::" not in plain.getvalue()
    lines = grouped.getvalue().splitlines()
    assert lines[0] == "::group::build" and lines[-1] == "::endgroup::"
    assert lines[1:-1] == plain.getvalue().splitlines()


@pytest.mark.parametrize(
    ("extra", "coloured"),
    [({}, False), ({"FORCE_COLOR": "1"}, True), ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False)],
)
def test_force_color_off_a_terminal(
    tmp_path: Path, pypi_index: Server, extra: dict[str, str], coloured: bool
) -> None:
    root = git_repo_of("pub-hatch-cli", tmp_path)
    before = snapshot(root)
    env = cli_env()
    for var in ("NO_COLOR", "FORCE_COLOR"):
        env.pop(var, None)
    env.update(extra)
    proc = ship_dry_run(root, pypi_index.url, env)
    assert proc.returncode == 0, proc.stderr
    assert ("\033[32mok\033[0m" in proc.stderr) is coloured
    assert ("\033[" in proc.stderr) is coloured
    assert snapshot(root) == before


@pytest.mark.parametrize("actions", ["true", "false"])
def test_a_dry_run_in_actions_releases_nothing(
    tmp_path: Path, pypi_index: Server, actions: str
) -> None:
    """A dry run writes released=false; outside Actions (not exactly "true") nothing is written."""
    root = git_repo_of("pub-hatch-cli", tmp_path)
    before = snapshot(root)
    env, out, summary = actions_env(tmp_path, GITHUB_ACTIONS=actions)
    proc = ship_dry_run(root, pypi_index.url, env)
    assert proc.returncode == 0, proc.stderr
    if actions == "true":
        assert groups(proc.stderr) == ["preflight"]
        assert out.read_text() == "earlier=kept\nversion=1.0.1\ntag=v1.0.1\nreleased=false\n"
        assert "| preflight | ok |" in summary.read_text()
    else:
        assert "::" not in proc.stderr
        assert (out.read_text(), summary.read_text()) == ("earlier=kept\n", "# earlier step\n")
    assert snapshot(root) == before


def test_an_unwritable_output_file_is_a_warning(tmp_path: Path, pypi_index: Server) -> None:
    """The run's exit status is its own; a $GITHUB_OUTPUT that cannot be written is a warning."""
    root = git_repo_of("pub-hatch-cli", tmp_path)
    env, _out, summary = actions_env(tmp_path, GITHUB_OUTPUT=str(tmp_path))  # a directory
    proc = ship_dry_run(root, pypi_index.url, env)
    assert proc.returncode == 0, proc.stderr
    assert f"warning: cannot append to {tmp_path}: Is a directory" in proc.stderr.splitlines()
    assert "| preflight | ok |" in summary.read_text()
