"""verify installs from the index alone, whatever pip and uv configuration the machine has."""

from __future__ import annotations

import functools
import hashlib
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import build_dist, cli_env, commit_all, copy_package, release_cli

from release.installer import (
    Installer,
    host_pip,
    install_command,
    isolated_env,
    venv_command,
    venv_python,
)


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pub-hatch-cli 7.0.0 in a find-links directory and a file:// simple index, not on our index."""
    top = tmp_path_factory.mktemp("elsewhere")
    root = copy_package("pub-hatch-cli", top)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('version = "1.0.0"', 'version = "7.0.0"'))
    commit_all(root, "7.0.0", init=True)
    links = top / "links"
    build_dist(root, links)
    page = top / "simple" / "pub-hatch-cli"
    page.mkdir(parents=True)
    wheel = next(links.glob("*.whl"))
    shutil.copy(wheel, page / wheel.name)
    (page / "index.html").write_text(f'<a href="{wheel.name}">{wheel.name}</a>\n')
    return top


def hostile_environment(top: Path, home: Path) -> dict[str, str]:
    """Every way pip and uv can be told about more places to install from."""
    conf = top / "pip.conf"
    conf.write_text(f"[global]\nfind-links = {top / 'links'}\n")
    user_conf = home / ".config" / "pip" / "pip.conf"
    user_conf.parent.mkdir(parents=True, exist_ok=True)
    user_conf.write_text(f"[global]\nextra-index-url = {(top / 'simple').as_uri()}\n")
    return {
        **os.environ,
        "HOME": str(home),
        "PIP_FIND_LINKS": str(top / "links"),
        "PIP_EXTRA_INDEX_URL": (top / "simple").as_uri(),
        "PIP_CONFIG_FILE": str(conf),
        "UV_FIND_LINKS": str(top / "links"),
        "UV_EXTRA_INDEX_URL": (top / "simple").as_uri(),
        "UV_INDEX": (top / "simple").as_uri(),
    }


def run(cmd: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["pip", "uv"])
def test_a_version_only_in_the_machine_config_is_not_found(
    kind, elsewhere, fresh_index, tmp_path
) -> None:
    uv = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    if kind == "uv" and uv is None:
        pytest.skip("uv is not installed")
    installer = Installer(kind, uv) if kind == "uv" else Installer(kind, pip_host=host_pip())
    assert installer.pip_host or kind == "uv", "this environment's pip installs into the venv"
    hostile = hostile_environment(elsewhere, tmp_path / "home")
    (tmp_path / "uv.toml").write_text(f'find-links = ["{elsewhere / "links"}"]\n')
    env = isolated_env(hostile)
    venv = tmp_path / "venv"
    assert run(venv_command(installer, venv), env, tmp_path).returncode == 0
    python = venv_python(venv)

    isolated = install_command(installer, python, ["pub-hatch-cli==7.0.0"], fresh_index.index_url)
    proc = run(isolated, env, tmp_path)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "7.0.0" in proc.stdout + proc.stderr

    # the control: the same machine configuration, not isolated, finds it
    if kind == "pip":
        plain = [sys.executable, "-m", "pip", "--python", str(python), "install"]
        plain += ["--index-url", fresh_index.index_url]
    else:
        plain = [str(uv), "pip", "install", "--python", str(python)]
    proc = run([*plain, "pub-hatch-cli==7.0.0"], hostile, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


class _CachedStaticIndex(http.server.SimpleHTTPRequestHandler):
    """A static PEP 503 index, as a bucket behind a CDN serves one: pages cached for 10 minutes."""

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "public, max-age=600")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def _publish_static(root: Path, dist: list[Path], version: str) -> None:
    """Put ``dist`` on the static index in ``root`` and list every file it holds."""
    page = root / "simple" / "pub-hatch-cli"
    page.mkdir(parents=True, exist_ok=True)
    for path in dist:
        shutil.copy(path, page / path.name)
    links = [
        f'<a href="{p.name}#sha256={hashlib.sha256(p.read_bytes()).hexdigest()}">{p.name}</a>'
        for p in sorted(page.iterdir())
        if p.name != "index.html"
    ]
    (page / "index.html").write_text("\n".join(links) + "\n")


def test_a_release_missing_from_uvs_cached_page_is_installed_after_reading_the_index_again(
    tmp_path: Path,
) -> None:
    root = copy_package("pub-hatch-cli", tmp_path)
    commit_all(root, "1.0.0", init=True)
    static = tmp_path / "static"
    handler = functools.partial(_CachedStaticIndex, directory=str(static))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    index_url = f"http://127.0.0.1:{server.server_address[1]}/simple/"
    env = cli_env(UV_CACHE_DIR=str(tmp_path / "uv-cache"))  # a cache of this test's own
    try:
        said = []
        for version in ("1.0.0", "1.0.1"):
            if version != "1.0.0":
                pyproject = root / "pyproject.toml"
                pyproject.write_text(pyproject.read_text().replace("1.0.0", version))
                commit_all(root, version)
            dist = build_dist(root, tmp_path / f"dist-{version}")
            _publish_static(static, dist, version)
            proc = release_cli(
                "--project", str(root), "verify", "--index-url", index_url,
                "--dist", str(tmp_path / f"dist-{version}"), env=env,
            )  # fmt: skip
            assert proc.returncode == 0, proc.stdout + proc.stderr
            assert f"verified: pub-hatch-cli {version} installs and runs" in proc.stdout
            said.append(proc.stdout)
    finally:
        server.shutdown()
        server.server_close()
    again = "  pub-hatch-cli {} not installed from uv's copy of the index; reading it again"
    assert again.format("1.0.0") not in said[0].splitlines()  # nothing cached yet
    # the page uv cached with 1.0.0 is fresh for ten more minutes and does not list 1.0.1
    assert again.format("1.0.1") in said[1].splitlines()
