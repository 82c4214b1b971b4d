"""Settings and tag formats: checked once, up front; ``{name}`` tags work on every command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import git, snapshot
from packaging.version import Version

from release import config, settings
from release.__main__ import main
from release.errors import ConfigError, UsageError
from release.version import greatest_tag

PYPROJECT = '[project]\nname = "My_Pkg"\nversion = "1.2.3"\n'
CHANGELOG = "# Changelog\n\n## [Unreleased]\n\n- new\n"


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("v1.2.3", None),
        ("my-pkg-v1.2.3", None),
        ("pkgs/a/1.0", None),
        ("v 1.2.3", "contains a space"),
        ("v..1", "contains '..'"),
        ("v1~1", "contains '~'"),
        ("v1^", "contains '^'"),
        ("a:b", "contains ':'"),
        ("a?b", "contains '?'"),
        ("a*b", "contains '*'"),
        ("a[b", "contains '['"),
        ("a\\b", "contains '\\\\'"),
        ("a@{b", "contains '@{'"),
        ("a//b", "contains '//'"),
        ("@", "is not a valid tag name"),
        ("-v1", "is not a valid tag name"),
        ("v1.", "is not a valid tag name"),
        ("v1/", "is not a valid tag name"),
        ("/v1", "is not a valid tag name"),
        ("a/.b", "starts with '.'"),
        ("v1.lock", "ends with '.lock'"),
    ],
)
def test_ref_problem_follows_git_check_ref_format(name: str, problem: str | None) -> None:
    found = config.ref_problem(name)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


TAG_FORMATS = [
    ("v{version}", "v1.2.3", None),
    ("{name}-v{version}", "my-pkg-v1.2.3", None),
    ("{name}/{version}", "my-pkg/1.2.3", None),
    ("{version}", "1.2.3", None),
    ("{foo}-v{version}", None, "unknown placeholder(s): {foo}"),
    ("v{version}{", None, "is malformed"),
    ("v{version}}", None, "is malformed"),
    ("v{}", None, "unknown placeholder(s): {}"),
    ("v{0}", None, "unknown placeholder(s): {0}"),
    ("v{version:>9}", None, "conversion or format spec"),
    ("release", None, "{version} exactly once"),
    ("{version}-{version}", None, "{version} exactly once"),
    ("v{{{version}}}", None, "no other braces"),
    ("v {version}", None, "which git refuses: it contains a space"),
    ("-{version}", None, "which git refuses"),
]


@pytest.mark.parametrize(("fmt", "tag", "error"), TAG_FORMATS)
def test_tag_format(make_project, fmt: str, tag: str | None, error: str | None) -> None:
    toml = fmt.replace("\\", "\\\\").replace('"', '\\"')
    root = make_project({"pyproject.toml": PYPROJECT + f'[tool.release]\ntag-format = "{toml}"\n'})
    if error is None:
        assert config.load(root).tag("1.2.3") == tag
    else:
        with pytest.raises(ConfigError) as info:
            config.load(root)
        assert error in info.value.message
        assert info.value.hint


def test_name_placeholder_needs_a_name(make_project) -> None:
    root = make_project(
        {
            "pyproject.toml": '[project]\nversion = "1"\n[tool.release]\ntag-format = "{name}@{version}"\n'
        }
    )
    with pytest.raises(
        ConfigError, match=re.escape("uses {name} but the project declares no name")
    ):
        config.load(root)


def test_greatest_tag_with_a_name() -> None:
    tags = ["my-pkg-v1.0.0", "my-pkg-v1.10.0", "other-v9.0.0", "my-pkg-vnope", "v2.0.0"]
    best = ("my-pkg-v1.10.0", Version("1.10.0"))
    assert greatest_tag(tags, "{name}-v{version}", name="my-pkg") == best
    assert greatest_tag(tags, "my-pkg-v{version}") == best
    assert greatest_tag(tags, "{name}-v{version}", name="nothing") is None


def run(capsys: pytest.CaptureFixture[str], root: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--project", str(root), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_name_placeholder_on_every_command(make_project, capsys) -> None:
    """Defect 3: ``{name}-v{version}`` raised KeyError on every command."""
    toml = '[tool.release]\ntag-format = "{name}-v{version}"\n'
    root = make_project({"pyproject.toml": PYPROJECT + toml, "CHANGELOG.md": CHANGELOG}, repo=True)
    assert run(capsys, root, "version")[:2] == (0, "1.2.3\n")
    code, out, err = run(capsys, root, "bump", "patch", "--dry-run", "--tag")
    assert code == 0, err
    assert "create annotated tag my-pkg-v1.2.4" in out
    code, out, _ = run(capsys, root, "status")
    assert code == 0
    assert "tag:         my-pkg-v1.2.4" in out
    assert run(capsys, root, "bump", "patch", "--tag")[0] == 0
    assert git(root, "tag", "--list") == "my-pkg-v1.2.4"
    assert "[1.2.4]" in (root / "CHANGELOG.md").read_text()
    code, out, _ = run(capsys, root, "status")
    assert "HEAD carries my-pkg-v1.2.4: ship would resume" in out


def test_vcs_version_from_a_name_tag(make_project, capsys) -> None:
    pyproject = (
        '[build-system]\nrequires = ["hatchling", "hatch-vcs"]\nbuild-backend = "hatchling.build"\n'
        '[project]\nname = "My.Pkg"\ndynamic = ["version"]\n[tool.hatch.version]\nsource = "vcs"\n'
        '[tool.release]\ntag-format = "{name}-v{version}"\n'
    )
    root = make_project({"pyproject.toml": pyproject}, repo=True)
    for tag in ("my-pkg-v0.3.0", "other-v5.0.0", "v4.0.0"):
        git(root, "tag", tag)
    assert run(capsys, root, "version")[:2] == (0, "0.3.0\n")


@pytest.mark.parametrize(
    ("files", "error"),
    [
        (
            {"pyproject.toml": PYPROJECT + '[tool.release]\nversion-files = ["../VERSION"]\n'},
            "outside",
        ),
        (
            {"pyproject.toml": PYPROJECT + '[tool.release]\ntag-format = "{name}-v{version}{"\n'},
            "malformed",
        ),
        (
            {"pyproject.toml": PYPROJECT + '[tool.release]\ntag-format = "{foo}{version}"\n'},
            "{foo}",
        ),
    ],
)
@pytest.mark.parametrize(
    "argv",
    [
        ["version"],
        ["bump", "patch"],
        ["bump", "patch", "--commit"],
        ["bump", "patch", "--dry-run"],
        ["check"],
        ["github-release"],
        ["promote", "--from", "testpypi", "--to", "pypi"],
        ["ship", "--dry-run"],
    ],
)
def test_bad_config_is_exit_2_on_every_command(make_project, capsys, files, error, argv) -> None:
    """Defect 3: these raised KeyError, ValueError or a relative_to traceback."""
    root = make_project({**files, "VERSION": "1.2.3\n"}, repo=True)
    before = snapshot(root)
    code, _, err = run(capsys, root, *argv)
    assert code == 2, err
    assert err.startswith("error: [tool.release]") and error in err.splitlines()[0]
    assert err.splitlines()[1].startswith("hint: ")
    assert "Traceback" not in err
    assert snapshot(root) == before


def test_settings_collect_every_problem_at_once(make_project) -> None:
    cfg = config.load(make_project({"pyproject.toml": PYPROJECT}))
    env = {
        "RELEASE_INSTALLER": "conda",
        "RELEASE_RETRY_TIMEOUT": "abc",
        "RELEASE_VERIFY_TIMEOUT": "-5",
        "RELEASE_GITHUB_TIMEOUT": "inf",
        "RELEASE_EXTRA_INDEX_URL": "nope",
    }
    with pytest.raises(UsageError) as info:
        settings.build(cfg, environ=env)
    for name in env:
        assert name in info.value.message
    assert info.value.hint


def test_settings_defaults_and_values(make_project) -> None:
    cfg = config.load(make_project({"pyproject.toml": PYPROJECT}))
    got = settings.build(cfg, environ={})
    assert (got.target.name, got.installer, got.extra_index_url) == ("local", "", None)
    assert (got.upload_backoff.timeout, got.verify_backoff.timeout) == (60, 300)
    assert (got.github_backoff.timeout, got.index_timeout) == (30, 30)
    env = {
        "RELEASE_INSTALLER": " PIP ",
        "RELEASE_VERIFY_TIMEOUT": "7.5",
        "RELEASE_REPOSITORY": "testpypi",
        "RELEASE_EXTRA_INDEX_URL": "https://pypi.org/simple",
    }
    got = settings.build(cfg, repository="http://127.0.0.1:9/", environ=env)
    assert (got.target.upload_url, got.installer) == ("http://127.0.0.1:9/", "pip")
    assert (got.verify_backoff.timeout, got.extra_index_url) == (7.5, "https://pypi.org/simple/")
    with pytest.raises(UsageError, match="RELEASE_INSTALLER=uv but uv is not on PATH"):
        settings.build(cfg, environ={"RELEASE_INSTALLER": "uv"}, which=lambda name: None)


def test_bump_dry_run_refuses_what_the_real_bump_refuses(make_project, capsys) -> None:
    """Defect 2: a read-only changelog passed bump --dry-run."""
    root = make_project({"pyproject.toml": PYPROJECT, "CHANGELOG.md": CHANGELOG}, repo=True)
    (root / "CHANGELOG.md").chmod(0o444)
    before = snapshot(root)
    for argv in (["bump", "patch", "--dry-run"], ["bump", "patch"]):
        code, _, err = run(capsys, root, *argv)
        assert code == 2, err
        assert "CHANGELOG.md is read-only" in err.splitlines()[0]
        assert err.splitlines()[1].startswith("hint: ")
    assert snapshot(root) == before
