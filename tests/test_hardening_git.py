"""Issue 8, git hardening: secrets out of git hooks, symlinked version files, non-ASCII paths,
resume state per project. Real repositories, bare remotes, a real pypiserver, real builds."""

from __future__ import annotations

import base64
import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import cli_env, copy_package, git, init_repo, release_cli, snapshot, with_origin
from faultproxy import FaultProxy

from release.server import Server

SENTINELS = {
    "TWINE_USERNAME": "sentinel-user-5c1e",
    "TWINE_PASSWORD": "sentinel-password-9a7b",
    "GITHUB_TOKEN": "sentinel-github-token-41d2",
    "GH_TOKEN": "sentinel-gh-token-77e0",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "sentinel-oidc-token-3f88",
}

# every hook git may run for a commit, a tag, a checkout, a push and its receiving end
HOOKS = (
    "pre-commit", "pre-merge-commit", "prepare-commit-msg", "commit-msg", "post-commit",
    "post-checkout", "post-merge", "post-rewrite", "post-index-change", "reference-transaction",
    "pre-push", "pre-receive", "update", "post-receive", "post-update", "push-to-checkout",
    "pre-auto-gc",
)  # fmt: skip
READS_STDIN = {"post-rewrite", "reference-transaction", "pre-push", "pre-receive", "post-receive"}


@pytest.fixture
def hook_dumps(tmp_path: Path, git_env: Path) -> Path:
    """Hooks of every kind, for every repository (core.hooksPath), each dumping its environment."""
    hooks, dumps = tmp_path / "hooks", tmp_path / "dumps"
    hooks.mkdir()
    dumps.mkdir()
    for name in HOOKS:
        drain = "cat >/dev/null\n" if name in READS_STDIN else ""
        script = hooks / name
        script.write_text(f'#!/bin/sh\n{drain}env > "{dumps}/{name}.$$"\nexit 0\n')
        script.chmod(0o755)
    with git_env.open("a") as fh:
        fh.write(f"[core]\n\thooksPath = {hooks}\n")
    return dumps


def _dumped(dumps: Path) -> dict[str, str]:
    return {p.name: p.read_text(errors="replace") for p in sorted(dumps.iterdir())}


def _assert_no_secret(dumps: dict[str, str], *outputs: str) -> None:
    for name, text in dumps.items():
        for var, value in SENTINELS.items():
            assert value not in text, f"{var}'s value reached hook {name}"
            assert f"\n{var}=" not in f"\n{text}", f"{var} is set in hook {name}"
    for output in outputs:
        for var, value in SENTINELS.items():
            if var != "TWINE_USERNAME":  # preflight names the user; the secrets it never shows
                assert value not in output, f"{var}'s value was printed"


def _fired(dumps: dict[str, str]) -> set[str]:
    return {name.rsplit(".", 1)[0] for name in dumps}


def _ship(project: Path, url: str, **env: str) -> subprocess.CompletedProcess[str]:
    return release_cli(
        "--project", str(project), "ship", "--repository", url, "--no-isolation",
        env=cli_env(RELEASE_VERIFY_TIMEOUT="20", RELEASE_RETRY_TIMEOUT="5", **env),
    )  # fmt: skip


@pytest.fixture
def proxy(fresh_index: Server) -> Iterator[FaultProxy]:
    """The real index behind a proxy that records what each upload sent."""
    with FaultProxy(fresh_index.url) as p:
        yield p


# --- defect 1: no secret reaches git or its hooks ---


def test_bump_commit_tag_keeps_secrets_out_of_git_hooks(tmp_path: Path, hook_dumps: Path) -> None:
    work = init_repo(copy_package("pub-hatch-cli", tmp_path))
    for dump in hook_dumps.iterdir():
        dump.unlink()  # only what releasekit's git runs counts
    proc = release_cli(
        "--project", str(work), "bump", "patch", "--commit", "--tag", env=cli_env(**SENTINELS)
    )
    assert proc.returncode == 0, proc.stderr
    dumps = _dumped(hook_dumps)
    assert {"post-commit", "reference-transaction"} <= _fired(dumps)
    _assert_no_secret(dumps, proc.stdout, proc.stderr)
    assert git(work, "describe", "--tags") == "v1.0.1"


