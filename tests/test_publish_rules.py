"""Pure decisions of build/check/publish/verify: table-driven, no fixtures, no I/O."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from packaging.version import Version

from release import targets
from release.build import build_command, build_env
from release.check import Metadata, problems
from release.config import Config
from release.dists import artifact_id, files_of
from release.errors import UsageError
from release.index import IndexFile, parse_project_page
from release.installer import (
    Installer,
    choose_installer,
    install_command,
    isolated_env,
    venv_command,
)
from release.publish import decide
from release.retry import Backoff, GaveUp, from_env, retry
from release.verify import hashed_requirement, runtime_requirements, top_level_modules

CFG = Config(project=Path("/p"))


@pytest.mark.parametrize(
    ("flag", "env", "configured", "expected"),
    [
        (None, {}, None, ("local", "http://127.0.0.1:8765/", "http://127.0.0.1:8765/simple/")),
        ("pypi", {}, None, ("pypi", "https://upload.pypi.org/legacy/", "https://pypi.org/simple/")),
        (
            None,
            {"RELEASE_REPOSITORY": "testpypi"},
            "pypi",
            ("testpypi", "https://test.pypi.org/legacy/", "https://test.pypi.org/simple/"),
        ),
        (None, {}, "pypi", ("pypi", "https://upload.pypi.org/legacy/", "https://pypi.org/simple/")),
        (
            "http://127.0.0.1:9000",
            {"RELEASE_REPOSITORY": "pypi"},
            None,
            ("url", "http://127.0.0.1:9000/", "http://127.0.0.1:9000/simple/"),
        ),
        (
            "https://pkgs.example.com/legacy/",
            {},
            None,
            ("url", "https://pkgs.example.com/legacy/", "https://pkgs.example.com/simple/"),
        ),
    ],
)
def test_target_resolution(flag, env, configured, expected) -> None:
    config = Config(project=Path("/p"), repository=configured)
    target = targets.resolve(config, repository=flag, environ=env)
    assert (target.name, target.upload_url, target.index_url) == expected


@pytest.mark.parametrize(
    ("flag", "env", "configured", "expected"),
    [
        ("http://i/+simple", {"RELEASE_INDEX_URL": "http://e/"}, "http://c/", "http://i/+simple/"),
        (None, {"RELEASE_INDEX_URL": "http://e/simple/"}, "http://c/", "http://e/simple/"),
        (None, {}, "http://c/root/+simple/", "http://c/root/+simple/"),
    ],
)
def test_index_url_resolution(flag, env, configured, expected) -> None:
    config = Config(project=Path("/p"), repository="http://up/", index_url=configured)
    assert targets.resolve(config, index_url=flag, environ=env).index_url == expected


@pytest.mark.parametrize("value", ["pypy", "ftp://host/", "http://user:secret@host/", "http://"])
def test_bad_repository_is_a_usage_error(value) -> None:
    with pytest.raises(UsageError) as info:
        targets.resolve(CFG, repository=value, environ={})
    assert "secret" not in info.value.message


def test_extra_index_url_may_be_a_file_url() -> None:
    config = Config(project=Path("/p"), extra_index_url="file:///opt/simple")
    assert targets.extra_index_url(config, {}) == "file:///opt/simple/"
    assert (
        targets.extra_index_url(config, {"RELEASE_EXTRA_INDEX_URL": "http://x/s"}) == "http://x/s/"
    )


def test_backoff_schedule_doubles_up_to_the_cap() -> None:
    delays = Backoff(delay=0.5, factor=2, max_delay=3).delays()
    assert [next(delays) for _ in range(6)] == [0.5, 1, 2, 3, 3, 3]


def test_retry_is_bounded_and_stops_at_a_permanent_error() -> None:
    now = [0.0]
    calls: list[float] = []

    def sleep(seconds: float) -> None:
        now[0] += seconds

    def flaky() -> int:
        calls.append(now[0])
        raise ConnectionError("down")

    with pytest.raises(GaveUp) as info:
        retry(
            flaky,
            transient=lambda e: isinstance(e, ConnectionError),
            backoff=Backoff(delay=1, factor=2, max_delay=4, timeout=10),
            sleep=sleep,
            clock=lambda: now[0],
        )
    assert calls == [0, 1, 3, 7, 10]  # the last wait is cut to end at the deadline
    assert info.value.attempts == 5

    def permanent() -> int:
        raise ValueError("4xx")

    with pytest.raises(ValueError):
        retry(permanent, transient=lambda e: False, backoff=Backoff(), sleep=sleep)


def test_backoff_from_env_refuses_nonsense() -> None:
    assert from_env({"RELEASE_X": "2.5"}, timeout_var="RELEASE_X", default_timeout=9).timeout == 2.5
    with pytest.raises(UsageError):
        from_env({"RELEASE_RETRY_DELAY": "soon"}, timeout_var="RELEASE_X", default_timeout=9)


PAGE = """<!DOCTYPE html><html><body><h1>Links for demo</h1>
<a href="../../packages/demo-1.0.tar.gz#sha256=AAAA{pad}">demo-1.0.tar.gz</a>
<a href="https://files.example/demo-1.0-py3-none-any.whl#md5=00&amp;sha256=bbbb{pad}">x</a>
<a href="/files/demo%2B-1.1.zip">demo-1.1.zip</a>
</body></html>""".format(pad="0" * 60)


def test_parse_simple_page_links_and_hashes() -> None:
    files = parse_project_page(PAGE, "http://idx/simple/demo/")
    assert files == {
        "demo-1.0.tar.gz": IndexFile(
            "demo-1.0.tar.gz", "http://idx/packages/demo-1.0.tar.gz", "aaaa" + "0" * 60
        ),
        "demo-1.0-py3-none-any.whl": IndexFile(
            "demo-1.0-py3-none-any.whl",
            "https://files.example/demo-1.0-py3-none-any.whl",
            "bbbb" + "0" * 60,
        ),
        "demo+-1.1.zip": IndexFile("demo+-1.1.zip", "http://idx/files/demo%2B-1.1.zip", None),
    }


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("pub_hatch_cli-1.0.0-py3-none-any.whl", ("pub-hatch-cli", Version("1.0.0"))),
        ("pub_hatch_cli-1.0.0.tar.gz", ("pub-hatch-cli", Version("1.0.0"))),
        ("Pub.Hatch-1.0rc1.zip", ("pub-hatch", Version("1.0rc1"))),
        ("pub-1.0.0.exe", None),
        ("nonsense.whl", None),
        ("demo-1.0-1build-cp311-cp311-manylinux_2_17_x86_64.whl", ("demo", Version("1.0"))),
        ("demo-1.0-py2.py3-none-any.whl", ("demo", Version("1.0"))),
        ("demo-1.0-build-py3-none-any.whl", None),  # a build tag starts with a digit
        ("demo-1.0-3py-none-any.whl", None),  # the interpreter is an identifier
        ("demo-1.0-py3..py2-none-any.whl", None),  # no empty member in a tag set
        ("de__mo-1.0-py3-none-any.whl", None),  # the name is escaped with single underscores
        ("-1.0.tar.gz", None),
        ("demo-1.0.0-extra-py3-none-any-more.whl", None),
        ("demo-one.tar.gz", None),
    ],
)
def test_artifact_id(filename, expected) -> None:
    assert artifact_id(filename) == expected


def _file_names() -> list[str]:
    """Wheel and sdist names from every mix of good and bad parts."""
    names = ["demo", "Pub.Hatch", "a_b", "x__y", "", "é", "a+b"]
    versions = ["1.0", "2!1.0.post1", "one", ""]
    builds = [[], ["1build"], ["build"], [""]]
    tags = [
        "py3-none-any",
        "py2.py3-none-any",
        "3py-none-any",
        "py3..py2-none-any",
        "cp311-cp311-manylinux_2_17_x86_64",
        "py3-none",
        "py3-none-any-x",
        "py3--any",
    ]
    wheels = [
        "-".join([n, v, *b, t]) + ".whl"
        for n, v, b, t in itertools.product(names, versions, builds, tags)
    ]
    sdists = [f"{n}-{v}{e}" for n, v, e in itertools.product(names, versions, [".tar.gz", ".zip"])]
    return wheels + sdists + ["demo.tar.gz", "demo.whl"]  # fmt: skip


def test_artifact_id_reads_file_names_as_packaging_does() -> None:
    # dists parses names without packaging.utils (which loads packaging.tags); same answers
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    differ = []
    for filename in _file_names():
        try:
            if filename.endswith(".whl"):
                name, version, _, _ = parse_wheel_filename(filename)
            else:
                name, version = parse_sdist_filename(filename)
            expected: tuple[str, Version] | None = (str(name), version)
        except (InvalidWheelFilename, InvalidSdistFilename):
            expected = None
        if artifact_id(filename) != expected:
            differ.append((filename, artifact_id(filename), expected))
    assert differ == []


def test_files_of_picks_one_release() -> None:
    names = ["a-1.0.tar.gz", "a-1.0-py3-none-any.whl", "a-1.0.1.tar.gz", "b-1.0.tar.gz"]
    assert files_of(names, "A", Version("1.0")) == ["a-1.0-py3-none-any.whl", "a-1.0.tar.gz"]


def test_decide_upload_present_conflict() -> None:
    local = {Path("a.whl"): "1" * 64, Path("a.tar.gz"): "2" * 64, Path("b.whl"): "3" * 64}
    remote = {
        "a.whl": IndexFile("a.whl", "u", "1" * 64),
        "a.tar.gz": IndexFile("a.tar.gz", "u", "9" * 64),
    }
    actions = {d.path.name: (d.action, d.remote_sha256) for d in decide(local, remote)}
    assert actions == {
        "a.whl": ("present", "1" * 64),
        "a.tar.gz": ("conflict", "9" * 64),
        "b.whl": ("upload", None),
    }


def test_check_problems_names_each_mismatch() -> None:
    found = [
        Metadata(Path("demo-1.0-py3-none-any.whl"), "Demo", "1.0"),
        Metadata(Path("demo-1.0.tar.gz"), "other", "1.0+local"),
    ]
    issues = problems(found, "demo", Version("1.0"))
    assert issues == [
        "demo-1.0.tar.gz: its metadata names 'other', the project is 'demo'",
        "demo-1.0.tar.gz: 1.0+local is a local version; no index accepts it",
        "demo-1.0.tar.gz: version 1.0+local, but the release is 1.0",
        "demo-1.0.tar.gz: the file name says demo 1.0, the metadata other 1.0+local",
    ]


@pytest.mark.parametrize(
    ("isolated", "uv", "expected"),
    [
        (
            True,
            "/bin/uv",
            [
                "/bin/uv",
                "build",
                "--no-config",
                "--python",
                "py",
                "--out-dir",
                "out",
                "src",
            ],
        ),
        (True, None, ["py", "-m", "build", "--outdir", "out", "src"]),
        (False, "/bin/uv", ["py", "-m", "build", "--outdir", "out", "--no-isolation", "src"]),
    ],
)
def test_build_command(isolated, uv, expected) -> None:
    assert (
        build_command(Path("src"), Path("out"), isolated=isolated, uv=uv, python="py") == expected
    )


def test_build_env_has_the_epoch_and_no_secrets() -> None:
    env = build_env({"TWINE_PASSWORD": "s", "PATH": "/bin", "SOURCE_DATE_EPOCH": "1"}, 42)
    assert env == {"PATH": "/bin", "SOURCE_DATE_EPOCH": "42"}


def test_installer_choice() -> None:
    def which(name: str) -> str | None:
        return "/bin/uv"

    assert choose_installer({}, which) == Installer("uv", "/bin/uv")
    assert choose_installer({"RELEASE_INSTALLER": "pip"}, which) == Installer("pip")
    assert choose_installer({}, lambda name: None) == Installer("pip")
    with pytest.raises(UsageError):
        choose_installer({"RELEASE_INSTALLER": "uv"}, lambda name: None)


def test_isolated_env_drops_installer_settings_and_secrets() -> None:
    env = isolated_env(
        {
            "PATH": "/bin",
            "PIP_FIND_LINKS": "/opt/wheels",
            "PIP_EXTRA_INDEX_URL": "file:///x",
            "UV_INDEX_URL": "http://x",
            "TWINE_PASSWORD": "s",
            "PYTHONPATH": "/src",
        }
    )
    assert env == {
        "PATH": "/bin",
        "PIP_CONFIG_FILE": "/dev/null",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "UV_NO_CONFIG": "1",
    }


def test_install_commands_name_one_index() -> None:
    pip = install_command(Installer("pip"), Path("py"), ["x==1"], "http://i/simple/")
    assert pip == [
        "py", "-m", "pip", "--isolated", "install", "--no-cache-dir", "--no-input",
        "--index-url", "http://i/simple/", "x==1",
    ]  # fmt: skip
    # a host pip installs into the venv, which has none of its own
    host = install_command(Installer("pip", pip_host="h"), Path("py"), ["x==1"], "http://i/simple/")
    assert host == [
        "h", "-m", "pip", "--python", "py", "--isolated", "install", "--no-cache-dir",
        "--no-input", "--index-url", "http://i/simple/", "x==1",
    ]  # fmt: skip
    uv = install_command(Installer("uv", "uv"), Path("py"), ["x==1"], "http://i/", "http://e/")
    assert uv == [
        "uv", "pip", "install", "--no-config", "--python", "py",
        "--index-url", "http://i/", "--extra-index-url", "http://e/", "x==1",
    ]  # fmt: skip
    # the release under test never comes from uv's cache: uv fetches all of it afresh
    uv = install_command(Installer("uv", "uv"), Path("py"), ["x==1"], "http://i/", refresh=("x",))
    assert uv == [
        "uv", "pip", "install", "--no-config", "--python", "py", "--refresh-package=x",
        "--index-url", "http://i/", "x==1",
    ]  # fmt: skip


def test_venv_commands() -> None:
    """pip's venv gets pip from ensurepip only when no host pip installs into it."""
    venv = Path("v")
    assert venv_command(Installer("pip"), venv, "py") == ["py", "-m", "venv", "v"]
    host = Installer("pip", pip_host="h")
    assert venv_command(host, venv, "py") == ["py", "-m", "venv", "--without-pip", "v"]
    uv = venv_command(Installer("uv", "uv"), venv, "py")
    assert uv == ["uv", "venv", "--no-config", "--quiet", "--python", "py", "v"]


