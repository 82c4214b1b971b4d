"""release init: thin front doors for another project, written once, never clobbered."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from conftest import git, init_repo, release_cli, snapshot
from packaging.version import Version
from test_workflows import REPO, lint_workflows, tool, workflow_problems

from release.__main__ import main
from release.errors import UsageError
from release.noxsupport import require_release_ref
from release.scaffold import (
    SESSIONS,
    TRIGGERS,
    _session_names,
    dev_version,
    noxfile,
    releasekit_requirement,
    releasekit_version,
)

WRITTEN = [
    ".github/pull_request_template.md",
    ".github/workflows/ci.yml",
    ".github/workflows/release.yml",
    ".gitignore",
    "noxfile.py",
    "tasks.py",
]
EXISTING_NOXFILE = '''"""Our own sessions."""

import nox

PYTHONS = ["3.11", "3.12"]


@nox.session(python=PYTHONS, name="tests")
def run_the_tests(session):
    session.install(".[test]")
    session.run("pytest")


@nox.session
def lint(session):
    session.run("ruff", "check", ".")


@nox.session(name="bump")
def our_bump(session):
    session.run("bump2version", *session.posargs)
'''


def init(capsys: pytest.CaptureFixture[str], root: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--project", str(root), "init", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_each_trigger_writes_thin_front_doors_that_pass_the_checks(
    tmp_path: Path, capsys, trigger: str
) -> None:
    code, out, err = init(capsys, tmp_path, "--trigger", trigger)
    assert (code, err) == (0, "")
    assert files(tmp_path) == WRITTEN
    assert out.splitlines()[0] == "  create noxfile.py"
    assert out.splitlines()[-2].startswith("next: ")
    for path in sorted((tmp_path / ".github" / "workflows").glob("*.yml")):
        assert workflow_problems(path) == [], path
    release = (tmp_path / ".github/workflows/release.yml").read_text()
    assert "__" not in release
    name = re.sub(r"[-_.]+", "-", tmp_path.name).lower()
    assert f"url: https://pypi.org/p/{name}" in release
    assert f"trigger {trigger}" in release.splitlines()[0] + release.splitlines()[1]
    assert any("RELEASEKIT_REQUIREMENT" in line for line in out.splitlines())


def test_every_trigger_passes_zizmor_and_the_schema(tmp_path: Path, capsys) -> None:
    """One run of each tool over what init writes for every trigger (each in its own project)."""
    workflows = []
    for trigger in TRIGGERS:
        root = tmp_path / trigger
        root.mkdir()
        assert init(capsys, root, "--trigger", trigger)[0] == 0
        workflows += sorted((root / ".github" / "workflows").glob("*.yml"))
    assert len(workflows) == 2 * len(TRIGGERS)
    lint_workflows(workflows)


def test_the_default_trigger_is_a_pushed_tag(tmp_path: Path, capsys) -> None:
    assert init(capsys, tmp_path)[0] == 0
    release = (tmp_path / ".github/workflows/release.yml").read_text()
    assert 'tags: ["v*"]' in release


def test_running_twice_changes_nothing(tmp_path: Path, capsys) -> None:
    assert init(capsys, tmp_path, "--trigger", "main")[0] == 0
    before = snapshot(tmp_path)
    code, out, err = init(capsys, tmp_path, "--trigger", "main")
    assert (code, out, err) == (0, "release init: every file is up to date (trigger main)\n", "")
    assert snapshot(tmp_path) == before


def test_a_file_that_differs_is_refused_without_force(tmp_path: Path, capsys) -> None:
    (tmp_path / "tasks.py").write_text("# our own tasks\n")
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github/workflows/ci.yml").write_text("name: ours\n")
    before = snapshot(tmp_path)
    code, out, err = init(capsys, tmp_path)
    assert (code, out) == (2, "")
    assert err == (
        "error: release init would overwrite tasks.py (nothing was written)\n"
        "hint: run again with --force to replace them, or move them aside\n"
    )
    assert snapshot(tmp_path) == before

    code, out, err = init(capsys, tmp_path, "--force")
    assert (code, err) == (0, "")
    assert "  overwrite tasks.py" in out.splitlines()
    assert (
        "  overwrite .github/workflows/ci.yml (its jobs (none) are replaced by tests)"
        in out.splitlines()
    )
    assert files(tmp_path) == WRITTEN


def test_switching_trigger_needs_force(tmp_path: Path, capsys) -> None:
    assert init(capsys, tmp_path, "--trigger", "tag")[0] == 0
    code, _, err = init(capsys, tmp_path, "--trigger", "release")
    assert code == 2
    assert "would overwrite .github/workflows/release.yml" in err
    assert init(capsys, tmp_path, "--trigger", "release", "--force")[0] == 0
    assert (
        "release:\n    types: [published]"
        in (tmp_path / ".github/workflows/release.yml").read_text()
    )


def test_an_existing_noxfile_only_gains_the_sessions_it_lacks(tmp_path: Path, capsys) -> None:
    (tmp_path / "noxfile.py").write_text(EXISTING_NOXFILE)
    code, out, _ = init(capsys, tmp_path)
    assert code == 0
    assert "  add release sessions to noxfile.py" in out.splitlines()
    text = (tmp_path / "noxfile.py").read_text()
    assert text.startswith(EXISTING_NOXFILE)
    added = text[len(EXISTING_NOXFILE) :]
    assert "def bump" not in added  # they have a bump session of their own
    assert "def tests" not in added
    assert '@nox.session(requires=["lint", "tests"])\ndef release(' in added
    assert "import nox\n" not in added
    assert "from release import noxsupport" in added

    proc = subprocess.run(
        [sys.executable, "-m", "nox", "--list", "--noxfile", str(tmp_path / "noxfile.py")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    for name in ("tests", "lint", "bump", "release", "publish", "verify", "github-release"):
        assert f"\n* {name}" in proc.stdout or f"\n- {name}" in proc.stdout, proc.stdout

    before = snapshot(tmp_path)
    assert init(capsys, tmp_path)[0] == 0
    assert snapshot(tmp_path) == before


def test_a_noxfile_without_import_nox_gets_one(tmp_path: Path) -> None:
    existing = 'from nox import session\n\n\n@session\ndef tests(s):\n    s.run("pytest")\n'
    text = noxfile(existing)
    assert text.startswith(existing)
    assert "\nimport nox  # noqa: E402\n" in text
    compile(text, "noxfile.py", "exec")


def test_a_broken_noxfile_is_refused(tmp_path: Path, capsys) -> None:
    (tmp_path / "noxfile.py").write_text("def broken(:\n")
    before = snapshot(tmp_path)
    code, _, err = init(capsys, tmp_path)
    assert code == 2
    assert err.startswith("error: noxfile.py is not valid Python (line 1)")
    assert snapshot(tmp_path) == before


def test_an_unknown_trigger_is_a_usage_error(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--project", str(tmp_path), "init", "--trigger", "nightly"])
    assert info.value.code == 2
    assert files(tmp_path) == []


def test_generated_python_is_clean_and_calls_only_the_cli(tmp_path: Path, capsys) -> None:
    assert init(capsys, tmp_path)[0] == 0
    generated = [tmp_path / "noxfile.py", tmp_path / "tasks.py"]
    for path in generated:
        compile(path.read_text(), str(path), "exec")
    text = (tmp_path / "noxfile.py").read_text()
    # no lint configuration: no lint session; a tag trigger: no publish-dev
    assert text.count("@nox.session") == len(SESSIONS) - 2
    assert "def lint" not in text
    installs = "noxsupport.install_releasekit(session, RELEASEKIT)"
    assert text.count(installs) == len(SESSIONS) - 3
    assert f'RELEASEKIT = "{releasekit_version()}"' in text
    if not _has("ruff"):
        pytest.skip("ruff comes with the lint extra")
    for args in (
        ["check", "--select", "E,F,W,I,B,UP,SIM,RUF", "--target-version", "py310"],
        ["format", "--check"],
    ):
        # run in the project, where release is a third-party package as in any other project
        proc = subprocess.run(
            [tool("ruff"), args[0], "--isolated", *args[1:], *map(str, generated)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr


def _has(name: str) -> bool:
    try:
        tool(name)
    except AssertionError:
        return False
    return True


@pytest.mark.parametrize(
    ("version", "requirement"),
    [
        ("0.1.0", "releasekit==0.1.0"),
        ("2.3.1rc1", "releasekit==2.3.1rc1"),
        ("0+unknown", "releasekit"),
    ],
)
def test_the_sessions_pin_the_releasekit_that_wrote_them(version: str, requirement: str) -> None:
    assert releasekit_requirement(version) == requirement


def test_the_wheel_carries_the_templates() -> None:
    from hatchling.builders.wheel import WheelBuilder

    included = {f.distribution_path for f in WheelBuilder(str(REPO)).recurse_included_files()}
    templates = REPO / "release" / "templates"
    expected = {
        str(p.relative_to(REPO)) for p in templates.rglob("*") if p.is_file() and p.suffix != ".pyc"
    }
    assert expected <= included
    assert "release/templates/workflows/release-tag.yml" in included


# --- init reads the repository it sets up ---

PUBLISH_ON_TAGS = """name: publish
on:
  push:
    tags:
      - "v*"