@pytest.mark.slow
def test_ship_keeps_secrets_out_of_git_hooks_and_uploads_with_them(
    tmp_path: Path, hook_dumps: Path, fresh_index: Server, proxy: FaultProxy
) -> None:
    work = init_repo(copy_package("pub-hatch-cli", tmp_path))
    with_origin(work, tmp_path / "remote.git")
    for dump in hook_dumps.iterdir():
        dump.unlink()
    proc = _ship(work, proxy.url, **SENTINELS)
    assert proc.returncode == 0, proc.stderr
    dumps = _dumped(hook_dumps)
    fired = _fired(dumps)
    # the commit and tag, the clean checkout for the build, the push and the remote's side
    assert {"post-commit", "reference-transaction", "post-checkout", "pre-push"} <= fired
    assert {"pre-receive", "post-receive"} <= fired
    _assert_no_secret(dumps, proc.stdout, proc.stderr)
    # the upload, in-process twine, still had the credentials
    user, password = SENTINELS["TWINE_USERNAME"], SENTINELS["TWINE_PASSWORD"]
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    assert proxy.authorizations and set(proxy.authorizations) == {expected}
    assert sorted(p.name for p in fresh_index.root.iterdir()) == [
        "pub_hatch_cli-1.0.1-py3-none-any.whl",
        "pub_hatch_cli-1.0.1.tar.gz",
    ]


# --- defect 5: symlinked version files ---

LINKED = '\n[tool.release]\nversion-files = ["VERSION", "bin/tool"]\n'


def _linked_project(tmp_path: Path, target: str = "data/VERSION") -> Path:
    """pub-hatch-cli with VERSION a symlink to ``target`` and an executable bin/tool."""
    work = copy_package("pub-hatch-cli", tmp_path)
    with (work / "pyproject.toml").open("a") as fh:
        fh.write(LINKED)
    (work / "data").mkdir()
    (work / "data" / "VERSION").write_text("1.0.0\n")
    os.symlink(target, work / "VERSION")
    (work / "bin").mkdir()
    tool = work / "bin" / "tool"
    tool.write_text('#!/bin/sh\nVERSION = "1.0.0"\n')
    tool.chmod(0o755)
    return init_repo(work)


def _modes(work: Path) -> dict[str, int]:
    return {rel: os.lstat(work / rel).st_mode for rel in ("VERSION", "data/VERSION", "bin/tool")}


def test_bump_writes_through_a_symlink_and_keeps_it(tmp_path: Path) -> None:
    work = _linked_project(tmp_path)
    modes = _modes(work)
    proc = release_cli("--project", str(work), "bump", "patch", "--commit")
    assert proc.returncode == 0, proc.stderr
    assert os.readlink(work / "VERSION") == "data/VERSION"
    assert (work / "data" / "VERSION").read_text() == "1.0.1\n"
    assert _modes(work) == modes
    assert git(work, "ls-files", "-s", "VERSION").startswith("120000 ")
    changed = git(work, "show", "--name-only", "--format=", "HEAD").splitlines()
    assert sorted(changed) == ["bin/tool", "data/VERSION", "pyproject.toml"]
    assert git(work, "status", "--porcelain") == ""