def test_hashed_requirement() -> None:
    line = hashed_requirement("demo", Version("1.0"), ["bb", "aa"])
    assert line == "demo==1.0 --hash=sha256:aa --hash=sha256:bb"


def test_runtime_requirements_drop_extras_and_other_platforms() -> None:
    requires = [
        "pub-hatch-cli>=1.0",
        'pytest; extra == "test"',
        'tomli>=2; python_version < "3"',
        "rich[jupyter]==13.*",
    ]
    assert runtime_requirements(requires) == ["pub-hatch-cli>=1.0", "rich[jupyter]==13.*"]


def test_top_level_modules_from_record_paths() -> None:
    files = [
        "pkg/__init__.py",
        "pkg/sub/mod.py",
        "ns/part/mod.py",
        "single.py",
        "_ext.cpython-311-x86_64-linux-gnu.so",
        "pkg-1.0.dist-info/METADATA",
        "pkg-1.0.data/scripts/x",
        "../../../bin/pkg-cli",
        "__pycache__/single.cpython-311.pyc",
        "pkg.pth",
        "__editable__.pkg-1.0.pth",
        "not-a-module/data.txt",
    ]
    assert top_level_modules(files) == ["_ext", "ns", "pkg", "single"]


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:8080/", True),
        ("http://127.1.2.3/legacy/", True),
        ("http://[::1]:9000/", True),
        ("http://localhost:8080/", True),
        ("https://upload.pypi.org/legacy/", False),
        ("http://10.0.0.5/", False),
        ("http://localhost.example.com/", False),
    ],
)
def test_loopback_indexes(url: str, local: bool) -> None:
    from release.publish import _loopback

    assert _loopback(url) is local


