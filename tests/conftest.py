"""Shared fixtures: an isolated git configuration and helpers for real repositories."""

from __future__ import annotations

import compileall
import contextlib
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, NoReturn

import pytest
import requests

from release.server import Server, running

PACKAGES = Path(__file__).parent / "packages"
REPO = Path(__file__).resolve().parent.parent
collect_ignore_glob = ["packages/*"]  # the shape fixtures have test suites of their own

# Each test gets a HOME of its own, but not caches of its own: with a fresh ~/.cache every uv
# build, venv and install would download its backends and packages again. The caches are only
# caches (content-addressed, safe to share between processes), so they stay the user's.
_CACHES = {
    "UV_CACHE_DIR": os.environ.get("UV_CACHE_DIR")
    or str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "uv"),
    "PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR")
    or str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pip"),
}


def pytest_configure(config: pytest.Config) -> None:
    """Compile the ``release`` package once, and have xdist hand out one test at a time.

    The tests run ``python -m release`` in hundreds of subprocesses; where
    PYTHONDONTWRITEBYTECODE is set (as on the machine these tests share), each compiled the
    package from source again. Python still reads bytecode it finds, and checks it against
    the source's mtime and size, so this only spares the repeated compiling.
    """
    if not hasattr(config, "workerinput"):  # the xdist controller, or a run without xdist
        compileall.compile_dir(REPO / "release", quiet=1)
        _compile_uv_archive()
    # xdist's load scheduling hands each worker a quarter of the suite up front, in order:
    # with the slow tests first, one worker got all of them. One test at a time instead, so
    # whichever worker is free takes the next (the slowest first: the last to end are short).
    if config.getoption("maxschedchunk", None) is None:
        config.option.maxschedchunk = 1


def _compile_uv_archive() -> None:
    """Write bytecode beside the sources of the packages unpacked in uv's cache.

    uv installs a package by hard-linking the files of its unpacked archive into the new
    environment, so a build's isolated environment (setuptools, hatchling, ...) and a verify
    venv get whatever ``__pycache__`` the archive holds. Without it every build hook process
    compiled its backend from source again (where PYTHONDONTWRITEBYTECODE is set, in every
    hook): two seconds of CPU per setuptools build. Bytecode is checked against its source's
    mtime and size, which hard links share, so it is only ever used for that very source.
    Entries uv unpacks during this run are compiled by the next one; once compiled, a run
    spends about a second checking.
    """
    archive = Path(_CACHES["UV_CACHE_DIR"]) / "archive-v0"
    if archive.is_dir():
        for entry in archive.iterdir():
            compileall.compile_dir(entry, quiet=2)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the slow tests first, keeping the order otherwise (the sort is stable).

    xdist hands the tests out in this order (one at a time: see ``pytest_configure``): a slow
    end-to-end test left for the end keeps one worker busy while the other has nothing to do.
    """
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


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
    for var, cache in _CACHES.items():
        monkeypatch.setenv(var, cache)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delenv("EMAIL", raising=False)
    # the suite's own pytest writes bytecode (noxfile.py: its rewrite cache), the processes
    # the tests start do not, as on this machine: no __pycache__ in the trees they compare
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    return config


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` and return its stripped output."""
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def init_repo(path: Path) -> Path:
    """Make ``path`` a git repository with everything in it committed (the one way to make one)."""
    commit_all(path, "initial", init=True)
    return path


def with_origin(work: Path, bare: Path) -> Path:
    """Give ``work`` a new bare repository ``bare`` as origin, with main pushed; returns ``bare``."""
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    git(work, "remote", "add", "origin", str(bare))
    git(work, "push", "-q", "-u", "origin", "main")
    return bare


def sha256(path: Path) -> str:
    """The hex sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def dist_files(dist: str, *versions: str) -> list[str]:
    """The sorted file names of a pure-Python release of ``dist``: wheel and sdist per version."""
    return sorted(f"{dist}-{v}{end}" for v in versions for end in ("-py3-none-any.whl", ".tar.gz"))


def snapshot(path: Path, *, git_state: bool = True) -> dict[str, bytes]:
    """Every work-tree file's bytes plus (unless ``git_state`` is false) git's refs, HEAD,
    config and status: to prove nothing changed."""
    files = {
        p.relative_to(path).as_posix(): p.read_bytes()
        for p in sorted(path.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(path).parts
    }
    if git_state and (path / ".git").is_dir():
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


def errors_of(err: str) -> list[str]:
    """The ``error:`` lines of a command's stderr."""
    return [line for line in err.splitlines() if line.startswith("error: ")]


