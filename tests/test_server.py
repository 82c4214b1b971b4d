"""The embedded index: starts on a free port, answers, and is stopped on every way out."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
import requests
from conftest import cli_env

from release.errors import StepError
from release.server import running


def test_stopped_when_the_block_raises(tmp_path) -> None:
    with pytest.raises(RuntimeError), running(tmp_path / "root") as server:
        assert requests.get(server.index_url, timeout=5).status_code == 200
        raise RuntimeError("boom")
    assert server.process.poll() is not None


def test_a_taken_port_is_a_clear_error(tmp_path) -> None:
    with running(tmp_path / "a") as first:
        with pytest.raises(StepError) as info, running(tmp_path / "b", port=first.port):
            pass
        assert f"{first.port}" in info.value.message
        assert info.value.hint is not None and "--port 0" in info.value.hint


def test_serve_index_runs_until_sigterm_and_takes_its_index_along(tmp_path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "release", "serve-index", "--port", "0", "--root", str(tmp_path)],
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("serving http://127.0.0.1:"), first
        url = first.split()[1]
        assert requests.get(url + "simple/", timeout=5).status_code == 200
        children = subprocess.run(
            ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True
        ).stdout.split()
        assert children
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "simple/", timeout=5)
