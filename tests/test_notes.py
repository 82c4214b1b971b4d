"""The changelog practice of real projects (issue 9, point 9): hand-written sections, empty notes."""

from __future__ import annotations

import pytest
from conftest import git, snapshot

from release.__main__ import main
from release.changelog import notes_for, unreleased

HAND_WRITTEN = """# Changelog

## [Unreleased]

## [1.0.1] - 2025-01-15

### Fixed
- the thing that broke

## [1.0.0] - 2024-12-01

- first release
"""

PYPROJECT = '[project]\nname = "demo"\nversion = "1.0.0"\n'


@pytest.fixture
def project(make_project):
    def make(changelog: str | None, extra: str = ""):
        files = {"pyproject.toml": PYPROJECT + extra, "demo.py": ""}
        if changelog is not None:
            files["CHANGELOG.md"] = changelog
        return make_project(files, repo=True)

    return make


def test_a_hand_written_section_for_the_version_is_its_notes(capsys, project) -> None:
    root = project(HAND_WRITTEN)
    assert main(["--project", str(root), "bump", "patch", "--commit"]) == 0
    out = capsys.readouterr().out
    assert "CHANGELOG.md already has a section for 1.0.1: kept as its notes" in out
    assert (root / "CHANGELOG.md").read_text() == HAND_WRITTEN  # no second section
    assert 'version = "1.0.1"' in (root / "pyproject.toml").read_text()
    assert git(root, "show", "--name-only", "--format=", "HEAD") == "pyproject.toml"
    assert git(root, "status", "--porcelain") == ""


def test_a_hand_written_section_with_entries_still_unreleased_is_refused(capsys, project) -> None:
    root = project(HAND_WRITTEN.replace("## [Unreleased]\n", "## [Unreleased]\n\n- pending\n"))
    before = snapshot(root)
    assert main(["--project", str(root), "bump", "patch", "--commit"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "error: CHANGELOG.md already has a section for 1.0.1, and [Unreleased] is not empty"
    )
    assert "hint: move the [Unreleased] entries into the 1.0.1 section" in err
    assert snapshot(root) == before


EMPTY = "# Changelog\n\n## [Unreleased]\n\n## [1.0.0] - 2024-12-01\n\n- first release\n"


def test_empty_notes_are_a_preflight_warning(capsys, project) -> None:
    root = project(EMPTY)
    assert main(["--project", str(root), "status", "--no-push"]) == 0
    out = capsys.readouterr().out
    assert "[warn] release notes: the notes for 1.0.1 in CHANGELOG.md are empty" in out
    assert "ship would refuse" not in out


def test_no_changelog_is_a_warning_too(capsys, project) -> None:
    root = project(None)
    assert main(["--project", str(root), "status", "--no-push"]) == 0
    assert "[warn] release notes: no changelog" in capsys.readouterr().out


def test_require_notes_makes_empty_notes_an_error(capsys, project) -> None:
    root = project(EMPTY, "\n[tool.release]\nrequire-notes = true\n")
    before = snapshot(root)
    code = main(["--project", str(root), "ship", "--no-push", "--dry-run", "--repository", "local"])
    err = capsys.readouterr().err
    assert code == 2
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert errors == ["error: preflight refused: the notes for 1.0.1 in CHANGELOG.md are empty"], (
        err
    )
    assert "hint: write the changes under ## [Unreleased] in the changelog" in err
    assert snapshot(root) == before


def test_require_notes_passes_with_a_hand_written_section(capsys, project) -> None:
    root = project(HAND_WRITTEN, "\n[tool.release]\nrequire-notes = true\n")
    assert main(["--project", str(root), "status", "--no-push"]) == 0
    out = capsys.readouterr().out
    assert "release notes" not in out
    assert "ship would refuse" not in out


def test_require_notes_must_be_a_boolean(capsys, project) -> None:
    root = project(EMPTY, '\n[tool.release]\nrequire-notes = "yes"\n')
    assert main(["--project", str(root), "status"]) == 0  # status reports, ship refuses
    assert "[FAIL] settings: [tool.release] require-notes must be a bool" in capsys.readouterr().out
    assert main(["--project", str(root), "ship", "--dry-run"]) == 2
    assert "error: [tool.release] require-notes must be a bool" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "version", "notes"),
    [
        (HAND_WRITTEN, "1.0.1", "### Fixed\n- the thing that broke"),
        (EMPTY, "1.0.1", ""),
        (EMPTY.replace("]\n\n## [1.0.0", "]\n\n- new\n\n## [1.0.0"), "1.0.1", "- new"),
        ("## [Unreleased]\n- last\n[Unreleased]: https://x/compare/a...HEAD\n", "2.0", "- last"),
    ],
)
def test_notes_for(text: str, version: str, notes: str) -> None:
    assert notes_for(text, version) == notes


def test_unreleased_without_the_heading() -> None:
    assert unreleased("# Changelog\n") is None
