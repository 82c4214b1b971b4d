"""A table of bad inputs: ``status``, ``ship --dry-run`` and ``ship`` each refuse, nothing changes.

Every row starts from the same small project (a static version, so no row needs a build),
committed on main and pushed to a bare ``origin``. A row breaks one thing: the configuration,
an environment variable, a file, the git state, or the index (a small local server that
answers wrongly). Then:

- ``status`` shows the matching ``[FAIL]`` line (status reports refusals, it does not refuse);
- ``ship --dry-run`` and ``ship`` exit 2 (1 where the failure is the index's), with one
  ``error:`` line that names the problem and a ``hint:`` line;
- no traceback, and the sentinel secret in ``TWINE_PASSWORD``/``GITHUB_TOKEN`` never shows;
- the work tree, its refs, ``origin`` and the index are byte-for-byte as they were.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import FAST_RETRIES, git, snapshot

from release.__main__ import main
from release.server import Server

SENTINEL = "sentinel-7f3a-secret"
PYPROJECT = '[project]\nname = "Bad_Inputs"\nversion = "1.0.0"\n'
CHANGELOG = "# Changelog\n\n## [Unreleased]\n\n- a change\n"


# --- an index that answers wrongly, by the first part of the path ---


class _BadIndex(http.server.BaseHTTPRequestHandler):
    """``/e404/...`` 404s, ``/e500/...`` 500s, ``/html/...`` is a web site, ``/loop/...``
    redirects to itself, ``/slow/...`` answers after the client gave up."""

    stop: threading.Event

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _answer(self) -> None:
        mode = self.path.strip("/").split("/")[0]
        if mode == "slow":
            self.stop.wait(5)
            mode = "html"
        if mode == "loop":
            self.send_response(302)
            self.send_header("Location", self.path)
            self.end_headers()
            return
        status = {"e404": 404, "e500": 500}.get(mode, 200)
        body = b'<html><body><a href="/login">Log in</a> <a href="/about">About</a></body></html>'
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            # the client may have given up waiting, as it should
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

    do_GET = do_HEAD = do_POST = _answer


@pytest.fixture(scope="module")
def bad_index() -> Iterator[str]:
    """The base URL of a server on 127.0.0.1 that answers every request wrongly."""
    stop = threading.Event()
    handler = type("Handler", (_BadIndex,), {"stop": stop})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


# --- the project every row starts from ---


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project committed on main and pushed to ``remote.git``; rows copy it."""
    top = tmp_path_factory.mktemp("template")
    work, bare = top / "work", top / "remote.git"
    work.mkdir()
    (work / "pyproject.toml").write_text(PYPROJECT)
    (work / "CHANGELOG.md").write_text(CHANGELOG)
    (work / "README.md").write_text("bad inputs\n")
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "T",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "T",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    for cwd, args in (
        (top, ["init", "-q", "--bare", "-b", "main", str(bare)]),
        (work, ["init", "-q", "-b", "main"]),
        (work, ["add", "-A"]),
        (work, ["commit", "-q", "-m", "initial"]),
        (work, ["remote", "add", "origin", str(bare)]),
        (work, ["push", "-q", "-u", "origin", "main"]),
    ):
        subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)
    return top


@dataclass
class Ctx:
    """One row's checkout, its origin, and the environment of the run."""

    work: Path
    bare: Path
    env: dict[str, str] = field(default_factory=dict)

    def commit(self, files: dict[str, str | bytes], *, push: bool = True) -> None:
        """Write ``files``, commit them all, and push: the tree stays clean."""
        for rel, content in files.items():
            path = self.work / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
        git(self.work, "add", "-A")
        git(self.work, "commit", "-q", "-m", "set up the row")
        if push:
            git(self.work, "push", "-q")

    def configure(self, toml: str) -> None:
        """Append ``[tool.release]`` lines to pyproject.toml and commit them."""
        self.commit({"pyproject.toml": PYPROJECT + "[tool.release]\n" + toml + "\n"})


