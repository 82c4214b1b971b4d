"""towncrier projects: the real towncrier builds the section at the bump, and a failure puts it all back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import test_github
from conftest import copy_package, git, in_process_env, init_repo, snapshot

from release.__main__ import main
from release.server import Server

REPO = Path(__file__).resolve().parent.parent

TOWNCRIER = """
[tool.towncrier]
directory = "changelog.d"
filename = "CHANGELOG.md"
title_format = "## [{version}] - {project_date}"
issue_format = "#{issue}"
"""
CHANGELOG = (
    "# Changelog\n\n<!-- towncrier release notes start -->\n\n## [1.0.0] - 2024-01-01\n\n- First.\n"
)
FRAGMENTS = {
    "changelog.d/12.feature.md": "A new command.\n",
    "changelog.d/13.bugfix.md": "A crash on empty input.\n",
    "changelog.d/+orphan.doc.md": "Better docs.\n",
}


def _towncrier_project(
    root: Path, fragments: dict[str, str] | None = None, extra: str = ""
) -> Path:
    """Add towncrier configuration, a changelog and fragments to ``root`` and commit them."""
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + TOWNCRIER + extra)
    (root / "CHANGELOG.md").write_text(CHANGELOG)
    for rel, text in (FRAGMENTS if fragments is None else fragments).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "docs: news fragments")
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """pub-hatch-cli (1.0.0, tagged) with towncrier and three fragments."""
    root = init_repo(copy_package("pub-hatch-cli", tmp_path))
    git(root, "tag", "-a", "v1.0.0", "-m", "Release 1.0.0")
    return _towncrier_project(root)


def release(capsys, root: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--project", str(root), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_towncrier_builds_the_section_and_the_release_commit_removes_the_fragments(
    capsys, project: Path
) -> None:
    code, out, err = release(capsys, project, "bump", "auto", "--tag")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[:2] == ["1.0.0 -> 1.1.0", "  auto: minor: 1 feature fragment in changelog.d/"]
    assert (
        "  did build the 1.1.0 section of CHANGELOG.md with towncrier, consuming "
        "changelog.d/+orphan.doc.md, changelog.d/12.feature.md, changelog.d/13.bugfix.md"
    ) in lines
    assert "  did commit 5 file(s): Release 1.1.0 (was 1.0.0)" in lines
    text = (project / "CHANGELOG.md").read_text()
    assert "## [1.1.0] - " in text
    assert "- A new command. (#12)" in text
    assert "- A crash on empty input. (#13)" in text
    assert text.index("## [1.1.0]") < text.index("## [1.0.0] - 2024-01-01")
    # one commit holds the changelog, the version and the removal of every fragment
    assert git(project, "status", "--porcelain") == ""
    assert git(project, "ls-tree", "-r", "--name-only", "v1.1.0", "changelog.d") == ""
    changed = git(project, "show", "--name-status", "--format=", "v1.1.0^{commit}").split()
    assert sorted(zip(changed[::2], changed[1::2], strict=True)) == [
        ("D", "changelog.d/+orphan.doc.md"),
        ("D", "changelog.d/12.feature.md"),
        ("D", "changelog.d/13.bugfix.md"),
        ("M", "CHANGELOG.md"),
        ("M", "pyproject.toml"),
    ]


@pytest.mark.parametrize(
    ("fragment", "after"),
    [
        ("changelog.d/1.removal.md", "2.0.0"),
        ("changelog.d/1.feature.md", "1.1.0"),
        ("changelog.d/1.bugfix.md", "1.0.1"),
        ("changelog.d/1.doc.md", "1.0.1"),
        ("changelog.d/1.misc.md", "1.0.1"),
    ],
)
def test_each_fragment_type_row(capsys, tmp_path: Path, fragment: str, after: str) -> None:
    root = init_repo(copy_package("pub-hatch-cli", tmp_path))
    _towncrier_project(root, {fragment: "Something.\n"})
    code, out, err = release(capsys, root, "bump", "auto", "--dry-run")
    assert code == 0, err
    assert out.startswith(f"1.0.0 -> {after}\n")


def test_auto_parts_maps_the_projects_own_types(capsys, tmp_path: Path) -> None:
    root = init_repo(copy_package("pub-hatch-cli", tmp_path))
    types = (
        "\n[tool.towncrier.fragment.breaking]\n[tool.towncrier.fragment.chore]\n"
        "[tool.towncrier.fragment.feature]\n"
        '\n[tool.release]\nauto-parts = {chore = "minor"}\n'
    )
    _towncrier_project(root, {"changelog.d/1.chore.md": "Tidied.\n"}, extra=types)
    code, out, err = release(capsys, root, "bump", "auto", "--dry-run")
    assert code == 0, err
    assert out.startswith("1.0.0 -> 1.1.0\n  auto: minor: 1 chore fragment in changelog.d/\n")


def test_status_lists_the_fragments_it_would_consume(capsys, project: Path, pypi_index) -> None:
    before = snapshot(project)
    code, out, err = release(
        capsys, project, "status", "--part", "auto", "--repository", pypi_index.url, "--no-push"
    )
    assert code == 0, err
    assert "auto:        minor: 1 feature fragment in changelog.d/" in out
    assert (
        "fragments:   3 to consume (changelog.d/+orphan.doc.md, changelog.d/12.feature.md, "
        "changelog.d/13.bugfix.md)"
    ) in out
    assert "[ok] towncrier: towncrier builds the changelog section" in out
    assert snapshot(project) == before


def test_nothing_to_release_without_fragments(capsys, tmp_path: Path) -> None:
    root = init_repo(copy_package("pub-hatch-cli", tmp_path))
    _towncrier_project(root, {"changelog.d/.gitkeep": ""})
    git(root, "commit", "-q", "--allow-empty", "-m", "feat: commits do not count here")
    before = snapshot(root)
    code, out, err = release(capsys, root, "bump", "auto", "--tag")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "error: nothing to release: no fragments in changelog.d/ call for a release",
        "hint: looked in changelog.d/; add a news fragment (towncrier create), "
        "or name the part instead of auto (patch, minor or major)",
    ]
    assert snapshot(root) == before


# --- failures: every fragment and the changelog put back byte for byte ----------------------


@pytest.fixture(autouse=True)
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short retry bounds, a null keyring and no credentials from the machine."""
    in_process_env(monkeypatch)


