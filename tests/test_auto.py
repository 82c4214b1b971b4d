"""``--part auto``: the pure rules table-tested, and each source read from real repositories."""

from __future__ import annotations

from pathlib import Path

import pytest
import test_github
from conftest import copy_this_repo, git, run_nox, snapshot
from packaging.version import Version
from test_frontdoors import invoke

from release import auto
from release.__main__ import main
from release.errors import UsageError

github_api = test_github.github  # the stand-in GitHub API: a fixture, shared

# --- the pure rules -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "body", "kind", "part"),
    [
        ("feat: add a thing", "", "feat", "minor"),
        ("feat(cli): add a flag", "", "feat", "minor"),
        ("Feat: types are case-insensitive", "", "feat", "minor"),
        ("fix: a bug", "", "fix", "patch"),
        ("perf: faster", "", "perf", "patch"),
        ("feat!: drop an option", "", "breaking", "major"),
        ("fix(api)!: change a default", "", "breaking", "major"),
        ("refactor: move code", "BREAKING CHANGE: the API moved", "breaking", "major"),
        ("chore: bump", "text\n\nBREAKING-CHANGE: gone", "breaking", "major"),
        ("docs: a typo", "", "docs", None),
        ("chore: tidy", "", "chore", None),
        # malformed subjects count as "other": no release by themselves, never an error
        ("feat add a thing", "", "other", None),
        ("fix:no space", "", "other", None),
        ("feat(): empty scope", "", "other", None),
        ("Merge branch 'x'", "", "other", None),
        ("", "", "other", None),
        ("fix: a bug", "breaking change: lower case is not a footer", "fix", "patch"),
    ],
)
def test_commit_rows(subject: str, body: str, kind: str, part: str | None) -> None:
    change = auto.commit_change(subject, body)
    assert (change.kind, change.part) == (kind, part)


@pytest.mark.parametrize(
    ("subsection", "entry", "part"),
    [
        ("Removed", "the old flag", "major"),
        ("Added", "BREAKING: the config moved", "major"),
        ("Fixed", "**BREAKING** a fix that breaks", "major"),
        ("Added", "a command", "minor"),
        ("Changed", "a default", "minor"),
        ("Deprecated", "an option", "minor"),
        ("Fixed", "a crash", "patch"),
        ("Security", "a CVE", "patch"),
        ("added", "lower-case headings too", "minor"),
        ("Internal", "not a Keep a Changelog type", None),
        ("", "an entry before any subsection", None),
    ],
)
def test_changelog_rows(subsection: str, entry: str, part: str | None) -> None:
    assert auto.entry_change(subsection, entry).part == part


@pytest.mark.parametrize(
    ("kind", "part"),
    [
        ("breaking", "major"),
        ("removal", "major"),
        ("feature", "minor"),
        ("added", "minor"),
        ("changed", "minor"),
        ("bugfix", "patch"),
        ("fix", "patch"),
        ("security", "patch"),
        ("doc", "patch"),
        ("misc", "patch"),
    ],
)
def test_fragment_rows(kind: str, part: str) -> None:
    assert auto.fragment_change(kind, auto.fragment_parts({})).part == part


def test_auto_parts_override_and_extend_the_fragment_table() -> None:
    table = auto.fragment_parts({"removal": "minor", "chore": "patch"})
    assert auto.fragment_change("removal", table).part == "minor"
    assert auto.fragment_change("chore", table).part == "patch"
    with pytest.raises(UsageError, match="cannot map"):
        auto.fragment_change("internal", table)


def _evidence(*parts: str | None, source: str = "commits") -> auto.Evidence:
    changes = tuple(auto.Change(p or "chore", p, f"abc{i} x") for i, p in enumerate(parts))
    return auto.Evidence(source, "since v1", "commit", changes)