def test_a_symlink_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "VERSION").write_text("1.0.0\n")
    work = _linked_project(tmp_path, target=str(outside / "VERSION"))
    before = snapshot(work), (outside / "VERSION").read_bytes()
    for extra in (["--dry-run"], ["--commit"]):
        proc = release_cli("--project", str(work), "bump", "patch", *extra)
        assert proc.returncode == 2, proc.stderr
        lines = proc.stderr.splitlines()
        # the link is listed in version-files, so the settings check names it first
        assert lines[0].startswith(
            "error: [tool.release] version-files entry 'VERSION' is outside the repository"
        ), lines
        assert lines[0].endswith("(through a symbolic link)"), lines
        assert lines[1].startswith("hint: "), lines
        assert "Traceback" not in proc.stderr
        assert (snapshot(work), (outside / "VERSION").read_bytes()) == before
        assert os.readlink(work / "VERSION") == str(outside / "VERSION")
    proc = release_cli("--project", str(work), "status", "--repository", "http://127.0.0.1:9/")
    assert (
        "[FAIL] settings: [tool.release] version-files entry 'VERSION' is outside the repository"
        in proc.stdout
    )
    assert (snapshot(work), (outside / "VERSION").read_bytes()) == before


def test_failed_ship_restores_links_and_modes(tmp_path: Path, fresh_index: Server) -> None:
    work = _linked_project(tmp_path)
    # a build hook that fails: the ship fails after the bump, before the upload
    with (work / "pyproject.toml").open("a") as fh:
        fh.write("\n[tool.hatch.build.hooks.custom]\n")
    (work / "hatch_build.py").write_text("raise SystemExit('the build hook fails on purpose')\n")
    git(work, "add", "-A")
    git(work, "commit", "-qm", "a failing build hook")
    with_origin(work, tmp_path / "remote.git")
    before, modes = snapshot(work), _modes(work)
    proc = _ship(work, fresh_index.url)
    assert proc.returncode == 1, proc.stderr
    assert "rolled back" in proc.stderr
    assert git(work, "status", "--porcelain") == ""
    assert os.readlink(work / "VERSION") == "data/VERSION"
    assert _modes(work) == modes
    assert stat.S_IMODE(modes["bin/tool"]) == 0o755
    assert snapshot(work) == before


# --- defect 6: non-ASCII paths ---


def _cafe_repo(tmp_path: Path) -> tuple[Path, Path]:
    """A repository whose project lives in ``café/``, with a changelog to rotate."""
    top = tmp_path / "repo"
    project = copy_package("pub-hatch-cli", top / "café")
    (project / "CHANGELOG.md").write_text("# Changelog\n\n## [Unreleased]\n\n- a change\n")
    init_repo(top)
    return top, project


def test_bump_commit_under_a_non_ascii_path_never_commits_the_users_edit(
    tmp_path: Path,
) -> None:
    top, project = _cafe_repo(tmp_path)
    # the user's own edit in a file the bump rewrites: refused, never committed
    (project / "CHANGELOG.md").write_text("# Changelog\n\n## [Unreleased]\n\n- my draft\n")
    before = snapshot(top)
    proc = release_cli("--project", str(project), "bump", "patch", "--commit")
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0] == (
        "error: uncommitted changes in café/pub-hatch-cli/CHANGELOG.md; the release commit would include them"
    )
    assert lines[1].startswith("hint: commit or stash")
    assert snapshot(top) == before
    # an edit elsewhere stays the user's: the release commit holds only what bump wrote
    git(top, "checkout", "--", "café/pub-hatch-cli/CHANGELOG.md")
    (project / "README.md").write_text("my unfinished README edit\n")
    proc = release_cli("--project", str(project), "bump", "patch", "--commit")
    assert proc.returncode == 0, proc.stderr
    changed = git(top, "show", "--name-only", "--format=", "-z", "HEAD").strip("\0").split("\0")
    assert sorted(changed) == [
        "café/pub-hatch-cli/CHANGELOG.md",
        "café/pub-hatch-cli/pyproject.toml",
    ]
    assert git(top, "diff", "--name-only", "-z").strip("\0") == "café/pub-hatch-cli/README.md"
    assert git(top, "diff", "--cached", "--name-only") == ""