def hints_of(err: str) -> list[str]:
    """The ``hint:`` lines of a command's stderr."""
    return [line for line in err.splitlines() if line.startswith("hint: ")]


def assert_refused(code: int, err: str, status: int, error: str, hint: str) -> None:
    """Exit ``status``, a first ``error:`` line that starts with ``error``, one ``hint:`` line."""
    assert code == status, err
    assert errors_of(err)[0].startswith(error), err
    assert hints_of(err) == [hint]


# --- package indexes, builds and the release CLI as a subprocess (publish/verify tests) ---

VENV_BIN = Path(sys.executable).parent
FAST_RETRIES = {
    "RELEASE_RETRY_DELAY": "0.2",
    "RELEASE_RETRY_MAX_DELAY": "1",
    "RELEASE_RETRY_TIMEOUT": "20",
    "RELEASE_VERIFY_TIMEOUT": "30",
}


def in_process_env(monkeypatch: pytest.MonkeyPatch, **extra: str) -> None:
    """For ``main()`` in the test's process: fast retries, a null keyring, no credentials or
    index from the machine; then ``extra``."""
    for key, value in FAST_RETRIES.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    for key in list(os.environ):
        if key.startswith("TWINE_") or key in ("RELEASE_REPOSITORY", "RELEASE_INDEX_URL"):
            monkeypatch.delenv(key)
    for key, value in extra.items():
        monkeypatch.setenv(key, value)