@pytest.mark.parametrize(
    ("current", "parts", "allow_zero", "spec"),
    [
        ("1.2.3", ("patch",), False, "patch"),
        ("1.2.3", ("patch", "minor", None), False, "minor"),
        ("1.2.3", ("minor", "major"), False, "major"),
        ("0.2.3", ("major",), False, "minor"),  # the zero-version rule
        ("0.2.3", ("major",), True, "major"),
        ("0.2.3", ("patch",), False, "patch"),
        ("1.3.0a2", ("minor",), False, "pre"),  # 1.3.0a3: the base already is a minor step
        ("1.3.0a2", ("patch",), False, "pre"),
        ("1.3.0a2", ("major",), False, "2.0.0a1"),  # a higher base, same phase
        ("1.2.4rc1", ("minor",), False, "1.3.0rc1"),
        ("2.0.0b1", ("major",), False, "pre"),
        ("0.3.0a1", ("major",), False, "pre"),  # major -> minor at 0.x, which 0.3.0 already is
        ("1.3.0.dev2", ("minor",), False, "dev"),
        ("1.2.1.dev2", ("minor",), False, "1.3.0.dev1"),
        ("1!1.2.3", ("minor",), False, "minor"),
        ("1.2.3.post1", ("patch",), False, "patch"),
    ],
)
def test_decide_rows(current: str, parts: tuple[str | None, ...], allow_zero: bool, spec: str):
    decision = auto.decide(Version(current), _evidence(*parts), allow_major_from_zero=allow_zero)
    assert decision.spec == spec
    assert decision.reason


def test_decide_explains() -> None:
    evidence = auto.Evidence(
        "changelog",
        "in CHANGELOG.md [Unreleased]",
        "entry",
        (auto.entry_change("Added", "a"), auto.entry_change("Added", "b")),
    )
    assert auto.decide(Version("1.2.3"), evidence).reason == (
        "minor: 2 Added entries in CHANGELOG.md [Unreleased]"
    )
    fixes = auto.Evidence(
        "commits",
        "since v1.2.3",
        "commit",
        tuple(auto.Change("fix", "patch", f"abc123{i} fix: bug {i}") for i in range(3)),
    )
    assert auto.decide(Version("1.2.3"), fixes).reason == (
        "patch: 3 fix commits since v1.2.3 (abc1230 fix: bug 0)"
    )


def test_nothing_to_release_says_where_it_looked() -> None:
    with pytest.raises(UsageError) as info:
        auto.decide(Version("1.2.3"), _evidence(None, None))
    assert info.value.message == (
        "nothing to release: no commits since v1 call for a release (2 commits that make no release)"
    )
    assert info.value.hint is not None and info.value.hint.startswith("looked since v1; ")


def test_commit_notes_group_by_type() -> None:
    commits = [  # newest first, as git log gives them
        ("d" * 40, "docs: a typo", ""),
        ("c" * 40, "fix(cli): a crash", ""),
        ("b" * 40, "a plain subject", ""),
        ("a" * 40, "feat!: new config", ""),
    ]
    assert auto.commit_notes(commits) == (
        "## Features\n\n- **BREAKING** new config (aaaaaaa)\n\n"
        "## Fixes\n\n- cli: a crash (ccccccc)\n\n"
        "## Other\n\n- a plain subject (bbbbbbb)\n- docs: a typo (ddddddd)"
    )


# --- each source, read from a real repository -----------------------------------------------

PYPROJECT = '[project]\nname = "demo"\nversion = "{version}"\n'


def _project(
    make_project, version: str = "1.2.3", extra: str = "", name: str = "proj", **files: str
) -> Path:
    text = PYPROJECT.format(version=version) + extra
    root = make_project({"pyproject.toml": text, **files}, name=name)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "chore: initial")
    git(root, "tag", f"v{version}")
    return root


def _commit(root: Path, *subjects: str) -> None:
    for subject in subjects:
        git(root, "commit", "-q", "--allow-empty", "-m", subject)