@pytest.mark.slow
def test_ship_under_a_non_ascii_path(tmp_path: Path, fresh_index: Server) -> None:
    top, project = _cafe_repo(tmp_path)
    with_origin(top, tmp_path / "remote.git")
    # an uncommitted edit is named as it is, not as git's octal-quoted "caf\303\251/..."
    (project / "README.md").write_text("my unfinished README edit\n")
    before = snapshot(top)
    proc = _ship(project, fresh_index.url)
    assert proc.returncode == 2, proc.stderr
    assert "uncommitted changes: café/pub-hatch-cli/README.md" in proc.stderr
    assert snapshot(top) == before
    git(top, "checkout", "--", "café/pub-hatch-cli/README.md")
    proc = _ship(project, fresh_index.url)
    assert proc.returncode == 0, proc.stderr
    changed = git(top, "show", "--name-only", "--format=", "-z", "HEAD").strip("\0").split("\0")
    assert sorted(changed) == [
        "café/pub-hatch-cli/CHANGELOG.md",
        "café/pub-hatch-cli/pyproject.toml",
    ]
    assert git(top, "status", "--porcelain") == ""
    assert git(tmp_path / "remote.git", "rev-parse", "v1.0.1^{commit}") == git(
        top, "rev-parse", "HEAD"
    )
    assert sorted(p.name for p in fresh_index.root.iterdir()) == [
        "pub_hatch_cli-1.0.1-py3-none-any.whl",
        "pub_hatch_cli-1.0.1.tar.gz",
    ]


# --- defect 7: resume state per project and tag ---


def _tiny(top: Path, name: str, version: str) -> Path:
    module = name.replace("-", "_")
    root = top / name
    (root / "src" / module).mkdir(parents=True)
    (root / "src" / module / "__init__.py").write_text(f'"""{name}."""\n')
    (root / "README.md").write_text(f"# {name}\n\nA test package.\n")
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling>=1.21"]\nbuild-backend = "hatchling.build"\n\n'
        f'[project]\nname = "{name}"\nversion = "{version}"\ndescription = "test"\n'
        'readme = "README.md"\nrequires-python = ">=3.10"\nlicense = "MIT"\n'
    )
    return root


@pytest.mark.slow
def test_two_projects_under_one_tag_keep_their_own_state(
    tmp_path: Path, fresh_index: Server, proxy: FaultProxy
) -> None:
    top = tmp_path / "mono"
    first, second = _tiny(top, "rk-state-a", "0.1.0"), _tiny(top, "rk-state-b", "0.1.1")
    init_repo(top)
    with_origin(top, tmp_path / "remote.git")
    # the first project's release stops at its upload: its built files stay, for a resume
    proxy.fail_uploads_matching, proxy.fail_status = "rk_state_a", 400
    proc = _ship(first, proxy.url)
    assert proc.returncode == 1, proc.stderr
    assert "upload failed" in proc.stderr
    # its tag v0.1.1 is at HEAD and the second project is at 0.1.1: the second resumes there
    proc = _ship(second, fresh_index.url)
    assert proc.returncode == 0, proc.stderr
    assert "==> bump: skipped, HEAD already carries v0.1.1" in proc.stderr
    assert "reusing" not in proc.stderr
    assert sorted(p.name for p in fresh_index.root.iterdir()) == [
        "rk_state_b-0.1.1-py3-none-any.whl",
        "rk_state_b-0.1.1.tar.gz",
    ]
    state = top / ".git" / "releasekit"
    for name in ("rk-state-a", "rk-state-b"):
        dist = sorted(p.name for p in (state / name / "v0.1.1" / "dist").iterdir())
        assert dist == [f"{name.replace('-', '_')}-0.1.1{end}" for end in WHEEL_SDIST], dist


WHEEL_SDIST = ("-py3-none-any.whl", ".tar.gz")