jobs:
  pypi:
    runs-on: ubuntu-latest
    steps:
      - run: pipx run build
      - uses: pypa/gh-action-pypi-publish@release/v1
"""
PUBLISH_ON_RELEASE = """name: upload
on:
  release:
    types: [published]
jobs:
  upload:
    runs-on: ubuntu-latest
    steps:
      - run: twine upload dist/*
"""
CI_WITH_LINT = """name: ci
on: [push, pull_request]
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - run: pipx run ruff check .
  test:
    runs-on: ubuntu-latest
    steps:
      - run: pip install . pytest && pytest
"""


def _project(make_project, files: dict[str, str], *, branch: str = "main") -> Path:
    files = {"pyproject.toml": '[project]\nname = "My_Pkg"\nversion = "1.0.0"\n', **files}
    root = make_project(files, repo=True)
    if branch != "main":
        git(root, "branch", "-m", branch)
    return root


def _yaml(root: Path, name: str) -> dict:
    return yaml.safe_load((root / ".github/workflows" / name).read_text())


def test_the_release_branch_comes_from_git(make_project, capsys) -> None:
    root = _project(make_project, {}, branch="master")
    code, out, err = init(capsys, root, "--trigger", "main")
    assert (code, err) == (0, "")
    assert _yaml(root, "ci.yml")[True]["push"]["branches"] == ["master"]
    assert _yaml(root, "release.yml")[True]["push"]["branches"] == ["master"]
    assert "next: every merge to master now releases a patch version" in out


@pytest.mark.parametrize(
    ("requires", "matrix", "newest"),
    [
        (">=3.10,<3.13", ["3.10", "3.12"], "3.12"),
        (">=3.8", ["3.9", "3.14"], "3.14"),
        ("~=3.11", ["3.11", "3.14"], "3.14"),
        ("~=3.12.1", ["3.12"], "3.12"),
        ("==3.11.*", ["3.11"], "3.11"),
    ],
)
def test_python_versions_follow_requires_python(
    make_project, capsys, requires: str, matrix: list[str], newest: str
) -> None:
    pyproject = f'[project]\nname = "p"\nversion = "1"\nrequires-python = "{requires}"\n'
    root = _project(make_project, {"pyproject.toml": pyproject})
    assert init(capsys, root, "--trigger", "tag")[0] == 0
    assert _yaml(root, "ci.yml")["jobs"]["tests"]["strategy"]["matrix"]["python"] == matrix
    for job in _yaml(root, "release.yml")["jobs"].values():
        python = [s["with"]["python-version"] for s in job["steps"] if "setup-python" in str(s)]
        assert python == [newest]


def test_a_requires_python_without_a_supported_version_is_refused(make_project, capsys) -> None:
    pyproject = '[project]\nname = "p"\nversion = "1"\nrequires-python = ">=4"\n'
    root = _project(make_project, {"pyproject.toml": pyproject})
    before = snapshot(root)
    code, out, err = init(capsys, root)
    assert (code, out) == (2, "")
    assert err == (
        "error: requires-python '>=4' allows none of Python 3.9 to 3.14\n"
        "hint: fix requires-python in pyproject.toml, then run release init again\n"
    )
    assert snapshot(root) == before


def test_a_workflow_that_already_publishes_on_the_trigger_is_refused(make_project, capsys) -> None:
    root = _project(
        make_project,
        {
            ".github/workflows/publish.yml": PUBLISH_ON_TAGS,
            ".github/workflows/upload.yml": PUBLISH_ON_RELEASE,  # another trigger: fine
        },
    )
    before = snapshot(root)
    code, out, err = init(capsys, root, "--trigger", "tag")
    assert (code, out) == (2, "")
    assert err == (
        "error: .github/workflows/publish.yml already publishes on the tag trigger: every "
        "release would be uploaded twice (nothing was written)\n"
        "hint: run again with --replace publish.yml to delete, or --keep NAME to leave each one\n"
    )
    assert snapshot(root) == before

    code, _, err = init(capsys, root, "--trigger", "tag", "--keep", "upload.yml")
    assert code == 2
    assert err.startswith("error: --replace/--keep name upload.yml, which is not a workflow")
    assert "hint: those that do: .github/workflows/publish.yml\n" in err
    assert snapshot(root) == before

    code, out, err = init(capsys, root, "--trigger", "tag", "--keep", "publish.yml")
    assert (code, err) == (0, "")
    assert (root / ".github/workflows/publish.yml").read_text() == PUBLISH_ON_TAGS


def test_replace_deletes_the_old_publishing_workflow(make_project, capsys) -> None:
    root = _project(make_project, {".github/workflows/publish.yml": PUBLISH_ON_TAGS})
    code, out, err = init(capsys, root, "--trigger", "testpypi", "--replace", "publish.yml")
    assert (code, err) == (0, "")
    assert "  delete .github/workflows/publish.yml (--replace)" in out.splitlines()
    assert not (root / ".github/workflows/publish.yml").exists()


def test_publishing_on_another_branch_is_not_the_same_trigger(make_project, capsys) -> None:
    other = PUBLISH_ON_TAGS.replace('tags:\n      - "v*"', "branches: [stable]")
    root = _project(make_project, {".github/workflows/publish.yml": other})
    assert init(capsys, root, "--trigger", "main")[0] == 0
    assert (root / ".github/workflows/publish.yml").read_text() == other


def test_an_existing_ci_is_kept_and_the_output_says_what_it_lacks(make_project, capsys) -> None:
    root = _project(make_project, {".github/workflows/ci.yml": CI_WITH_LINT, "ruff.toml": ""})
    code, out, err = init(capsys, root)
    assert (code, err) == (0, "")
    assert (root / ".github/workflows/ci.yml").read_text() == CI_WITH_LINT
    assert (
        "  leave .github/workflows/ci.yml (it exists and is kept without --force; "
        "init would have added nox -s lint, nox -s tests)"
    ) in out.splitlines()

    code, out, err = init(capsys, root, "--force")
    assert (code, err) == (0, "")
    assert (
        "  overwrite .github/workflows/ci.yml (its jobs lint, test are replaced by lint, tests)"
    ) in out.splitlines()


@pytest.mark.parametrize(
    "config",
    [
        {"pyproject.toml": '[project]\nname = "p"\nversion = "1"\n[tool.ruff]\nline-length = 99\n'},
        {"ruff.toml": "line-length = 99\n"},
        {".ruff.toml": "line-length = 99\n"},
        {".pre-commit-config.yaml": "repos: []\n"},
    ],
    ids=["tool.ruff", "ruff.toml", ".ruff.toml", "pre-commit"],
)
def test_lint_is_generated_where_the_project_lints(make_project, capsys, config) -> None:
    root = _project(make_project, config)
    assert init(capsys, root)[0] == 0
    assert "def lint(" in (root / "noxfile.py").read_text()
    assert '@nox.session(requires=["lint", "tests"])' in (root / "noxfile.py").read_text()
    assert "lint" in _yaml(root, "ci.yml")["jobs"]
    assert "`nox -s lint tests`" in (root / ".github/pull_request_template.md").read_text()


def test_no_lint_session_is_mentioned_without_lint_configuration(make_project, capsys) -> None:
    root = _project(make_project, {})
    assert init(capsys, root)[0] == 0
    written = [root / p for p in WRITTEN]
    assert all("lint" not in p.read_text() for p in written if p.name != ".gitignore"), [
        p for p in written if "lint" in p.read_text()
    ]


def test_runs_on_labels_and_environment_urls(make_project, capsys) -> None:
    root = _project(make_project, {})
    assert (
        init(capsys, root, "--trigger", "deploy", "--runs-on", "self-hosted,deploy-runner")[0] == 0
    )
    job = _yaml(root, "release.yml")["jobs"]["release"]
    assert job["runs-on"] == ["self-hosted", "deploy-runner"]
    assert job["environment"] == {"name": "pypi", "url": "https://pypi.org/p/my-pkg"}
    assert _yaml(root, "release.yml")[True]["push"]["branches"] == ["deploy"]


def test_the_testpypi_trigger_has_both_environments(make_project, capsys) -> None:
    root = _project(make_project, {}, branch="master")
    assert init(capsys, root, "--trigger", "testpypi")[0] == 0
    data = _yaml(root, "release.yml")
    assert data[True]["push"] == {"branches": ["master"], "tags": ["v*"]}
    jobs = data["jobs"]
    assert jobs["testpypi"]["environment"]["url"] == "https://test.pypi.org/p/my-pkg"
    assert jobs["publish"]["environment"]["url"] == "https://pypi.org/p/my-pkg"
    assert jobs["testpypi"]["steps"][0]["with"]["fetch-depth"] == 0
    assert "def publish_dev(" in (root / "noxfile.py").read_text()


def test_gitignore_gains_what_the_sessions_leave(make_project, capsys) -> None:
    root = _project(make_project, {".gitignore": "*.pyc\nbuild\n"})
    code, out, _ = init(capsys, root)
    assert code == 0
    assert "  add ignore entries to .gitignore" in out.splitlines()
    assert (root / ".gitignore").read_text() == (
        "*.pyc\nbuild\n\n# nox sessions and builds (added by release init)\n"
        ".nox/\ndist/\n*.egg-info/\n.coverage\n.coverage.*\n"
    )


def test_a_dispatch_from_a_branch_fails_and_says_why() -> None:
    errors: list[str] = []
    session = SimpleNamespace(error=errors.append)
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_EVENT_NAME": "workflow_dispatch",
    }
    require_release_ref(session, env)  # type: ignore[arg-type]
    assert errors == [
        "nothing to publish: this workflow_dispatch run is on refs/heads/main, not on a release "
        "tag; run the workflow again and choose the tag under 'Use workflow from'"
    ]
    require_release_ref(session, {**env, "GITHUB_REF": "refs/tags/v1.0.0"})  # type: ignore[arg-type]
    require_release_ref(session, {"GITHUB_REF": "refs/heads/main"})  # type: ignore[arg-type]
    assert len(errors) == 1


def test_the_release_workflow_has_no_condition_that_skips_green() -> None:
    for trigger in ("tag", "release"):
        data = yaml.safe_load(_template_text(f"release-{trigger}.yml"))
        assert all("if" not in job for job in data["jobs"].values())


def _template_text(name: str) -> str:
    return (REPO / "release" / "templates" / "workflows" / name).read_text()


def test_dev_version_counts_commits_and_refuses_a_shallow_clone(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "f").write_text("1")
    init_repo(root)
    (root / "f").write_text("2")
    git(root, "commit", "-qam", "two")
    assert dev_version(root, Version("1.2.3")) == "1.2.4.dev2"
    assert dev_version(root, Version("0.1.0a8")) == "0.1.0.dev2"
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{root}", str(shallow))
    with pytest.raises(UsageError, match="this clone is shallow") as info:
        dev_version(shallow, Version("1.2.3"))
    assert info.value.hint is not None and "fetch-depth: 0" in info.value.hint


@pytest.mark.parametrize("trigger", TRIGGERS)
@pytest.mark.parametrize("lint", [False, True], ids=["no-lint", "ruff"])
def test_every_session_the_files_mention_exists(
    make_project, capsys, trigger: str, lint: bool
) -> None:
    root = _project(make_project, {"ruff.toml": ""} if lint else {}, branch="master")
    assert init(capsys, root, "--trigger", trigger)[0] == 0
    sessions, _ = _session_names(ast.parse((root / "noxfile.py").read_text()))
    commands = [f"`{m}`" for m in re.findall(r"`(nox -s [^`]*)`", _text(root))]
    for path in (root / ".github/workflows").glob("*.yml"):
        for job in yaml.safe_load(path.read_text())["jobs"].values():
            commands += [s["run"] for s in job["steps"] if "run" in s]
    mentioned = set()
    for command in commands:
        if match := re.search(r"nox -s ([\w -]+?)(?: --|`|$)", command):
            mentioned.update(match.group(1).split())
    assert {"tests", "github-release"} & mentioned
    assert mentioned <= sessions, mentioned - sessions
    assert ("lint" in sessions) is lint


def _text(root: Path) -> str:
    return (root / ".github/pull_request_template.md").read_text() + (root / "tasks.py").read_text()


def test_ship_dev_in_a_shallow_clone_is_refused_with_the_fix(tmp_path: Path, make_project) -> None:
    origin = _project(make_project, {})
    (origin / "more").write_text("x")
    git(origin, "add", "-A")
    git(origin, "commit", "-qm", "more")
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{origin}", str(shallow))
    before = snapshot(shallow)
    proc = release_cli(
        "--project", str(shallow), "ship", "--dev", "--repository", "http://127.0.0.1:9/"
    )
    assert proc.returncode == 2
    assert proc.stderr == (
        "error: a development version counts the commits in HEAD's history, and this clone is "
        "shallow\n"
        "hint: check out with fetch-depth: 0 (actions/checkout), or git fetch --unshallow\n"
    )
    assert snapshot(shallow) == before