def _with_remote(root: Path, tmp_path: Path) -> Path:
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    git(root, "remote", "add", "origin", str(bare))
    git(root, "push", "-q", "-u", "origin", "main", "--tags")
    return bare


@pytest.mark.slow
def test_a_failed_build_restores_every_fragment(
    capsys, project: Path, tmp_path: Path, fresh_index: Server
) -> None:
    text = (project / "pyproject.toml").read_text() + "\n[tool.hatch.build.hooks.custom]\n"
    (project / "pyproject.toml").write_text(text)
    (project / "hatch_build.py").write_text("raise SystemExit('the build hook fails on purpose')\n")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "build: a hook that fails")
    bare = _with_remote(project, tmp_path)
    before = snapshot(project), snapshot(bare)
    code, _out, err = release(
        capsys, project, "ship", "--part", "auto", "--repository", fresh_index.url, "--no-isolation"
    )
    assert code == 1, err
    assert "==> bump:" in err and "    ok bump (" in err  # towncrier ran and was committed
    assert next(ln for ln in err.splitlines() if ln.startswith("error: ")).startswith(
        "error: build failed"
    )
    assert "rolled back" in err
    assert (snapshot(project), snapshot(bare)) == before
    assert sorted(p.name for p in fresh_index.root.iterdir()) == []
    assert (project / "changelog.d" / "12.feature.md").read_text() == "A new command.\n"


