"""Shared fixtures: an isolated git configuration and helpers for real repositories."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGES = Path(__file__).parent / "packages"


@pytest.fixture(autouse=True)
def git_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git configuration of our own: a known identity, no system or user settings."""
    home = tmp_path_factory.mktemp("home")
    config = home / ".gitconfig"
    config.write_text(
        "[user]\n\tname = Release Tester\n\temail = tester@example.com\n"
        "[init]\n\tdefaultBranch = main\n[tag]\n\tgpgSign = false\n[commit]\n\tgpgSign = false\n"
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delenv("EMAIL", raising=False)
    return config


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` and return its stripped output."""
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def init_repo(path: Path) -> Path:
    """Make ``path`` a git repository with everything in it committed."""
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


def snapshot(path: Path) -> dict[str, bytes]:
    """Every work-tree file's bytes plus git's refs, HEAD, config and status: to prove nothing changed."""
    files = {
        str(p.relative_to(path)): p.read_bytes()
        for p in sorted(path.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(path).parts
    }
    if (path / ".git").is_dir():
        for args in (
            ("show-ref",),
            ("symbolic-ref", "-q", "HEAD"),
            ("rev-parse", "HEAD"),
            ("status", "--porcelain", "--untracked-files=all"),
            ("stash", "list"),
            ("config", "--local", "--list"),
        ):
            files["<git " + " ".join(args) + ">"] = subprocess.run(
                ["git", *args], cwd=path, capture_output=True
            ).stdout
    return files


@pytest.fixture
def make_project(tmp_path: Path) -> Iterator[object]:
    """Write a project from a mapping of relative path -> text (or bytes)."""

    def make(files: dict[str, str | bytes], *, repo: bool = False, name: str = "proj") -> Path:
        root = tmp_path / name
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_bytes(content.encode())
        root.mkdir(exist_ok=True)
        return init_repo(root) if repo else root

    yield make


def copy_package(name: str, dest: Path) -> Path:
    """Copy the fixture project ``tests/packages/NAME`` to ``dest``."""
    target = dest / name
    shutil.copytree(PACKAGES / name, target)
    return target
