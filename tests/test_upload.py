"""publish's own upload: the form twine would send, the credentials, what it refuses to send."""

from __future__ import annotations

import base64
import re
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import cli_env, errors_of, hints_of, index_files, loaded_by, release_cli, sha256
from faultproxy import FaultProxy

from release.index import read_project
from release.server import Server
from release.upload import request_body
from release.uploadform import fields


def _fields(head: bytes, boundary: str) -> list[tuple[str, str]]:
    """The text fields of a multipart body's head, in order."""
    found = re.findall(rb'name="([^"]+)"\r\n\r\n(.*?)\r\n--' + boundary.encode(), head, re.S)
    return [(k.decode(), v.decode()) for k, v in found]


def test_the_form_is_the_one_twine_sends(hatch_cli: tuple[Path, list[Path]]) -> None:
    from twine.package import PackageFile
    from twine.repository import Repository

    _, dist = hatch_cli
    assert sorted(p.name.endswith(".whl") for p in dist) == [False, True]
    for path in dist:
        package = PackageFile.from_filename(str(path), None)
        twines = Repository._convert_metadata_to_list_of_tuples(package.metadata_dictionary())
        body = request_body(path, fields(path))
        ours = _fields(body.head, body.boundary)
        assert ours[-2:] == [(":action", "file_upload"), ("protocol_version", "1")]
        assert sorted(ours[:-2]) == sorted((k, str(v)) for k, v in twines), path.name
        assert dict(ours)["sha256_digest"] == sha256(path)
        assert body.length == len(body.head) + path.stat().st_size + len(body.tail)
        assert b"".join(body.chunks())[len(body.head) : -len(body.tail)] == path.read_bytes()


def test_credentials_from_the_environment_go_as_basic_auth_without_twine(
    hatch_cli: tuple[Path, list[Path]], fresh_index: Server
) -> None:
    root, dist = hatch_cli
    with FaultProxy(fresh_index.url) as proxy:
        argv = ["--project", str(root), "publish", "--repository", proxy.url]
        env = cli_env(TWINE_USERNAME="someone", TWINE_PASSWORD="pa:ss wörd")
        code, out, err, modules = loaded_by(*argv, "--index-url", fresh_index.index_url, env=env)
    assert code == 0, out + err
    for path in dist:
        assert f"{path.name}: uploaded (sha256 {sha256(path)})" in out.splitlines()
    token = base64.b64encode("someone:pa:ss wörd".encode("latin-1")).decode()
    assert proxy.authorizations == [f"Basic {token}"] * 2
    assert "pa:ss" not in out + err
    loaded = {m.split(".")[0] for m in modules}
    assert sorted(loaded & {"twine", "requests", "urllib3", "keyring", "rich"}) == []
    listed = read_project(fresh_index.index_url, "pub-hatch-cli")
    assert {name: e.sha256 for name, e in listed.items()} == {p.name: sha256(p) for p in dist}


def with_unknown_field(wheel: Path, bad: Path) -> Path:
    """A copy of ``wheel`` at ``bad`` whose METADATA has a field no specification knows."""
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.endswith(".dist-info/METADATA"):
                data = data.replace(b"\nName:", b"\nFavourite-Colour: blue\nName:", 1)
            dst.writestr(item, data)
    return bad


def test_a_wheel_with_invalid_metadata_is_refused_before_anything_is_sent(
    hatch_cli: tuple[Path, list[Path]], fresh_index: Server, tmp_path: Path
) -> None:
    root, dist = hatch_cli
    (wheel,) = [p for p in dist if p.name.endswith(".whl")]
    bad = with_unknown_field(wheel, tmp_path / wheel.name)
    before = bad.read_bytes()
    proc = release_cli(
        "--project", str(root), "publish", str(bad), "--repository", fresh_index.url
    )  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert errors_of(proc.stderr) == [
        f"error: {bad.name} has invalid metadata: "
        "unrecognized or malformed field 'favourite-colour'"
    ]
    assert hints_of(proc.stderr) == [
        "hint: build it again (release build) with a current build backend; nothing was uploaded"
    ]
    assert f"Uploading {bad.name}" not in proc.stdout
    assert index_files(fresh_index) == []
    assert bad.read_bytes() == before