def test_a_failing_towncrier_restores_everything(capsys, tmp_path: Path) -> None:
    root = init_repo(copy_package("pub-hatch-cli", tmp_path))
    template = "\n[tool.towncrier.fragment.feature]\n"
    _towncrier_project(root, {"changelog.d/1.feature.md": "New.\n"}, extra=template)
    # a template that renders with an error: towncrier fails after it has read the fragments
    (root / "broken.j2").write_text("{{ undefined_function() }}\n")
    text = (
        (root / "pyproject.toml")
        .read_text()
        .replace("[tool.towncrier]\n", '[tool.towncrier]\ntemplate = "broken.j2"\n')
    )
    (root / "pyproject.toml").write_text(text)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "build: a broken template")
    before = snapshot(root)
    code, out, err = release(capsys, root, "bump", "auto", "--tag")
    assert code == 1, out + err
    assert err.startswith("error: towncrier build failed (status 1)")
    assert (
        "\nhint: run towncrier build --draft to see the problem; every fragment was put back\n"
        in err
    )
    assert snapshot(root) == before


# --- bad input: exit 2, error and hint, nothing changed --------------------------------------


def test_a_fragment_of_an_unknown_type_is_refused(capsys, project: Path, pypi_index) -> None:
    (project / "changelog.d" / "14.feat.md").write_text("Not a towncrier type.\n")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "docs: a misnamed fragment")
    before = snapshot(project)
    for part in ("auto", "patch"):
        code, out, err = release(capsys, project, "bump", part, "--tag")
        assert (code, out) == (2, "")
        assert err.splitlines() == [
            "error: news fragment changelog.d/14.feat.md has no known type; "
            "towncrier would leave it behind",
            "hint: name it NAME.TYPE.md with TYPE one of feature, bugfix, doc, removal, misc, "
            "or add the type to [tool.towncrier]",
        ]
        assert snapshot(project) == before
    # ship refuses it at preflight, before anything changes
    code, out, err = release(
        capsys, project, "ship", "--repository", pypi_index.url, "--no-push", "--no-isolation"
    )
    assert code == 2
    assert "[FAIL] towncrier: news fragment changelog.d/14.feat.md has no known type" in err
    assert err.splitlines()[-2].startswith("error: preflight refused: news fragment")
    assert err.splitlines()[-1].startswith("hint: name it NAME.TYPE.md with TYPE one of")
    assert snapshot(project) == before


def test_a_type_auto_cannot_map_is_refused(capsys, tmp_path: Path) -> None:
    root = init_repo(copy_package("pub-hatch-cli", tmp_path))
    extra = "\n[tool.towncrier.fragment.internal]\n"
    _towncrier_project(root, {"changelog.d/1.internal.md": "Refactor.\n"}, extra=extra)
    before = snapshot(root)
    code, out, err = release(capsys, root, "bump", "auto")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "error: news fragment changelog.d/1.internal.md has type 'internal', "
        "which --part auto cannot map to a part",
        'hint: add it to [tool.release] auto-parts, e.g. auto-parts = {internal = "patch"}',
    ]
    assert snapshot(root) == before


def _python_without_towncrier(tmp_path: Path) -> list[str]:
    """This interpreter with every installed package but towncrier: a real missing install."""
    import site

    farm = tmp_path / "site-without-towncrier"
    farm.mkdir()
    for directory in site.getsitepackages():
        for entry in Path(directory).iterdir():
            if not entry.name.lower().startswith("towncrier") and not (farm / entry.name).exists():
                (farm / entry.name).symlink_to(entry)
    code = (
        f"import sys; sys.path[:0] = [{str(REPO)!r}, {str(farm)!r}]; "
        "from release.__main__ import run; sys.argv[0] = 'release'; run()"
    )
    return [sys.executable, "-S", "-c", code]