Setup = Callable[[Ctx], None]


def _env(**values: str) -> Setup:
    return lambda c: c.env.update(values)


def _config(toml: str, **env: str) -> Setup:
    def setup(c: Ctx) -> None:
        c.configure(toml)
        c.env.update(env)

    return setup


def _read_only(rel: str, toml: str = "") -> Setup:
    def setup(c: Ctx) -> None:
        if toml:
            c.configure(toml)
        (c.work / rel).chmod(0o444)

    return setup


def _symlink_out(c: Ctx) -> None:
    outside = c.work.parent / "outside"
    outside.mkdir()
    (outside / "VERSION").write_text("1.0.0\n")
    (c.work / "VERSION").symlink_to(outside / "VERSION")
    c.configure('version-files = ["VERSION"]')


def _no_commits(c: Ctx) -> None:
    shutil.rmtree(c.work / ".git")
    git(c.work, "init", "-q", "-b", "main")


def _remote_tag(c: Ctx) -> None:
    git(c.work, "tag", "v1.0.1")
    git(c.work, "push", "-q", "origin", "v1.0.1")
    git(c.work, "tag", "-d", "v1.0.1")


def _both_tags(c: Ctx) -> None:
    _remote_tag(c)
    git(c.work, "tag", "v1.0.1")


def _index(mode: str, scheme: str = "http", **env: str) -> Setup:
    return lambda c: c.env.update({"TARGET": f"{scheme}://{{bad}}/{mode}/", **env})


@dataclass(frozen=True)
class Row:
    """A bad input: how to make it, and the text the refusal must carry."""

    name: str
    setup: Setup
    error: str
    """In the ``error:`` line of ship and dry run, and in a ``[FAIL]`` line of status."""
    code: int = 2
    xfail: str | None = None
    status_error: bool = False
    """status itself must refuse (exit 2): it has nothing to report on."""


def _toml(name: str, toml: str, error: str, **kw: object) -> Row:
    return Row(name, _config(toml), error, **kw)  # type: ignore[arg-type]


def _wrong_type(key: str, value: str, kind: str) -> Row:
    """The row for ``key = value`` in [tool.release] where ``key`` must be a ``kind``."""
    return _toml(f"{key} type", f"{key} = {value}", f"[tool.release] {key} must be a {kind}")


