"""The commands run by hand start quickly: they load only what they use, and git is plain git."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import cli_env, git, git_repo_of, loaded_by, snapshot

from release import git as release_git
from release import sources
from release.__main__ import main
from release.config import load
from release.errors import GitError, SourceError

HEAVY = ("git", "gitdb", "twine", "requests", "urllib3", "rich", "tomlkit", "keyring")
"""What a quick command must not import: each costs tens to hundreds of milliseconds."""


def _loaded(*argv: str) -> tuple[int, str, set[str]]:
    """Run the CLI in a fresh interpreter; its exit status, output and top-level modules."""
    code, out, _, modules = loaded_by(*argv)
    return code, out, {m.split(".")[0] for m in modules}


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (("bump", "patch", "--dry-run"), "1.0.0 -> 1.0.1"),
        (("status",), "next:        1.0.1 (--part patch)"),
        (("version",), "1.0.0"),
    ],
)
def test_quick_commands_load_no_heavy_library(
    tmp_path: Path, argv: tuple[str, ...], says: str
) -> None:
    root = git_repo_of("pub-hatch-cli", tmp_path)
    before = snapshot(root)
    code, out, modules = _loaded("--project", str(root), *argv)
    assert code == 0, out
    assert says in out.splitlines()
    assert sorted(modules.intersection(HEAVY)) == []
    assert snapshot(root) == before


def test_the_version_is_placed_where_the_key_is_not_where_the_same_text_comes_first(
    tmp_path: Path,
) -> None:
    # the same string in a comment and under another table: only [project].version is rewritten
    root = tmp_path / "p"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '# version = "1.0.0" was the first release\n'
        '[tool.other]\nversion = "1.0.0"\n'
        '[project]\nname = "p"\nversion = "1.0.0"\n'
    )
    git(tmp_path, "init", "-q", "-b", "main", str(root))
    (source,) = sources.discover(load(root)).sources
    assert (source.what, source.line, source.raw) == ("[project].version", 6, "1.0.0")
    text = (root / "pyproject.toml").read_text()
    assert text[source.start : source.end] == "1.0.0"
    assert text.index('version = "1.0.0"\n', text.index("[project]")) + 11 == source.start


def test_a_multi_line_version_string_is_still_refused(tmp_path: Path) -> None:
    # the quick path leaves it to tomlkit, which says it cannot be rewritten in place
    root = tmp_path / "p"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "p"\nversion = """1.0.0"""\n')
    git(tmp_path, "init", "-q", "-b", "main", str(root))
    with pytest.raises(SourceError, match="cannot rewrite in place"):
        sources.discover(load(root))


def test_a_repository_made_inside_a_known_one_is_found(tmp_path: Path) -> None:
    outer = git_repo_of("pub-hatch-cli", tmp_path)
    inner = outer / "src"
    assert release_git.open_repo(inner).top == outer.resolve()
    git(inner, "init", "-q", "-b", "main")
    assert release_git.open_repo(inner).top == inner.resolve()


def _shapes_of_repositories(tmp_path: Path) -> dict[str, Path]:
    """Directories in every place git's search can end: each named by where it stands."""
    outer = git_repo_of("pub-hatch-cli", tmp_path)
    (outer / "docs" / "deep").mkdir(parents=True)
    (outer / "nested").mkdir()
    git(outer / "nested", "init", "-q", "-b", "main")
    git(outer / "nested", "commit", "-q", "--allow-empty", "-m", "nested")
    (outer / "not-a-repo" / ".git").mkdir(parents=True)  # an empty .git: git looks further up
    (outer / "only-head" / ".git").mkdir(parents=True)
    (outer / "only-head" / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    for name, text in (("gitfile-to-nowhere", "gitdir: /nonexistent\n"), ("not-a-gitfile", "x\n")):
        (outer / name).mkdir()
        (outer / name / ".git").write_text(text)
    git(outer, "init", "-q", "--bare", str(outer / "bare.git"))
    for name, key, value in (
        ("own-work-tree", "core.worktree", str(outer)),
        ("says-bare", "core.bare", "true"),
    ):
        git(outer, "init", "-q", str(outer / name))
        git(outer / name, "config", key, value)
    git(outer, "worktree", "add", "-q", str(tmp_path / "linked"), "-b", "linked")
    git(
        outer,
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        str(outer / "nested"),
        "sub",
    )
    alone = tmp_path / "alone"
    alone.mkdir()
    link = tmp_path / "via-link"
    link.symlink_to(outer / "docs")
    shapes = {
        "top": outer, "subdirectory": outer / "docs" / "deep", "nested": outer / "nested",
        "empty .git": outer / "not-a-repo", ".git with only HEAD": outer / "only-head",
        "gitfile to nowhere": outer / "gitfile-to-nowhere", "not a gitfile": outer / "not-a-gitfile",
        "inside a bare repository": outer / "bare.git" / "refs",
        "core.worktree elsewhere": outer / "own-work-tree", "core.bare": outer / "says-bare",
        "linked work tree": tmp_path / "linked", "submodule": outer / "sub",
        "no repository": alone, "through a link": link,
    }  # fmt: skip
    if os.geteuid() == 0:  # a repository of another owner: git's safe.directory decides
        owned = outer / "owned"
        git(outer, "init", "-q", str(owned))
        for where, _, names in os.walk(owned):
            for name in [".", *names]:
                os.chown(Path(where, name), 65534, 65534)
        shapes["another owner"] = owned
    return shapes


def test_the_work_tree_is_found_without_git_where_git_finds_it(tmp_path: Path) -> None:
    shapes = _shapes_of_repositories(tmp_path)
    for shape, directory in shapes.items():
        done = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=directory,
            env={**cli_env(), "GIT_CEILING_DIRECTORIES": str(tmp_path)},
            capture_output=True,
            text=True,
        )
        by_git = Path(done.stdout.strip()) if done.returncode == 0 else None
        assert release_git.find_root(directory) == by_git, shape
    assert release_git.find_root(shapes["no repository"]) is None
    assert release_git.find_root(shapes["subdirectory"]) == shapes["top"].resolve()


