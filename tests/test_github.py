"""release github-release against a local stand-in for the GitHub REST API."""

from __future__ import annotations

import hashlib
import json
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import git, init_repo

from release.__main__ import main
from release.github import parse_remote, version_of_tag

SENTINEL = "ghs_SENTINEL_token_0123456789_must_never_be_printed"
CHANGELOG = """# Changelog

## [Unreleased]

## [1.2.3] - 2026-11-20

### Fixed
- The widget no longer wobbles.

## [1.2.3rc1] - 2026-11-10

- A candidate.

[Unreleased]: https://github.com/acme/widget/compare/v1.2.3...HEAD
"""


@dataclass
class FakeGitHub:
    """The four endpoints github-release uses, with the releases and requests it has seen."""

    url: str = ""
    tags: set[str] = field(default_factory=lambda: {"v1.2.3", "v1.2.3rc1"})
    releases: dict[int, dict[str, Any]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    fail: list[int] = field(default_factory=list)
    """Statuses to answer the next requests with, before answering normally."""
    assets: dict[int, dict[str, Any]] = field(default_factory=dict)
    """Uploaded release assets by id: name, size, digest, release id, and the bytes sent."""
    next_asset: int = 1

    def by_tag(self, tag: str) -> dict[str, Any] | None:
        return next((r for r in self.releases.values() if r["tag_name"] == tag), None)

    def handle(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        if self.fail:
            return self.fail.pop(0), {"message": "Server Error"}
        parts = path.split("/")
        if parts[:2] != ["", "repos"] or len(parts) < 5:
            return 404, {"message": "Not Found"}
        repo, rest = "/".join(parts[2:4]), parts[4:]
        if rest[:1] == ["releases"] and (rest[-1].startswith("assets") or rest[1:2] == ["assets"]):
            return self.handle_asset(method, repo, rest, body)
        if method == "GET" and rest[:3] == ["git", "ref", "tags"]:
            tag = "/".join(rest[3:])
            return (200, {"ref": f"refs/tags/{tag}"}) if tag in self.tags else (404, {})
        if method == "GET" and rest[:2] == ["releases", "tags"]:
            found = self.by_tag("/".join(rest[2:]))
            return (200, found) if found else (404, {"message": "Not Found"})
        if method == "POST" and rest == ["releases"]:
            if self.by_tag(body["tag_name"]):
                return 422, {"message": "Validation Failed: already_exists"}
            ident = len(self.releases) + 1
            html = f"https://github.example/{repo}/releases/tag/{body['tag_name']}"
            upload = f"{self.url}/repos/{repo}/releases/{ident}/assets{{?name,label}}"
            self.releases[ident] = {"id": ident, "html_url": html, "upload_url": upload, **body}
            return 201, self.releases[ident]
        if method == "PATCH" and rest[0] == "releases" and int(rest[1]) in self.releases:
            self.releases[int(rest[1])].update(body)
            return 200, self.releases[int(rest[1])]
        return 404, {"message": "Not Found"}

    def handle_asset(self, method: str, repo: str, rest: list[str], body: Any) -> tuple[int, Any]:
        """List, upload (the uploads endpoint, ``?name=``) and delete a release's assets."""
        if method == "DELETE" and rest[1] == "assets":
            return (204, None) if self.assets.pop(int(rest[2]), None) else (404, {})
        ident = int(rest[1])
        if ident not in self.releases:
            return 404, {"message": "Not Found"}
        if method == "GET":
            mine = [a for a in self.assets.values() if a["release"] == ident]
            return 200, [{k: v for k, v in a.items() if k != "data"} for a in mine]
        name = rest[2].partition("?name=")[2]
        if method != "POST" or not name or not isinstance(body, bytes):
            return 404, {"message": "Not Found"}
        name = urllib.parse.unquote(name)
        if any(a["name"] == name and a["release"] == ident for a in self.assets.values()):
            return 422, {"message": "Validation Failed: already_exists"}
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        asset = {"id": self.next_asset, "name": name, "size": len(body), "digest": digest}
        self.assets[self.next_asset] = {**asset, "release": ident, "data": body}
        self.next_asset += 1
        return 201, asset

    def writes(self) -> list[str]:
        return [r["method"] for r in self.requests if r["method"] != "GET"]


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    """A stand-in GitHub API on 127.0.0.1 (free port), wired in through the environment."""
    fake = FakeGitHub()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            json_body = self.headers.get("Content-Type", "") == "application/json"
            body = (json.loads(raw) if json_body else raw) if raw else None
            fake.requests.append(
                {
                    "method": self.command,
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body if not isinstance(body, bytes) else f"<{len(body)} bytes>",
                }
            )
            status, answer = fake.handle(self.command, self.path, body)
            data = json.dumps(answer).encode() if answer is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("GITHUB_API_URL", fake.url)
    monkeypatch.setenv("GITHUB_TOKEN", SENTINEL)
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/widget")
    monkeypatch.setenv("RELEASE_RETRY_DELAY", "0")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def project(make_project) -> Path:
    root: Path = make_project(
        {
            "pyproject.toml": '[project]\nname = "widget"\nversion = "1.2.3"\n',
            "CHANGELOG.md": CHANGELOG,
        }
    )
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert SENTINEL not in out + err
    return code, out, err


def test_creates_the_release_with_the_changelog_section(github, project, capsys) -> None:
    code, out, err = run(capsys, "--project", str(project), "github-release")
    assert (code, err) == (0, "")
    assert out == (
        "created GitHub Release v1.2.3 of acme/widget: "
        "https://github.example/acme/widget/releases/tag/v1.2.3\n"
    )
    post = [r for r in github.requests if r["method"] == "POST"]
    assert len(post) == 1
    assert post[0]["path"] == "/repos/acme/widget/releases"
    assert post[0]["body"] == {
        "tag_name": "v1.2.3",
        "name": "v1.2.3",
        "body": "### Fixed\n- The widget no longer wobbles.",
        "prerelease": False,
        "draft": False,
    }
    headers = post[0]["headers"]
    assert headers["authorization"] == f"Bearer {SENTINEL}"
    assert headers["accept"] == "application/vnd.github+json"
    assert headers["x-github-api-version"] == "2022-11-28"


def test_running_twice_neither_duplicates_nor_rewrites(github, project, capsys) -> None:
    assert run(capsys, "--project", str(project), "github-release")[0] == 0
    code, out, _ = run(capsys, "--project", str(project), "github-release")
    assert code == 0
    assert out.startswith("GitHub Release v1.2.3 of acme/widget is up to date: https://")
    assert github.writes() == ["POST"]
    assert len(github.releases) == 1


def test_an_existing_release_is_updated_not_duplicated(github, project, capsys) -> None:
    github.releases[7] = {
        "id": 7,
        "tag_name": "v1.2.3",
        "name": "old name",
        "body": "old notes",
        "prerelease": False,
        "html_url": "https://github.example/acme/widget/releases/tag/v1.2.3",
    }
    code, out, _ = run(capsys, "--project", str(project), "github-release", "--tag", "v1.2.3")
    assert code == 0
    assert out.startswith("updated GitHub Release v1.2.3 of acme/widget: ")
    assert github.writes() == ["PATCH"]
    patch = github.requests[-1]
    assert patch["path"] == "/repos/acme/widget/releases/7"
    assert patch["body"]["body"] == "### Fixed\n- The widget no longer wobbles."
    assert len(github.releases) == 1


def test_a_pre_release_tag_makes_a_pre_release(github, project, capsys) -> None:
    code, _, _ = run(capsys, "--project", str(project), "github-release", "--tag", "v1.2.3rc1")
    assert code == 0
    assert github.by_tag("v1.2.3rc1") is not None
    assert github.by_tag("v1.2.3rc1")["prerelease"] is True  # type: ignore[index]
    assert github.by_tag("v1.2.3rc1")["body"] == "- A candidate."  # type: ignore[index]


def test_a_tag_github_does_not_have_is_refused_before_any_write(github, project, capsys) -> None:
    github.tags.clear()
    code, out, err = run(capsys, "--project", str(project), "github-release")
    assert (code, out) == (2, "")
    assert err == (
        "error: tag v1.2.3 is not on GitHub (acme/widget)\nhint: push it first: git push origin v1.2.3\n"
    )
    assert github.writes() == []


def test_transient_server_errors_are_retried(github, project, capsys) -> None:
    github.fail = [502, 503]
    code, out, _ = run(capsys, "--project", str(project), "github-release")
    assert code == 0
    assert out.startswith("created ")
    assert len(github.releases) == 1


def test_a_release_that_appears_between_read_and_create_is_updated(github, project, capsys) -> None:
    original = github.handle

    def racing(method: str, path: str, body: Any) -> tuple[int, Any]:
        if method == "POST" and not github.releases:
            # another run creates it first, with other notes
            original("POST", path, {**body, "body": "theirs"})
        return original(method, path, body)

    github.handle = racing  # type: ignore[method-assign]
    code, out, _ = run(capsys, "--project", str(project), "github-release")
    assert code == 0
    assert out.startswith("updated ")
    assert github.writes() == ["POST", "PATCH"]
    assert len(github.releases) == 1
    assert github.by_tag("v1.2.3")["body"].startswith("### Fixed")  # type: ignore[index]


@pytest.mark.parametrize("debug", [[], ["--debug"]])
def test_a_refused_token_is_a_step_error_that_never_shows_the_token(
    github, project, capsys, debug: list[str]
) -> None:
    github.fail = [401]
    code, out, err = run(capsys, *debug, "--project", str(project), "github-release")
    assert (code, out) == (1, "")  # --debug adds the traceback and keeps the exit status
    assert ("Traceback (most recent call last)" in err) == bool(debug)
    assert SENTINEL not in err
    last = err.splitlines()[-2:] if debug else err.splitlines()[:2]
    assert last[0].startswith(
        "error: announce: GitHub refused to read tag v1.2.3: 401 Server Error"
    )
    assert "contents: write" in err


def test_the_token_is_not_echoed_even_when_the_server_repeats_it(github, project, capsys) -> None:
    original = github.handle

    def echoing(method: str, path: str, body: Any) -> tuple[int, Any]:
        return 403, {"message": f"Bad credentials: Bearer {SENTINEL}"}

    github.handle = echoing  # type: ignore[method-assign]
    code, _, err = run(capsys, "--project", str(project), "github-release")
    assert code == 1
    assert "Bad credentials: Bearer ***" in err
    github.handle = original  # type: ignore[method-assign]


def test_repository_from_the_origin_remote(github, project, capsys, monkeypatch) -> None:
    monkeypatch.delenv("GITHUB_REPOSITORY")
    init_repo(project)
    git(project, "remote", "add", "origin", "git@github.com:octo-org/gadget.git")
    assert run(capsys, "--project", str(project), "github-release")[0] == 0
    assert {r["path"].split("/")[3] for r in github.requests} == {"gadget"}
    assert github.requests[-1]["path"] == "/repos/octo-org/gadget/releases"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"GITHUB_TOKEN": ""}, "error: GITHUB_TOKEN is not set"),
        ({"GITHUB_API_URL": "http://api.example.com"}, "error: GITHUB_API_URL='http://api"),
        ({"GITHUB_REPOSITORY": "just-a-name"}, "error: GITHUB_REPOSITORY='just-a-name'"),
    ],
)
def test_bad_input_is_refused_before_any_request(
    github, project, capsys, monkeypatch, env: dict[str, str], message: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    code, out, err = run(capsys, "--project", str(project), "github-release")
    assert (code, out) == (2, "")
    assert err.startswith(message)
    assert github.requests == []


def test_no_origin_remote_and_no_repository_is_refused(github, project, capsys, monkeypatch):
    monkeypatch.delenv("GITHUB_REPOSITORY")
    init_repo(project)
    code, _, err = run(capsys, "--project", str(project), "github-release")
    assert code == 2
    assert "has no origin remote" in err
    assert "hint: set GITHUB_REPOSITORY=owner/name" in err


def test_a_version_missing_from_the_changelog_is_refused(github, project, capsys) -> None:
    code, _, err = run(capsys, "--project", str(project), "github-release", "--tag", "v1.2.2")
    assert code == 2
    assert err.startswith("error: CHANGELOG.md has no section for 1.2.2\n")
    assert github.requests == []


@pytest.mark.parametrize(
    ("url", "slug"),
    [
        ("https://github.com/acme/widget.git", "acme/widget"),
        ("https://github.com/acme/widget", "acme/widget"),
        ("https://github.com/acme/widget/", "acme/widget"),
        ("https://x-access-token:abc@github.com/acme/widget", "acme/widget"),
        ("git@github.com:acme/widget.git", "acme/widget"),
        ("ssh://git@github.com/acme/widget.git", "acme/widget"),
        ("ssh://git@github.example:2222/acme/widget", "acme/widget"),
        ("/srv/git/widget.git", None),
        ("https://github.com/acme", None),
        ("https://gitlab.example/group/sub/widget.git", None),
    ],
)
def test_parse_remote(url: str, slug: str | None) -> None:
    assert parse_remote(url) == slug


@pytest.mark.parametrize(
    ("tag", "fmt", "version"),
    [("v1.2.3", "v{version}", "1.2.3"), ("widget-2.0rc1", "widget-{version}", "2.0rc1")],
)
def test_version_of_tag(tag: str, fmt: str, version: str) -> None:
    assert str(version_of_tag(tag, fmt)) == version


@pytest.mark.parametrize("tag", ["1.2.3", "vnext", "v"])
def test_a_tag_that_names_no_version_is_refused(tag: str) -> None:
    from release.errors import UsageError

    with pytest.raises(UsageError):
        version_of_tag(tag, "v{version}")


def test_ship_announces_with_the_changelog_section(github, tmp_path, capsys, monkeypatch) -> None:
    """The announce step of ship: after the push, a GitHub Release with the version's notes."""

    from conftest import FAST_RETRIES, copy_package, with_origin

    from release.server import running

    for key, value in FAST_RETRIES.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    work = copy_package("pub-hatch-cli", tmp_path)
    (work / "CHANGELOG.md").write_text(
        "# Changelog\n\n## [Unreleased]\n\n### Added\n- A console script that greets.\n"
    )
    with (work / "pyproject.toml").open("a") as fh:
        fh.write("\n[tool.release]\ngithub-release = true\n")
    init_repo(work)
    with_origin(work, tmp_path / "remote.git")
    github.tags.add("v1.0.1")  # what the push step gives GitHub
    with running(tmp_path / "index") as index:
        argv = ["--project", str(work), "ship", "--repository", index.url, "--no-isolation"]
        code = main(argv)
        out, err = capsys.readouterr()
        assert code == 0, err
        assert "    ok announce (" in err
        (release,) = github.releases.values()
        assert release["tag_name"] == "v1.0.1"
        assert release["body"] == "### Added\n- A console script that greets."
        assert SENTINEL not in out + err
        # complete now, announce included: a second run does nothing
        assert main(argv) == 0
        assert capsys.readouterr().out.startswith("already released")
        # the release, then its three assets (issue 10: sdist, wheel and SHA256SUMS)
        assert github.writes() == ["POST"] * 4
        assert sorted(a["name"] for a in github.assets.values()) == [
            "SHA256SUMS",
            "pub_hatch_cli-1.0.1-py3-none-any.whl",
            "pub_hatch_cli-1.0.1.tar.gz",
        ]
