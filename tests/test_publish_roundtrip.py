"""build -> check -> publish -> verify against a real pypiserver, with real builds."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from conftest import Lines, build_dist, cli_env, commit_all, git_repo_of, release_cli, sha256

from release.index import read_project
from release.server import Server


def listing(server: Server, name: str) -> dict[str, str | None]:
    return {f: e.sha256 for f, e in read_project(server.index_url, name).items()}


def test_hatchling_console_script_round_trip(hatch_cli, pypi_index: Server) -> None:
    root, dist = hatch_cli
    proc = release_cli("--project", str(root), "check")
    assert proc.returncode == 0, proc.stderr
    assert "check: 2 file(s) are pub-hatch-cli 1.0.0" in proc.stdout

    proc = release_cli("--project", str(root), "publish", "--repository", pypi_index.url)
    assert proc.returncode == 0, proc.stderr
    for path in dist:
        assert f"{path.name}: uploaded" in proc.stdout
    assert listing(pypi_index, "pub-hatch-cli") == {p.name: sha256(p) for p in dist}

    proc = release_cli(
        "--project",
        str(root),
        "verify",
        "--repository",
        pypi_index.url,
        "--dist",
        str(root / "dist"),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "import pub_hatch_cli: ok" in proc.stdout
    assert "pub-hatch-cli --help: ok" in proc.stdout
    assert "sha256 of 2 file(s) on the index match the local artifacts" in proc.stdout


@pytest.mark.slow
def test_setuptools_with_a_dependency_round_trip(hatch_cli, fresh_index: Server, tmp_path) -> None:
    # an index of its own: the module's shared one must not hold pub-hatch-cli before the
    # tests that upload it (slow tests like this one run first). The dependency goes first.
    hatch_root, _ = hatch_cli
    proc = release_cli("--project", str(hatch_root), "publish", "--repository", fresh_index.url)
    assert proc.returncode == 0, proc.stderr

    root = git_repo_of("pub-setuptools-dep", tmp_path)
    dist = build_dist(root)
    assert sorted(p.name for p in dist) == [
        "pub_setuptools_dep-2.0.0-py3-none-any.whl",
        "pub_setuptools_dep-2.0.0.tar.gz",
    ]
    assert release_cli("--project", str(root), "check").returncode == 0
    # the index URL comes from the environment, the repository from [tool.release]-like defaults
    env = cli_env(RELEASE_REPOSITORY=fresh_index.url, RELEASE_INSTALLER="pip")
    proc = release_cli("--project", str(root), "publish", env=env)
    assert proc.returncode == 0, proc.stderr
    proc = release_cli("--project", str(root), "verify", "--dist", str(root / "dist"), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "(pip)" in proc.stdout
    assert "dependencies installed: pub-hatch-cli>=1.0" in proc.stdout
    assert "import pub_setuptools_dep: ok" in proc.stdout


def test_republishing_identical_files_uploads_nothing(hatch_cli, pypi_index: Server) -> None:
    root, dist = hatch_cli
    assert (
        release_cli("--project", str(root), "publish", "--repository", pypi_index.url).returncode
        == 0
    )
    stored = {p.name: p.stat().st_mtime_ns for p in pypi_index.root.iterdir()}
    proc = release_cli("--project", str(root), "publish", "--repository", pypi_index.url)
    assert proc.returncode == 0, proc.stderr
    for path in dist:
        assert (
            f"{path.name}: already on the index with the same sha256; not uploaded again"
            in proc.stdout
        )
    assert "uploaded (sha256" not in proc.stdout
    assert {p.name: p.stat().st_mtime_ns for p in pypi_index.root.iterdir()} == stored


def test_other_content_under_a_taken_name_is_refused(
    hatch_cli, pypi_index: Server, tmp_path
) -> None:
    root, _ = hatch_cli
    assert (
        release_cli("--project", str(root), "publish", "--repository", pypi_index.url).returncode
        == 0
    )
    before = listing(pypi_index, "pub-hatch-cli")
    stored = {p.name: p.read_bytes() for p in pypi_index.root.iterdir()}

    # same version, different code: same file names, other bytes
    other = git_repo_of("pub-hatch-cli", tmp_path)
    module = other / "src" / "pub_hatch_cli" / "__init__.py"
    module.write_text(module.read_text().replace("hello", "goodbye"))
    commit_all(other, "change without a version bump")
    changed = build_dist(other)
    wheel = next(p for p in changed if p.name.endswith(".whl"))
    assert wheel.name in before and sha256(wheel) != before[wheel.name]

    proc = release_cli("--project", str(other), "publish", "--repository", pypi_index.url)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr.startswith("error: ")
    assert (
        f"{wheel.name}: the index has sha256 {before[wheel.name]}, the local file has {sha256(wheel)}"
        in proc.stderr
    )
    assert "hint: " in proc.stderr
    assert listing(pypi_index, "pub-hatch-cli") == before
    assert {p.name: p.read_bytes() for p in pypi_index.root.iterdir()} == stored


def test_verify_waits_until_the_index_lists_the_release(hatch_cli, fresh_index: Server) -> None:
    root, dist = hatch_cli
    proc = subprocess.Popen(
        [sys.executable, "-m", "release", "--project", str(root), "verify",
         "--repository", fresh_index.url, "--dist", str(root / "dist")],
        env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    stdout = Lines(proc.stdout)
    try:
        stdout.wait_for("not listed yet; looking again")  # verify has looked and found nothing
        assert proc.poll() is None
        for path in dist:  # pypiserver serves whatever lands in its directory
            shutil.copy(path, fresh_index.root / path.name)
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with proc.stderr:
        err = proc.stderr.read()
    out = stdout.text()
    assert proc.returncode == 0, out + err
    assert f"verified: pub-hatch-cli 1.0.0 installs and runs from {fresh_index.index_url}" in out


def test_verify_catches_a_wheel_that_cannot_be_imported(pypi_index: Server, tmp_path) -> None:
    root = git_repo_of("pub-broken", tmp_path)
    build_dist(root)
    assert (
        release_cli("--project", str(root), "publish", "--repository", pypi_index.url).returncode
        == 0
    )
    proc = release_cli("--project", str(root), "verify", "--repository", pypi_index.url)
    assert proc.returncode == 1
    assert "error: verify: import pub_broken failed" in proc.stderr
    assert "ModuleNotFoundError: No module named 'pub_broken_no_such_module'" in proc.stderr


@pytest.mark.slow
def test_verify_takes_dependencies_from_the_extra_index_only_when_configured(
    hatch_cli, fresh_index: Server, tmp_path
) -> None:
    # the dependency lives on another index (the "extra" one); the release on fresh_index
    root = git_repo_of("pub-setuptools-dep", tmp_path)
    build_dist(root)
    env = cli_env(RELEASE_RETRY_TIMEOUT="5")
    proc = release_cli("--project", str(root), "publish", "--repository", fresh_index.url, env=env)
    assert proc.returncode == 0, proc.stderr
    from release.server import running

    hatch_root, _ = hatch_cli
    with running(tmp_path / "extra") as extra:
        assert (
            release_cli(
                "--project", str(hatch_root), "publish", "--repository", extra.url
            ).returncode
            == 0
        )
        proc = release_cli("--project", str(root), "verify", "--repository", fresh_index.url)
        assert proc.returncode == 1
        assert "installing the dependencies (pub-hatch-cli>=1.0)" in proc.stderr
        env = cli_env(RELEASE_EXTRA_INDEX_URL=extra.index_url)
        proc = release_cli(
            "--project", str(root), "verify", "--repository", fresh_index.url, env=env
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["publish", "--repository", "nowhere"],
        ["publish", "--repository", "http://user:pw@127.0.0.1:1/"],
        ["publish", "no-such-file.whl"],
        ["publish", "--repository", "local"],
        ["verify", "--version", "not a version"],
        ["build", "--ref", "no-such-ref"],
        ["serve-index", "--port", "70000"],
    ],
)
def test_bad_input_exits_2_and_changes_nothing(hatch_cli, argv, tmp_path) -> None:
    root = git_repo_of("pub-hatch-cli", tmp_path)
    before = sorted(p.relative_to(root) for p in root.rglob("*") if ".git" not in p.parts)
    env = cli_env(RELEASE_INDEX_URL="")
    proc = release_cli("--project", str(root), *argv, env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("error: ")
    assert "pw" not in proc.stderr
    assert sorted(p.relative_to(root) for p in root.rglob("*") if ".git" not in p.parts) == before