def test_towncrier_configured_but_missing_is_refused(
    capsys, project: Path, tmp_path: Path, pypi_index
) -> None:
    python = _python_without_towncrier(tmp_path)
    before = snapshot(project)
    hint = "hint: pip install 'releasekit[towncrier]' (or pip install towncrier)"
    bump = subprocess.run(
        [*python, "--project", str(project), "bump", "auto", "--tag"],
        capture_output=True,
        text=True,
    )
    assert bump.returncode == 2, bump.stderr
    assert bump.stderr.splitlines() == [
        "error: the project is configured for towncrier, which is not installed",
        hint,
    ]
    git(project, "commit", "-q", "--allow-empty", "-m", "docs: not at the tag")
    before = snapshot(project)
    ship = subprocess.run(
        [
            *python,
            "--project",
            str(project),
            "ship",
            "--part",
            "auto",
            "--no-push",
            "--repository",
            pypi_index.url,
        ],
        capture_output=True,
        text=True,
    )
    assert ship.returncode == 2, ship.stderr
    assert "[FAIL] towncrier: the project is configured for towncrier, which is not installed" in (
        ship.stderr
    )
    assert "pip install 'releasekit[towncrier]'" in ship.stderr.splitlines()[-1]
    assert snapshot(project) == before


def test_a_fragment_directory_without_configuration_is_refused(capsys, tmp_path: Path) -> None:
    root = init_repo(copy_package("pub-hatch-cli", tmp_path))
    (root / "newsfragments").mkdir()
    (root / "newsfragments" / "1.feature.md").write_text("New.\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "docs: a fragment")
    before = snapshot(root)
    code, out, err = release(capsys, root, "bump", "auto", "--tag")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "error: newsfragments/ holds news fragments but towncrier is not configured",
        'hint: add [tool.towncrier] with directory = "newsfragments" and filename = '
        '"CHANGELOG.md" to pyproject.toml',
    ]
    assert snapshot(root) == before


# --- the notes: the section towncrier wrote -------------------------------------------------

github_api = test_github.github  # the stand-in GitHub API: a fixture, shared


def test_the_github_release_notes_are_the_section_towncrier_wrote(
    capsys, tmp_path: Path, github_api
) -> None:
    root = init_repo(copy_package("pub-hatch-cli", tmp_path))
    # towncrier's own title ("# pub-hatch-cli 1.1.0 (DATE)"), not a Keep a Changelog heading
    _towncrier_project(root)
    text = (
        (root / "pyproject.toml")
        .read_text()
        .replace('title_format = "## [{version}] - {project_date}"\n', "")
    )
    (root / "pyproject.toml").write_text(text)
    (root / "CHANGELOG.md").write_text(
        CHANGELOG.replace("## [1.0.0] - 2024-01-01", "# pub-hatch-cli 1.0.0 (2024-01-01)")
    )
    git(root, "commit", "-q", "-am", "docs: towncrier's default title")
    code, _out, err = release(capsys, root, "bump", "minor", "--tag")
    assert code == 0, err
    news = (root / "CHANGELOG.md").read_text()
    assert "\n# pub-hatch-cli 1.1.0 (" in news
    github_api.tags.add("v1.1.0")
    code, _out, err = release(capsys, root, "github-release")
    assert code == 0, err
    (published,) = github_api.releases.values()
    assert published["body"] == (
        "## Features\n\n- A new command. (#12)\n\n"
        "## Bugfixes\n\n- A crash on empty input. (#13)\n\n"
        "## Improved Documentation\n\n- Better docs."
    )


def test_an_uncommitted_fragment_is_refused_before_the_release_commit(
    capsys, project: Path
) -> None:
    (project / "changelog.d" / "15.bugfix.md").write_text("Not committed yet.\n")
    before = snapshot(project)
    code, out, err = release(capsys, project, "bump", "auto", "--tag")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "error: uncommitted changes in changelog.d/15.bugfix.md; "
        "the release commit would include them",
        "hint: commit or stash those changes first",
    ]
    assert snapshot(project) == before