def bump(capsys, root: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--project", str(root), "bump", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_commits_decide_and_the_bump_is_tagged(capsys, make_project) -> None:
    root = _project(make_project)
    _commit(root, "fix: one", "docs: two", "fix: three", "fix(x): four")
    head = git(root, "rev-parse", "--short=7", "HEAD")
    code, out, err = bump(capsys, root, "auto", "--tag")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "1.2.3 -> 1.2.4"
    assert lines[1] == f"  auto: patch: 3 fix commits since v1.2.3 ({head} fix(x): four)"
    assert git(root, "describe", "--tags") == "v1.2.4"


def test_a_feature_commit_is_minor_and_a_breaking_one_major(capsys, make_project) -> None:
    root = _project(make_project)
    _commit(root, "fix: one", "feat: two")
    assert bump(capsys, root, "auto", "--dry-run")[1].startswith("1.2.3 -> 1.3.0\n")
    _commit(root, "refactor: three\n\nBREAKING CHANGE: the API moved")
    assert bump(capsys, root, "auto", "--dry-run")[1].startswith("1.2.3 -> 2.0.0\n")


def test_commits_before_the_last_release_tag_do_not_count(capsys, make_project) -> None:
    root = _project(make_project)
    _commit(root, "feat: released already")
    code, _, err = bump(capsys, root, "minor", "--tag")
    assert code == 0, err
    _commit(root, "fix: after the release")
    assert bump(capsys, root, "auto", "--dry-run")[1].startswith("1.3.0 -> 1.3.1\n")


def test_malformed_subjects_count_as_other(capsys, make_project) -> None:
    root = _project(make_project)
    _commit(root, "feat add a thing", "FIX - a bug", "fix: the real one")
    code, out, err = bump(capsys, root, "auto", "--dry-run")
    assert code == 0, err
    assert out.startswith("1.2.3 -> 1.2.4\n  auto: patch: 1 fix commit since v1.2.3")


def test_the_zero_version_rule(capsys, make_project) -> None:
    root = _project(make_project, version="0.4.1")
    _commit(root, "feat!: drop the old API")
    code, out, err = bump(capsys, root, "auto", "--dry-run")
    assert code == 0, err
    assert out.startswith("0.4.1 -> 0.5.0\n")
    assert "set allow-major-from-zero = true for 1.0.0" in out
    allowed = _project(
        make_project,
        version="0.4.1",
        extra="[tool.release]\nallow-major-from-zero = true\n",
        name="allowed",
    )
    _commit(allowed, "feat!: drop the old API")
    assert bump(capsys, allowed, "auto", "--dry-run")[1].startswith("0.4.1 -> 1.0.0\n")


@pytest.mark.parametrize(
    ("subject", "after"),
    [("feat: more", "1.3.0a3"), ("fix: a bug", "1.3.0a3"), ("feat!: break", "2.0.0a1")],
)
def test_the_pre_release_rule(capsys, make_project, subject: str, after: str) -> None:
    root = _project(make_project, version="1.3.0a2")
    _commit(root, subject)
    code, out, err = bump(capsys, root, "auto", "--tag")
    assert code == 0, err
    assert out.startswith(f"1.3.0a2 -> {after}\n")
    assert git(root, "describe", "--tags") == f"v{after}"


CHANGELOG = """# Changelog

## [Unreleased]

### Added
- a command
- an option

```console
## [Unreleased]
### Removed
- not an entry: this is inside a code block
```

### Fixed
- a crash

## [1.2.3] - 2024-01-02

### Removed
- released long ago

[Unreleased]: https://github.com/o/r/compare/v1.2.3...HEAD
"""


def test_the_changelog_decides_before_the_commits(capsys, make_project) -> None:
    root = _project(make_project, **{"CHANGELOG.md": CHANGELOG})
    _commit(root, "feat!: the commits would say major")
    code, out, err = bump(capsys, root, "auto", "--commit")
    assert code == 0, err
    assert out.splitlines()[:2] == [
        "1.2.3 -> 1.3.0",
        "  auto: minor: 2 Added entries in CHANGELOG.md [Unreleased]",
    ]
    text = (root / "CHANGELOG.md").read_text()
    assert "## [Unreleased]\n\n## [1.3.0] - " in text
    assert "```console\n## [Unreleased]\n### Removed\n" in text  # the fenced copy is untouched


def test_a_breaking_or_removed_entry_is_major(capsys, make_project) -> None:
    text = CHANGELOG.replace("- a crash", "- BREAKING: the config file moved")
    root = _project(make_project, **{"CHANGELOG.md": text})
    code, out, err = bump(capsys, root, "auto", "--dry-run")
    assert code == 0, err
    assert out.splitlines()[:2] == [
        "1.2.3 -> 2.0.0",
        "  auto: major: 1 BREAKING entry in CHANGELOG.md [Unreleased]",
    ]


def test_status_and_ship_dry_run_explain(capsys, make_project, pypi_index) -> None:
    root = _project(make_project, **{"CHANGELOG.md": CHANGELOG})
    _commit(root, "docs: after the release")
    before = snapshot(root)
    argv = ["--project", str(root), "status", "--part", "auto", "--repository", pypi_index.url]
    assert main([*argv, "--no-push"]) == 0
    out, _ = capsys.readouterr()
    assert "next:        1.3.0 (--part auto)" in out
    assert "auto:        minor: 2 Added entries in CHANGELOG.md [Unreleased]" in out
    assert "  | ### Added" in out  # the notes the GitHub Release would get
    argv[2] = "ship"
    assert main([*argv, "--no-push", "--dry-run"]) == 0, capsys.readouterr()
    _, err = capsys.readouterr()
    assert (
        "would bump: 1.2.3 -> 1.3.0, commit, annotated tag v1.3.0 "
        "(--part auto: minor: 2 Added entries in CHANGELOG.md [Unreleased])\n"
    ) in err
    assert snapshot(root) == before


# --- nothing to release, and bad input: exit 2, error and hint, nothing changed --------------


@pytest.mark.parametrize(
    ("files", "subjects", "error", "hint"),
    [
        (
            {},
            ("docs: only docs", "chore: and chores"),
            "error: nothing to release: no commits since v1.2.3 call for a release "
            "(2 commits that make no release)",
            "hint: looked since v1.2.3; commit a feat: or fix: change, or name the part",
        ),
        (
            {"CHANGELOG.md": "# Changelog\n\n## [Unreleased]\n\n### Added\n\n## [1.2.3]\n"},
            ("feat: commits do not count when there is a changelog",),
            "error: nothing to release: no entries in CHANGELOG.md [Unreleased] call for a release",
            "hint: looked in CHANGELOG.md [Unreleased]; add an entry under ### Added",
        ),
    ],
)
def test_nothing_to_release(capsys, make_project, files, subjects, error, hint) -> None:
    root = _project(make_project, **files)
    _commit(root, *subjects)
    before = snapshot(root)
    code, out, err = bump(capsys, root, "auto", "--tag")
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert lines[0] == error
    assert lines[1].startswith(hint)
    assert snapshot(root) == before


def test_ship_refuses_nothing_to_release_at_preflight(capsys, make_project, pypi_index) -> None:
    root = _project(make_project)
    _commit(root, "docs: after the release")
    before = snapshot(root)
    argv = ["--project", str(root), "ship", "--part", "auto", "--no-push"]
    assert main([*argv, "--repository", pypi_index.url]) == 2
    err = capsys.readouterr().err
    assert (
        "error: nothing to release: no commits since v1.2.3 call for a release (1 commit that makes no release)"
        in err
    )
    assert "hint: looked since v1.2.3" in err
    assert snapshot(root) == before


@pytest.mark.parametrize(
    ("table", "error"),
    [
        (
            'auto-parts = {removal = "huge"}',
            "error: [tool.release] auto-parts: removal = 'huge' is not a part",
        ),
        (
            'auto-parts = {removal = "pre"}',
            "error: [tool.release] auto-parts: removal = 'pre' is not a part",
        ),
        ('auto-parts = "major"', "error: [tool.release] auto-parts must be a dict, not 'major'"),
        (
            'allow-major-from-zero = "yes"',
            "error: [tool.release] allow-major-from-zero must be a bool, not 'yes'",
        ),
    ],
)
def test_bad_auto_settings_are_refused(capsys, make_project, table: str, error: str) -> None:
    root = _project(make_project, extra=f"\n[tool.release]\n{table}\n")
    _commit(root, "feat: x")
    before = snapshot(root)
    code, out, err = bump(capsys, root, "auto", "--tag")
    assert (code, out) == (2, "")
    assert err.splitlines()[0] == error
    if "is not a part" in error:
        assert err.splitlines()[1].startswith("hint: use major, minor or patch")
    assert snapshot(root) == before


def test_auto_is_not_a_part_of_bump_rules() -> None:
    """``auto`` is resolved by the front doors; next_version itself does not take it."""
    from release.version import PARTS, next_version

    assert "auto" not in PARTS
    with pytest.raises(UsageError, match="must be decided before the bump"):
        next_version(Version("1.2.3"), "auto")


# --- the front doors -------------------------------------------------------------------------


def test_invoke_bump_part_auto(make_project) -> None:
    root = _project(make_project)
    _commit(root, "feat: a thing")
    proc = invoke("bump", "--part", "auto", "--tag", "--project", str(root))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[:2] == [
        "1.2.3 -> 1.3.0",
        f"  auto: minor: 1 feat commit since v1.2.3 ({git(root, 'rev-parse', '--short=7', 'HEAD~1')} feat: a thing)",
    ]
    assert git(root, "describe", "--tags") == "v1.3.0"


def test_invoke_bump_part_auto_nothing_to_release(make_project) -> None:
    root = _project(make_project)
    _commit(root, "chore: no release")
    before = snapshot(root)
    proc = invoke("bump", "--part", "auto", "--project", str(root))
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: nothing to release")
    assert "\nhint: looked since v1.2.3" in proc.stderr
    assert snapshot(root) == before


# --- notes from commits, for a project without a changelog ----------------------------------


def test_notes_from_commits_without_a_changelog(
    capsys, make_project, github_api, pypi_index
) -> None:
    github = github_api
    root = _project(make_project)
    _commit(root, "feat(cli): a flag")
    git(root, "switch", "-q", "-c", "topic")
    _commit(root, "fix: a crash on a branch")
    git(root, "switch", "-q", "main")
    git(root, "merge", "-q", "--no-ff", "topic", "-m", "Merge branch 'topic'")
    _commit(root, "chore: tidy", "not conventional at all")
    sha = {
        subject: git(root, "log", "--format=%h", "--abbrev=7", f"--grep=^{subject}$", "-n1")
        for subject in (
            "feat(cli): a flag",
            "fix: a crash on a branch",
            "chore: tidy",
            "not conventional at all",
        )
    }
    notes = (
        f"## Features\n\n- cli: a flag ({sha['feat(cli): a flag']})\n\n"
        f"## Fixes\n\n- a crash on a branch ({sha['fix: a crash on a branch']})\n\n"
        f"## Other\n\n- chore: tidy ({sha['chore: tidy']})\n"
        f"- not conventional at all ({sha['not conventional at all']})"
    )
    # status shows the notes the GitHub Release would get
    argv = ["--project", str(root), "status", "--part", "auto", "--no-push"]
    assert main([*argv, "--repository", pypi_index.url]) == 0
    out = capsys.readouterr().out
    assert "notes:       the GitHub Release of v1.3.0 would say:\n" in out
    assert "\n".join(f"  | {ln}".rstrip() for ln in notes.splitlines()) in out
    # the release commit itself and the merge are left out of the published notes
    assert main(["--project", str(root), "bump", "auto", "--tag"]) == 0
    capsys.readouterr()
    github.tags.add("v1.3.0")
    assert main(["--project", str(root), "github-release"]) == 0, capsys.readouterr()
    (release,) = github.releases.values()
    assert (release["tag_name"], release["body"]) == ("v1.3.0", notes)


def test_notes_of_a_tag_that_is_not_here_are_refused(capsys, make_project, github_api) -> None:
    github = github_api
    root = _project(make_project)
    git(root, "tag", "-d", "v1.2.3")
    before = snapshot(root)
    assert main(["--project", str(root), "github-release", "--tag", "v1.2.3"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: tag v1.2.3 is not in this repository; the notes come from its commits",
        "hint: fetch it first: git fetch origin tag v1.2.3",
    ]
    assert github.writes() == []
    assert snapshot(root) == before


@pytest.mark.slow
def test_nox_release_part_auto(tmp_path: Path, pypi_index, mypy_cache: Path) -> None:
    """``nox -s release -- --part auto``: lint and tests pass, then ship decides the part."""
    work = copy_this_repo(tmp_path / "copy", "def test_fine() -> None:\n    pass\n")
    argv = ["--part", "auto", "--dry-run", "--no-push", "--repository", pypi_index.url]
    proc = run_nox(work, "release", *argv, mypy_cache=mypy_cache)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "would bump: 0.1.0 -> 0.2.0, commit, annotated tag v0.2.0" in output
    assert "(--part auto: minor: " in output
    assert "Added entries in CHANGELOG.md [Unreleased])" in output
    assert git(work, "tag") == ""