ROWS = [
    # configuration: every key with a wrong type or value, placeholders, paths out
    _wrong_type("repository", "5", "str"),
    _toml(
        "repository value",
        'repository = "nowhere"',
        "unknown repository 'nowhere' (from [tool.release] repository)",
    ),
    _toml(
        "index-url value",
        'index-url = "ftp://example.com/simple/"',
        "[tool.release] index-url: URL 'ftp://example.com/simple/' is not an http(s) URL",
    ),
    _wrong_type("index-url", '["x"]', "str"),
    _toml(
        "extra-index-url value",
        'extra-index-url = "somewhere"',
        "[tool.release] extra-index-url: URL 'somewhere' is not an http(s) URL",
    ),
    _toml(
        "extra-index-url with a password",
        'extra-index-url = "https://user:pw@example.com/simple/"',
        "URL carries credentials",
    ),
    _wrong_type("branch", "1", "str"),
    _toml("branch empty", 'branch = ""', "[tool.release] branch is empty"),
    _toml("branch invalid", 'branch = "a..b"', "is not a valid branch name"),
    _toml("branch elsewhere", 'branch = "stable"', "not the release branch stable"),
    _wrong_type("tag-format", "3", "str"),
    _toml(
        "tag-format unknown placeholder",
        'tag-format = "{foo}-v{version}"',
        "unknown placeholder(s): {foo}",
    ),
    _toml("tag-format malformed", 'tag-format = "v{version}{"', "is malformed"),
    _toml("tag-format with a space", 'tag-format = "v {version}"', "it contains a space"),
    _toml("tag-format with ..", 'tag-format = "v..{version}"', "it contains '..'"),
    _toml("tag-format without version", 'tag-format = "release"', "{version} exactly once"),
    _toml("tag-format format spec", 'tag-format = "v{version!r}"', "conversion or format spec"),
    _wrong_type("changelog", "5", "str"),
    _toml("changelog outside", 'changelog = "../CHANGELOG.md"', "is outside the repository"),
    _toml(
        "changelog missing",
        'changelog = "NEWS.md"',
        "changelog NEWS.md is configured but does not exist",
    ),
    Row(
        "changelog read-only",
        _read_only("CHANGELOG.md", 'changelog = "CHANGELOG.md"'),
        "cannot rewrite CHANGELOG.md is read-only",
    ),
    Row(
        "changelog has the section already",
        lambda c: c.commit({"CHANGELOG.md": CHANGELOG + "\n## [1.0.1] - 2020-01-01\n"}),
        "CHANGELOG.md already has a section for 1.0.1",
    ),
    _toml("version-files type", 'version-files = "VERSION"', "version-files must be a list"),
    _toml("version-files entry type", "version-files = [1]", "version-files entry must be a str"),
    _toml(
        "version-files outside",
        'version-files = ["../VERSION"]',
        "version-files entry '../VERSION' is outside the repository",
    ),
    _toml(
        "version-files absolute",
        'version-files = ["/etc/hostname"]',
        "version-files entry '/etc/hostname' is outside the repository",
    ),
    Row("version-files symlink out", _symlink_out, "(through a symbolic link)"),
    _wrong_type("push", '"yes"', "bool"),
    _toml("github-release type", 'github-release = "yes"', "github-release must be a bool"),
    Row(
        "github-release without a token",
        _config("github-release = true", GITHUB_REPOSITORY="owner/name"),
        "github-release = true, but GITHUB_TOKEN is not set",
    ),
    Row(
        "github-release without a repository",
        _config("github-release = true", GITHUB_TOKEN=SENTINEL),
        "github-release = true, but cannot tell the GitHub repository",
    ),
    Row(
        "github-release over plain http",
        _config(
            "github-release = true",
            GITHUB_TOKEN=SENTINEL,
            GITHUB_REPOSITORY="owner/name",
            GITHUB_API_URL="http://example.com/api",
        ),
        "is not an https URL; the token would travel in clear text",
    ),
    Row(
        "tool.release not a table",
        lambda c: c.commit({"pyproject.toml": PYPROJECT + "[tool]\nrelease = 5\n"}),
        "[tool.release] must be a table",
    ),
    _toml("unknown key", 'tag_format = "v{version}"', "unknown [tool.release] key(s): tag_format"),
    # environment variables: every RELEASE_* with a non-number, a negative or an unknown choice
    Row(
        "RELEASE_INSTALLER choice",
        _env(RELEASE_INSTALLER="conda"),
        "RELEASE_INSTALLER='conda' is neither uv nor pip",
    ),
    Row(
        "RELEASE_RETRY_TIMEOUT not a number",
        _env(RELEASE_RETRY_TIMEOUT="abc"),
        "RELEASE_RETRY_TIMEOUT='abc' is not a number of seconds",
    ),
    Row(
        "RELEASE_RETRY_TIMEOUT negative",
        _env(RELEASE_RETRY_TIMEOUT="-1"),
        "RELEASE_RETRY_TIMEOUT='-1' is not a number of seconds",
    ),
    Row(
        "RELEASE_VERIFY_TIMEOUT negative",
        _env(RELEASE_VERIFY_TIMEOUT="-5"),
        "RELEASE_VERIFY_TIMEOUT='-5' is not a number of seconds",
    ),
    Row(
        "RELEASE_VERIFY_TIMEOUT nan",
        _env(RELEASE_VERIFY_TIMEOUT="nan"),
        "RELEASE_VERIFY_TIMEOUT='nan' is not a number of seconds",
    ),
    Row(
        "RELEASE_GITHUB_TIMEOUT not a number",
        _env(RELEASE_GITHUB_TIMEOUT="soon"),
        "RELEASE_GITHUB_TIMEOUT='soon' is not a number of seconds",
    ),
    Row(
        "RELEASE_RETRY_DELAY not a number",
        _env(RELEASE_RETRY_DELAY="1s"),
        "RELEASE_RETRY_DELAY='1s' is not a number of seconds",
    ),
    Row(
        "RELEASE_RETRY_MAX_DELAY negative",
        _env(RELEASE_RETRY_MAX_DELAY="-3"),
        "RELEASE_RETRY_MAX_DELAY='-3' is not a number of seconds",
    ),
    Row(
        "RELEASE_INDEX_TIMEOUT zero",
        _env(RELEASE_INDEX_TIMEOUT="0"),
        "RELEASE_INDEX_TIMEOUT=0: a request needs some time",
    ),
    Row(
        "RELEASE_REPOSITORY choice",
        _env(RELEASE_REPOSITORY="nowhere"),
        "unknown repository 'nowhere' (from RELEASE_REPOSITORY)",
    ),
    Row(
        "RELEASE_INDEX_URL not http",
        _env(RELEASE_INDEX_URL="ftp://example.com/"),
        "RELEASE_INDEX_URL: URL 'ftp://example.com/' is not an http(s) URL",
    ),
    Row(
        "RELEASE_EXTRA_INDEX_URL not a URL",
        _env(RELEASE_EXTRA_INDEX_URL="pypi"),
        "RELEASE_EXTRA_INDEX_URL: URL 'pypi' is not an http(s) URL",
    ),
    Row(
        "two bad variables at once",
        _env(RELEASE_RETRY_TIMEOUT="x", RELEASE_INSTALLER="poetry"),
        "RELEASE_INSTALLER='poetry' is neither uv nor pip; RELEASE_RETRY_TIMEOUT='x'",
    ),
    # files
    Row(
        "invalid TOML",
        lambda c: c.commit({"pyproject.toml": '[project\nname = "x"\n'}),
        "is not valid TOML",
    ),
    Row(
        "a BOM",
        lambda c: c.commit({"pyproject.toml": b"\xef\xbb\xbf" + PYPROJECT.encode()}),
        "starts with a byte order mark (BOM)",
    ),
    Row(
        "not UTF-8",
        lambda c: c.commit({"pyproject.toml": PYPROJECT.encode() + b"# caf\xe9\n"}),
        "is not UTF-8",
    ),
    Row(
        "an empty version",
        lambda c: c.commit({"pyproject.toml": PYPROJECT.replace("1.0.0", "")}),
        "'' is not a valid PEP 440 version",
    ),
    Row(
        "two sources disagree",
        lambda c: c.commit(
            {
                "VERSION": "0.9.0\n",
                "pyproject.toml": PYPROJECT + '[tool.release]\nversion-files = ["VERSION"]\n',
            }
        ),
        "version sources disagree",
    ),
    Row(
        "read-only pyproject.toml",
        _read_only("pyproject.toml"),
        "cannot rewrite pyproject.toml is read-only",
    ),
    Row(
        "uncommitted change",
        lambda c: (c.work / "README.md").write_text("edited\n"),
        "uncommitted changes: README.md",
    ),
    # git states
    Row("detached HEAD", lambda c: git(c.work, "checkout", "-q", "--detach"), "HEAD is detached"),
    Row("no commits", _no_commits, "has no commits yet", status_error=True),
    Row(
        "no remote",
        lambda c: git(c.work, "remote", "remove", "origin"),
        "no upstream branch to push to",
    ),
    Row(
        "unreachable remote",
        lambda c: git(c.work, "remote", "set-url", "origin", str(c.bare.parent / "gone.git")),
        "git could not read the refs of remote 'origin'",
    ),
    Row(
        "tag taken locally",
        lambda c: git(c.work, "tag", "v1.0.1"),
        "tag v1.0.1 already exists locally",
    ),
    Row("tag taken on the remote", _remote_tag, "tag v1.0.1 already exists on origin"),
    Row("tag taken on both", _both_tags, "tag v1.0.1 already exists locally"),
    # index answers: the index's failure, exit 1
    Row(
        "index 404",
        _index("e404"),
        "answered 404 Not Found: there is no simple index there",
        code=1,
    ),
    Row("index 500", _index("e500"), "answered 500 Internal Server Error", code=1),
    Row("index is a web site", _index("html"), "is not a simple index page", code=1),
    Row("index redirect loop", _index("loop"), "redirects too often", code=1),
    Row("index TLS failure", _index("tls", "https"), "cannot connect to https://", code=1),
    Row(
        "index too slow",
        _index("slow", RELEASE_INDEX_TIMEOUT="1"),
        "did not answer within 1s",
        code=1,
    ),
]