def cli_env(**extra: str) -> dict[str, str]:
    """The environment for a ``release`` subprocess: fast retries, uv on PATH, no credentials."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TWINE_", "RELEASE_")) and k != "SOURCE_DATE_EPOCH"
    }
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    # a null keyring: twine must not reach for the desktop's secrets during tests
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    env.update(FAST_RETRIES)
    env.update(extra)
    return env


def release_cli(
    *argv: str, env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """``release ARGV`` in a process of its own, its output captured, as ``python -m release``.

    The process is a fork of this one, which has the ``release`` package loaded already: the
    same run without an interpreter's start-up and imports, a fifth of a second of CPU some
    hundreds of times a suite. It has its own environment, standard streams (pipes; stdin
    the null device), exit status and everything it changes. The entry points themselves
    (``python -m release``, the ``release`` script) are run for real by tests of their own.
    """
    env = env if env is not None else cli_env()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child: it never returns
        _child_cli(list(argv), env, out_w, err_w, (out_r, err_r))
    os.close(out_w)
    os.close(err_w)
    return _collect(pid, ["release", *argv], out_r, err_r, timeout)


def _child_cli(
    argv: list[str], env: dict[str, str], out: int, err: int, unused: tuple[int, ...]
) -> NoReturn:
    """The forked child of ``release_cli``: the streams and environment of a fresh
    ``python -m release``, then its ``run()``, then out without running this process's exit
    handlers (pytest's)."""
    code = 1
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        for target, fd in ((0, null), (1, out), (2, err)):
            os.dup2(fd, target)
        for fd in (null, out, err, *unused):
            os.close(fd)
        os.environ.clear()
        os.environ.update(env)
        sys.stdin = sys.__stdin__ = open(0, closefd=False)  # noqa: SIM115
        sys.stdout = sys.__stdout__ = open(1, "w", closefd=False)  # noqa: SIM115
        sys.stderr = sys.__stderr__ = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
        sys.argv = ["release", *argv]
        from release import gitrepo
        from release.__main__ import run

        gitrepo._FOUND.clear()  # what this process found for earlier tests is no answer here
        run()
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
        code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    except BaseException:
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


def _collect(
    pid: int, args: list[str], out: int, err: int, timeout: float
) -> subprocess.CompletedProcess[str]:
    """Read a child's two pipes to their end and wait for it, as ``subprocess.run`` with
    ``capture_output``, ``text`` and ``timeout`` does (the child killed at the timeout)."""
    chunks: dict[int, list[bytes]] = {out: [], err: []}

    def drain(fd: int) -> None:
        with os.fdopen(fd, "rb") as pipe:
            chunks[fd].append(pipe.read())

    readers = [threading.Thread(target=drain, args=(fd,), daemon=True) for fd in (out, err)]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + timeout
    for reader in readers:
        reader.join(max(0.0, deadline - time.monotonic()))
    if any(reader.is_alive() for reader in readers):
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise subprocess.TimeoutExpired(args, timeout)
    _, status = os.waitpid(pid, 0)

    def text(fd: int) -> str:
        return io.TextIOWrapper(io.BytesIO(b"".join(chunks[fd])), newline=None).read()

    code = os.waitstatus_to_exitcode(status)
    return subprocess.CompletedProcess(args, code, text(out), text(err))


_PROBE = """
import json, sys
from release.__main__ import main
code = main(sys.argv[1:])
sys.stdout.flush()
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def loaded_by(*argv: str, env: dict[str, str] | None = None) -> tuple[int, str, str, set[str]]:
    """``release ARGV`` in a fresh interpreter: its exit status, output, error output and
    every module it loaded (by dotted name)."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv],
        env=env if env is not None else cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    out, _, last = done.stdout.rstrip("\n").rpartition("\n")
    probe = json.loads(last)
    return probe["code"], out, done.stderr, set(probe["modules"])


def ship_dry_run(
    root: Path, index_url: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """``release ship --dry-run --no-push`` of ``root`` against the index at ``index_url``."""
    argv = ["--project", str(root), "ship", "--repository", index_url, "--dry-run", "--no-push"]
    return release_cli(*argv, env=env)


def git_repo_of(name: str, dest: Path) -> Path:
    """Copy fixture ``tests/packages/NAME`` into ``dest`` and commit it (any fixture scope)."""
    root = copy_package(name, dest)
    commit_all(root, "initial", init=True)
    return root


def git_as_tester(root: Path, *args: str) -> str:
    """git in ``root`` with a fixed identity and no user or system configuration (any fixture
    scope: the per-test git configuration is not needed); its stripped output."""
    env = {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "Release Tester",
        "GIT_AUTHOR_EMAIL": "tester@example.com",
        "GIT_COMMITTER_NAME": "Release Tester",
        "GIT_COMMITTER_EMAIL": "tester@example.com",
    }
    return subprocess.run(
        ["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


def commit_all(root: Path, message: str, *, init: bool = False) -> str:
    """Commit everything in ``root`` with a fixed identity; returns the SHA."""
    if init:
        git_as_tester(root, "init", "-q", "-b", "main")
    git_as_tester(root, "add", "-A")
    git_as_tester(root, "commit", "-q", "--no-verify", "-m", message)
    return git_as_tester(root, "rev-parse", "HEAD")


def build_dist(root: Path, outdir: Path | None = None) -> list[Path]:
    """``release build --no-isolation`` (the test venv has the backends): the artifact paths."""
    args = ["--project", str(root), "build", "--no-isolation"]
    if outdir is not None:
        args += ["--outdir", str(outdir)]
    proc = release_cli(*args)
    assert proc.returncode == 0, proc.stderr
    return [Path(line) for line in proc.stdout.splitlines()]


@pytest.fixture(scope="module")
def pypi_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real pypiserver on 127.0.0.1 and a free port, shared by one test module."""
    with running(tmp_path_factory.mktemp("index")) as server:
        yield server


def index_files(server: Server) -> list[str]:
    """The sorted names of the files an index serves."""
    return sorted(p.name for p in server.root.iterdir() if p.is_file())


def emptied(server: Server) -> Server:
    """``server`` with every file and folder it serves removed, and still running."""
    assert server.process.poll() is None, f"the pypiserver on port {server.port} has stopped"
    for entry in server.root.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    # pypiserver lists its folder on every request unless watchdog is installed; then it
    # caches, and learns of the removals a moment later: wait for the empty list either way
    wait_for(lambda: "<a " not in requests.get(server.index_url, timeout=10).text, timeout=10)
    return server


@pytest.fixture(scope="session")
def worker_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One real pypiserver for all the tests of this process (an xdist worker)."""
    with running(tmp_path_factory.mktemp("index")) as server:
        yield server


@pytest.fixture
def fresh_index(worker_index: Server) -> Server:
    """A real pypiserver, empty at the start of the test.

    It is this worker's (the tests of a worker run one at a time), emptied: pypiserver
    lists its folder on every request (no cache without watchdog), and a start-up costs a
    second of a CPU, for a hundred and more tests.
    """
    return emptied(worker_index)


@pytest.fixture
def index(fresh_index: Server) -> Server:
    """The test's own empty pypiserver, under the name the ship tests use."""
    return fresh_index


@pytest.fixture(scope="session")
def hatch_cli(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """The pub-hatch-cli fixture committed in a repository and built once: (project, artifacts)."""
    root = git_repo_of("pub-hatch-cli", tmp_path_factory.mktemp("hatch-cli"))
    return root, build_dist(root)


@pytest.fixture(scope="session")
def releasekit_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel of this checkout (``uv build --wheel``), for ``RELEASEKIT_REQUIREMENT``."""
    out = tmp_path_factory.mktemp("releasekit-wheel")
    subprocess.run(
        [str(VENV_BIN / "uv"), "build", "--wheel", "--quiet", "--out-dir", str(out), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("releasekit-*.whl")
    return wheel


# --- this repository's own noxfile, run for real in a copy ---


def copy_this_repo(dest: Path, test_module: str) -> Path:
    """This repository's files (tracked and new, not ignored) in ``dest``, committed, with
    ``tests/`` replaced by one module of text ``test_module``."""
    names = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        check=True,
        text=True,
    ).stdout.split("\0")
    for name in filter(None, names):
        if name.startswith("tests/") or not (REPO / name).is_file():
            continue
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, dest / name)
    (dest / "tests").mkdir()
    (dest / "tests" / "test_one.py").write_text(test_module)
    return init_repo(dest)


@pytest.fixture(scope="session")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache for the lint sessions of ``run_nox`` (of this worker), outside the copies.

    It starts from this checkout's cache when there is one. mypy checks every entry against
    the hash of its source, so a cache only spares a cold run over the package and typeshed.
    """
    cache = tmp_path_factory.mktemp("mypy-cache")
    if (REPO / ".mypy_cache").is_dir():
        shutil.copytree(REPO / ".mypy_cache", cache, dirs_exist_ok=True)
    return cache


NO_HYPOTHESIS = "-p no:hypothesispytest"
"""PYTEST_ADDOPTS for a pytest the tests start on a suite of their own, which needs no
hypothesis: its plugin cost two seconds to load, since pytest rewrites the plugin's modules
anew where it may not write bytecode."""


def run_nox(
    work: Path, session: str, *posargs: str, mypy_cache: Path, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """``nox -s SESSION -- POSARGS`` in ``work``, the sessions in this test environment.

    The test environment has every tool installed already (no venvs, no installs). The
    session's own ``pytest -n auto`` runs in its own process (zero workers): its suite is one
    test, and starting a worker for it cost more than the test.
    """
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}"}
    env.pop("RELEASE_REPOSITORY", None)
    env["MYPY_CACHE_DIR"] = str(mypy_cache)
    env["PYTEST_XDIST_AUTO_NUM_WORKERS"] = "0"
    env["PYTEST_ADDOPTS"] = NO_HYPOTHESIS
    argv = ["-s", session, "--force-venv-backend", "none", "--no-install"]
    return subprocess.run(
        [sys.executable, "-m", "nox", *argv, *(["--", *posargs] if posargs else [])],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# --- waiting on a condition instead of a fixed sleep ---


def wait_for(condition: Callable[[], object], timeout: float = 30, interval: float = 0.05) -> None:
    """Poll ``condition`` until it is true; fail the test when ``timeout`` seconds pass first."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout:g}s")
        time.sleep(interval)


class Lines:
    """A child's output stream read on a thread, line by line, so a test can wait on a line."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        with stream:
            for line in stream:
                self.lines.append(line)

    def wait_for(self, text: str, timeout: float = 60) -> None:
        """Wait until a line containing ``text`` has been read."""
        wait_for(lambda: any(text in line for line in self.lines), timeout)

    def text(self) -> str:
        """Everything read, once the stream has ended."""
        self._thread.join(timeout=30)
        return "".join(self.lines)