def test_where_gits_environment_moves_the_search_git_is_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outer = git_repo_of("pub-hatch-cli", tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setenv("GIT_DIR", str(outer / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(outer))
    assert release_git.find_root(elsewhere) == outer.resolve()  # no .git above it: git knows


def test_a_rejected_push_names_the_ref_and_gits_reason(tmp_path: Path) -> None:
    work = git_repo_of("pub-hatch-cli", tmp_path)
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    git(work, "remote", "add", "origin", str(bare))
    git(work, "push", "-q", "origin", "main")
    git(work, "commit", "-q", "--allow-empty", "-m", "local")
    clone = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(bare), str(clone))
    git(clone, "commit", "-q", "--allow-empty", "-m", "theirs")
    git(clone, "push", "-q", "origin", "main")
    git(work, "tag", "-a", "v9", "-m", "v9")
    repo = release_git.open_repo(work)
    with pytest.raises(GitError) as caught:
        release_git.push_atomic(repo, "origin", ["refs/heads/main:refs/heads/main", "refs/tags/v9"])
    message = caught.value.message
    assert message.startswith("push to origin was rejected: refs/heads/main: [rejected]"), message
    assert git(bare, "tag") == ""  # atomic: the tag did not go either


def test_a_value_that_is_also_a_command_name_does_not_confuse_the_parser(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # the project directory is called "bump"; the command is status, with its own options
    root = git_repo_of("pub-hatch-cli", tmp_path)
    root = root.rename(tmp_path / "bump")
    before = snapshot(root)
    monkeypatch.chdir(tmp_path)
    assert main(["--project", "bump", "status", "--part", "minor"]) == 0
    out = capsys.readouterr().out
    assert "next:        1.1.0 (--part minor)" in out.splitlines()
    assert snapshot(root) == before


LAZY = (
    "release.stepcommands", "release.settings", "release.retry", "release.publish",
    "release.auto", "shutil", "dataclasses", "inspect", "subprocess",
)  # fmt: skip
"""What ``bump --dry-run`` leaves unloaded besides HEAVY: other commands' modules; shutil
(argparse would load it, and bz2 and lzma with it, only to ask the terminal's width);
dataclasses, with the inspect it imports (``release.values`` makes the value classes); and
subprocess: the dry run starts no git, it finds the work tree by its ``.git``."""


def test_bump_dry_run_loads_only_its_own_modules(tmp_path: Path) -> None:
    root = git_repo_of("pub-hatch-cli", tmp_path)
    code, out, err, modules = loaded_by("--project", str(root), "bump", "patch", "--dry-run")
    assert code == 0, out + err
    assert out.splitlines()[0] == "1.0.0 -> 1.0.1"
    assert sorted(modules.intersection(LAZY)) == []


def test_publish_loads_no_upload_library() -> None:
    # the upload is a plain POST: twine's settings (and keyring) only when credentials need them
    code = "import sys, release.publish; print(sorted(m for m in sys.modules if m.split('.')[0] in {'twine', 'requests', 'urllib3', 'keyring', 'rich'}))"
    done = subprocess.run(
        [sys.executable, "-c", code], env=cli_env(), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_help_keeps_the_terminal_width_argparse_would_read(tmp_path: Path) -> None:
    # the width is read without shutil, as shutil reads it: COLUMNS first
    for columns in ("50", "120"):
        done = subprocess.run(
            [sys.executable, "-m", "release", "bump", "--help"],
            env=cli_env(COLUMNS=columns),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert max(len(line) for line in lines) <= int(columns) - 2
        assert max(len(line) for line in lines) > int(columns) - 20


@pytest.mark.parametrize("argv", [("--help", "bump"), ("-h", "status"), ("--help",)])
def test_help_before_a_command_still_lists_every_command(argv: tuple[str, ...]) -> None:
    # only the named command's parser is built, except when the help of all is asked for
    from release.cliargs import COMMANDS

    done = subprocess.run(
        [sys.executable, "-m", "release", *argv],
        env=cli_env(COLUMNS="100"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    listed = [line.split()[0] for line in done.stdout.splitlines() if line.startswith("    ")]
    assert [c for c in listed if c in COMMANDS] == list(COMMANDS)