AHEAD = """
import json, os, signal, sys, tempfile, time
from pathlib import Path
from release import uploadform
from release.errors import UsageError

def outcome(get, path):
    try:
        return ["ok", get(path)]
    except UsageError as exc:
        return [type(exc).__name__, exc.message, exc.hint]

def asked_here(path):
    raise AssertionError(f"{path.name} was worked out here, not by the child")

def stop(signum, frame):  # as release's own handler: SIGTERM ends the command like Ctrl-C
    raise KeyboardInterrupt

how, paths = sys.argv[1], [Path(p) for p in sys.argv[2:]]
here = [outcome(uploadform.fields, p) for p in paths]
signal.signal(signal.SIGTERM, stop)
with uploadform.ahead() as forms:
    assert forms is not None, "one thread: the fork is safe"
    pid = forms._pid
    if how == "terminated":
        # the child has SIGTERM's default: it ends there, never running the caller's handler
        # (which raises, and would run the rest of the caller's command in the child)
        os.kill(pid, signal.SIGTERM)
        status = os.waitpid(pid, 0)[1]
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM, status
    if how == "answered":
        uploadform.fields = asked_here  # the child has the real one: forked before this
    if how == "killed":
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.3)  # gone, its end of the pipe closed: the files are sent to no one
    if how != "never asked":
        forms.send(paths)
    if how in ("answered", "killed", "terminated"):
        there = [outcome(forms.fields, p) for p in paths]
    if how == "sent, never asked":
        # what publish opens after the send may take the pipe's old descriptor number
        opened = [tempfile.TemporaryFile() for _ in range(3)]
try:
    os.waitpid(pid, 0)
    reaped = False
except ChildProcessError:
    reaped = True
if how in ("answered", "killed", "terminated"):
    print(json.dumps([here, there, forms.answered, reaped]))
else:
    if how == "sent, never asked":
        for fh in opened:  # still theirs: nothing closed them
            fh.write(b"x")
            fh.flush()
    print(json.dumps(["reaped" if reaped else "left"]))
"""


@pytest.mark.parametrize("how", ["answered", "killed", "terminated"])
def test_forms_worked_out_ahead_are_the_ones_worked_out_here(
    hatch_cli: tuple[Path, list[Path]], tmp_path: Path, how: str
) -> None:
    """publish's child gives each file's fields or its error as the parent would find them;
    a child that died leaves the parent to find them itself."""
    import json
    import subprocess
    import sys

    _, dist = hatch_cli
    wheel = next(p for p in dist if p.name.endswith(".whl"))
    cut = tmp_path / "cut" / wheel.name
    cut.parent.mkdir()
    cut.write_bytes(wheel.read_bytes()[:200])
    (tmp_path / "bad").mkdir()
    bad = with_unknown_field(wheel, tmp_path / "bad" / wheel.name)
    paths = [*map(str, dist), str(cut), str(bad)]
    done = subprocess.run(
        [sys.executable, "-c", AHEAD, how, *paths], capture_output=True, text=True, check=True
    )
    here, there, answered, reaped = json.loads(done.stdout)
    assert there == here
    assert (answered, reaped) == ((len(paths), True) if how == "answered" else (0, True))
    assert [o[0] for o in here] == ["ok", "ok", "UsageError", "BadDistribution"]
    assert ["name", "pub-hatch-cli"] in here[0][1]
    assert here[2][1] == (
        f"{wheel.name} is not a distribution an index accepts: "
        f"{wheel.name} is not a readable archive: File is not a zip file"
    )
    assert here[3][1:] == [
        f"{wheel.name} has invalid metadata: unrecognized or malformed field 'favourite-colour'",
        "build it again (release build) with a current build backend; nothing was uploaded",
    ]


@pytest.mark.parametrize("how", ["never asked", "sent, never asked"])
def test_a_child_never_asked_is_ended_and_reaped(
    hatch_cli: tuple[Path, list[Path]], how: str
) -> None:
    """As when every file is on the index already, or publish fails before the first upload:
    the child is ended and reaped, and no descriptor is closed twice."""
    import json
    import subprocess
    import sys

    _, dist = hatch_cli
    done = subprocess.run(
        [sys.executable, "-c", AHEAD, how, *map(str, dist)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["reaped"]


class _MovedServer(ThreadingHTTPServer):
    """An upload URL that moved: every POST answers ``status`` to another path."""

    def __init__(self, status: int) -> None:
        super().__init__(("127.0.0.1", 0), _Moved)
        self.status = status


class _Moved(BaseHTTPRequestHandler):
    server: _MovedServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(self.server.status)
        self.send_header("Location", "/legacy/")
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.mark.parametrize("status", [301, 308])  # a 308 would resend the POST: still not
def test_an_upload_url_that_redirects_is_not_followed(
    hatch_cli: tuple[Path, list[Path]], fresh_index: Server, status: int
) -> None:
    root, _ = hatch_cli
    server = _MovedServer(status)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        proc = release_cli(
            "--project", str(root), "publish", "--repository", url,
            "--index-url", fresh_index.index_url,
        )  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
    assert proc.returncode == 1, proc.stdout + proc.stderr
    reason = {301: "Moved Permanently", 308: "Permanent Redirect"}[status]
    wheel = "pub_hatch_cli-1.0.0-py3-none-any.whl"  # the first file publish sends
    assert errors_of(proc.stderr) == [
        f"error: upload of {wheel} to {url} failed: {status} {reason}"
    ]
    assert hints_of(proc.stderr) == ["hint: the upload URL redirects: pass the URL it redirects to"]
    assert index_files(fresh_index) == []