_OPEN = """
import sys
from pathlib import Path
from release import targets
from release.config import Config
from release.publish import open_repository
target = targets.resolve(Config(project=Path('.')), repository=sys.argv[1])
print(open_repository(target).url, "keyring" in sys.modules)
"""

_PROBE = """
from keyring.backend import KeyringBackend

class Keyring(KeyringBackend):
    # a keyring that writes down each question it is asked, and knows nothing
    priority = 1

    def _note(self, what):
        with open(__file__ + ".asked", "a") as fh:
            fh.write(what + "\\n")

    def get_credential(self, service, username):
        self._note("credential " + service)

    def get_password(self, service, username):
        self._note("password " + service)

    def set_password(self, service, username, password):
        raise NotImplementedError

    def delete_password(self, service, username):
        raise NotImplementedError
"""


@pytest.mark.parametrize(
    ("url", "env", "asked"),
    [
        ("http://127.0.0.1:9/", {}, False),  # the rehearsal's index: anonymous, keyring not asked
        ("http://127.0.0.1:9/", {"TWINE_USERNAME": "u"}, True),  # a user: their password asked for
        ("http://192.0.2.1/", {}, True),  # a private index may have its password in keyring
    ],
)
def test_a_local_index_without_credentials_does_not_ask_keyring(
    tmp_path: Path, url: str, env: dict[str, str], asked: bool
) -> None:
    import subprocess
    import sys

    from conftest import cli_env

    (tmp_path / "probe_keyring.py").write_text(_PROBE)
    base = {k: v for k, v in cli_env().items() if not k.startswith("TWINE_")}
    probe = {"PYTHON_KEYRING_BACKEND": "probe_keyring.Keyring", "PYTHONPATH": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", _OPEN, url],
        env={**base, **probe, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [url, str(asked)]  # keyring loaded only where it is asked
    assert (tmp_path / "probe_keyring.py.asked").exists() is asked
