"""The embedded package index: a real pypiserver, started and stopped around a block of code."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import requests

from .errors import StepError, UsageError
from .secrets import child_env
from .targets import LOCAL_HOST
from .values import field, frozen


@frozen
class Server:
    """A running index: where to upload, where to install from, where its files are."""

    host: str
    port: int
    root: Path
    log: Path
    process: subprocess.Popen[bytes] = field(compare=False, repr=False)

    @property
    def url(self) -> str:
        """The upload URL (pypiserver takes uploads at its root)."""
        return f"http://{self.host}:{self.port}/"

    @property
    def index_url(self) -> str:
        """The PEP 503 simple index."""
        return f"{self.url}simple/"


def free_port(host: str = LOCAL_HOST) -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _require_free(host: str, port: int) -> None:
    """Refuse a port something already listens on (its answers would pass for ours)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise StepError(
                f"cannot serve the index on {host}:{port}: {exc.strerror or exc}",
                hint="is another index running there? pass another --port, or --port 0 for a free one",
            ) from None


def command(root: Path, host: str, port: int) -> list[str]:
    """The pypiserver command line: uploads without auth, no fallback to PyPI (pure)."""
    return [
        sys.executable,
        "-m",
        "pypiserver",
        "run",
        "--host",
        host,
        "--port",
        str(port),
        "--authenticate",
        ".",
        "--passwords",
        ".",
        "--disable-fallback",
        "--hash-algo",
        "sha256",
        "--log-stream",
        "stderr",
        str(root),
    ]


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


@contextlib.contextmanager
def running(
    root: Path | None = None,
    *,
    host: str = LOCAL_HOST,
    port: int = 0,
    startup_timeout: float = 30.0,
    environ: Mapping[str, str] | None = None,
    ready: bool = True,
) -> Iterator[Server]:
    """Run pypiserver on ``host:port`` (0: a free port) serving ``root`` for the block.

    Waits until the index answers (with ``ready=False`` the caller does, with ``wait_ready``,
    and may work meanwhile); the server is stopped on every way out of the block.
    Without ``root``, a temporary directory is served and removed afterwards.
    """
    with contextlib.ExitStack() as stack:
        if root is None:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="release-index-")))
        root.mkdir(parents=True, exist_ok=True)
        logdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="release-index-log-")))
        log = logdir / "pypiserver.log"
        if port:
            _require_free(host, port)
        else:
            port = free_port(host)
        env = {k: v for k, v in child_env(environ).items() if not k.startswith("TWINE_")}
        with log.open("wb") as out:
            proc = subprocess.Popen(
                command(root, host, port),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )
        stack.callback(_stop, proc)
        server = Server(host, port, root.resolve(), log, proc)
        if ready:
            wait_ready(server, startup_timeout)
        yield server


def wait_ready(server: Server, timeout: float = 30.0) -> None:
    """Return once ``server`` answers; a StepError when it exits or stays silent."""
    proc = server.process
    deadline = time.monotonic() + timeout
    with requests.Session() as session:
        while True:
            if proc.poll() is not None:
                raise StepError(
                    f"pypiserver on {server.host}:{server.port} exited at start (status {proc.returncode}): {_tail(server.log)}",
                    hint="is the port taken? pass another --port, or --port 0 for a free one",
                )
            try:
                if session.get(server.index_url, timeout=2).status_code == 200:
                    if proc.poll() is None:
                        return
                    continue
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise StepError(
                    f"pypiserver on {server.host}:{server.port} did not answer within {timeout:g}s: {_tail(server.log)}"
                )
            time.sleep(0.1)


def wait(server: Server) -> int:
    """Block until the server process ends (Ctrl-C stops it); returns its exit status."""
    return server.process.wait()


def require_running(index_url: str) -> None:
    """Refuse the ``local`` target when no ``release serve-index`` answers on its port."""
    try:
        with requests.Session() as session:
            up = session.get(index_url, timeout=3).status_code == 200
    except requests.RequestException:
        up = False
    if not up:
        raise UsageError(
            f"the local index {index_url} is not running",
            hint="run 'release serve-index' in another terminal, or pass --repository URL of a running index",
        )