def _params() -> list[object]:
    params: list[object] = []
    for row in ROWS:
        marks = [pytest.mark.xfail(strict=True, reason=row.xfail)] if row.xfail else []
        params.append(pytest.param(row, id=row.name, marks=marks))
    return params


def _index_state(server: Server) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(server.root.iterdir()) if p.is_file()}


def _run(capsys: pytest.CaptureFixture[str], work: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--project", str(work), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _refused(row: Row, code: int, out: str, err: str, expected_code: int) -> None:
    """One ``error:`` line naming the problem, a hint, the right status, no trace, no secret."""
    assert code == expected_code, (out, err)
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and row.error in errors[0], err
    assert any(line.startswith("hint: ") and len(line) > 8 for line in err.splitlines()), err


@pytest.mark.parametrize("row", _params())
def test_bad_input_is_refused_everywhere_and_changes_nothing(
    row: Row,
    tmp_path: Path,
    template: Path,
    pypi_index: Server,
    bad_index: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shutil.copytree(template, tmp_path, symlinks=True, dirs_exist_ok=True)
    ctx = Ctx(tmp_path / "work", tmp_path / "remote.git")
    git(ctx.work, "remote", "set-url", "origin", str(ctx.bare))
    for key in list(os.environ):
        if key.startswith(("TWINE_", "RELEASE_", "GITHUB_")):
            monkeypatch.delenv(key)
    for key, value in {
        **FAST_RETRIES,
        "RELEASE_INDEX_TIMEOUT": "5",
        "RELEASE_RETRY_TIMEOUT": "1",  # should preflight retry the index, a bad one costs 1s
        "TWINE_USERNAME": "user",
        "TWINE_PASSWORD": SENTINEL,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }.items():
        monkeypatch.setenv(key, value)
    row.setup(ctx)
    target = ctx.env.pop("TARGET", pypi_index.url).format(bad=bad_index)
    for key, value in ctx.env.items():
        monkeypatch.setenv(key, value)
    before = snapshot(ctx.work), snapshot(ctx.bare), _index_state(pypi_index)
    ship = ["ship", "--repository", target, "--no-isolation"]

    code, out, err = _run(capsys, ctx.work, "status", "--repository", target)
    if row.status_error:
        _refused(row, code, out, err, 2)
    else:
        assert code == 0, (out, err)
        fails = [line for line in out.splitlines() if line.startswith("  [FAIL] ")]
        assert any(row.error in line for line in fails), out
    seen = [out + err]
    code, out, err = _run(capsys, ctx.work, *ship, "--dry-run")
    _refused(row, code, out, err, row.code)
    seen.append(out + err)
    # only now the real run: a row that the dry run did not refuse must not release anything
    code, out, err = _run(capsys, ctx.work, *ship)
    _refused(row, code, out, err, row.code)
    seen.append(out + err)

    for text in seen:
        assert "Traceback" not in text
        assert SENTINEL not in text
    assert (snapshot(ctx.work), snapshot(ctx.bare), _index_state(pypi_index)) == before
