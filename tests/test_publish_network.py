"""publish when the index is late, never there, and with a secret in the environment."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from conftest import Lines, cli_env, release_cli, wait_for

from release.index import read_project
from release.server import free_port, running

SENTINEL = "sentinel-Zq8XwV3kP-do-not-leak"


def publish_process(root: Path, url: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "release", "--project", str(root), "publish", "--repository", url],
        env=cli_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )


def test_publish_retries_until_a_late_index_is_up(hatch_cli, tmp_path) -> None:
    root, dist = hatch_cli
    port = free_port()
    proc = publish_process(root, f"http://127.0.0.1:{port}/", RELEASE_RETRY_TIMEOUT="60")
    assert proc.stdout is not None and proc.stderr is not None
    stdout = Lines(proc.stdout)
    stdout.wait_for("Connection refused; trying again in")  # the index is not up yet
    assert proc.poll() is None, "publish gave up before the index came up"
    with running(tmp_path / "late", port=port) as server:
        proc.wait(timeout=60)
        with proc.stderr:
            err = proc.stderr.read()
        out = stdout.text()
        assert proc.returncode == 0, out + err
        assert "Connection refused; trying again in" in out
        assert sorted(read_project(server.index_url, "pub-hatch-cli")) == sorted(
            p.name for p in dist
        )


def test_publish_gives_up_after_the_bound(hatch_cli) -> None:
    root, _ = hatch_cli
    url = f"http://127.0.0.1:{free_port()}/"
    started = time.monotonic()
    proc = release_cli(
        "--project", str(root), "publish", "--repository", url,
        env=cli_env(RELEASE_RETRY_TIMEOUT="2", RELEASE_RETRY_DELAY="0.2"),
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"error: could not read {url}simple/: cannot connect to")
    assert "gave up after" in proc.stderr
    assert "hint: " in proc.stderr
    assert elapsed < 15


def _cmdlines() -> list[str]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as fh:
                    found.append(fh.read().replace(b"\0", b" ").decode(errors="replace"))
            except OSError:
                continue
    return found


def test_the_password_never_shows(hatch_cli, fresh_index, tmp_path) -> None:
    root, _ = hatch_cli
    seen: list[str] = []
    done = threading.Event()

    def watch() -> None:
        # a scan every 20 ms: a process lives far longer, and the core stays free for it
        while True:
            seen.extend(c for c in _cmdlines() if SENTINEL in c or "release" in c)
            if done.wait(0.02):
                return

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        env = {"TWINE_USERNAME": "someone", "TWINE_PASSWORD": SENTINEL}
        proc = publish_process(root, fresh_index.url, **env)
        out, err = proc.communicate(timeout=120)
        verify = release_cli(
            "--project", str(root), "verify", "--repository", fresh_index.url,
            env=cli_env(**env),
        )  # fmt: skip
    finally:
        done.set()
        watcher.join()
    assert proc.returncode == 0, out + err
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert any("publish" in c for c in seen), "the watcher saw the upload running"
    assert not [c for c in seen if SENTINEL in c]
    for text in (out, err, verify.stdout, verify.stderr, fresh_index.log.read_text()):
        assert SENTINEL not in text


def test_5xx_on_upload_is_retried(hatch_cli, fresh_index) -> None:
    from faultproxy import FaultProxy

    root, dist = hatch_cli
    with FaultProxy(fresh_index.url) as proxy:
        proxy.fail_uploads_matching = r"\.whl$"

        def heal_after_a_fault() -> None:  # the index recovers once it has failed an upload
            wait_for(lambda: proxy.faults, timeout=60)
            proxy.fail_uploads_matching = None

        healer = threading.Thread(target=heal_after_a_fault, daemon=True)
        healer.start()
        proc = release_cli(
            "--project", str(root), "publish", "--repository", proxy.url,
            "--index-url", fresh_index.index_url,
        )  # fmt: skip
        healer.join(timeout=5)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "503" in proc.stdout and "trying again in" in proc.stdout
    assert sorted(proxy.uploads) == sorted(p.name for p in dist)  # each file arrived once


class _RefusingServer(ThreadingHTTPServer):
    """A server that refuses every upload with 403 and records each one."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Refusing)
        self.posts: list[str] = []  # this server's own, not shared between tests


class _Refusing(BaseHTTPRequestHandler):
    server: _RefusingServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.send_error(404)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.posts.append(self.path)
        self.send_error(403, "Forbidden")


def test_4xx_on_upload_is_not_retried(hatch_cli) -> None:
    root, _ = hatch_cli
    server = _RefusingServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        started = time.monotonic()
        proc = release_cli(
            "--project", str(root), "publish", "--repository", url,
            env=cli_env(RELEASE_RETRY_TIMEOUT="30"),
        )  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
    assert proc.returncode == 1
    assert "failed: 403 Forbidden" in proc.stderr
    assert "hint: check the credentials" in proc.stderr
    assert len(server.posts) == 1
    assert time.monotonic() - started < 15
