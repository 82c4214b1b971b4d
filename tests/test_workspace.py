"""Workspaces with real git: discovery, status, the workspace options, and the bad inputs.

The workspace is ``workspace_fixtures``' chain app -> lib -> core (hatchling, setuptools,
flit-core), committed on main with a bare ``origin``. Every bad input exits 2 with an
``error:`` and a ``hint:`` line, and leaves the work tree, its refs and origin as they were.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import commit_all, git, init_repo, snapshot, with_origin
from packaging.version import Version
from workspace_fixtures import ROOT_UV, make_workspace

from release import workspace
from release.__main__ import main
from release.errors import ConfigError
from release.server import Server


@pytest.fixture
def chain(tmp_path: Path) -> Path:
    """The three-package workspace, committed and pushed to a bare origin."""
    root = make_workspace(tmp_path / "ws")
    with_origin(root, tmp_path / "origin.git")
    return root


def tag_all(root: Path, version: str = "0.1.0") -> None:
    for name in ("core", "lib", "app"):
        git(root, "tag", "-a", f"{name}-v{version}", "-m", f"{name} {version}")


def run(root: Path, *argv: str) -> int:
    return main(["--project", str(root), *argv])


# --- discovery ---


def test_uv_members_are_the_globs_minus_exclude(chain: Path) -> None:
    ws = workspace.read(chain)
    assert ws.kind == "[tool.uv.workspace]"
    assert [(p.name, p.directory) for p in ws.packages] == [
        ("app", "packages/app"),
        ("core", "packages/core"),
        ("lib", "packages/lib"),
    ]
    assert {p.name: p.requires for p in ws.packages} == {
        "app": ("lib>=0.1",),
        "core": (),
        "lib": ("core>=0.1",),
    }


def test_versions_come_from_each_backends_own_source(tmp_path: Path) -> None:
    root = make_workspace(
        tmp_path / "ws", versions={"core": "1.0.0", "lib": "2.0.0", "app": "3.0.0"}
    )
    ws = workspace.read(root)
    assert {p.name: p.current for p in ws.packages} == {
        "core": Version("1.0.0"),  # flit: core/__init__.py __version__
        "lib": Version("2.0.0"),  # setuptools: [project] version
        "app": Version("3.0.0"),  # hatchling: [tool.hatch.version] path
    }


def test_default_and_overridden_tag_formats(tmp_path: Path) -> None:
    root = make_workspace(
        tmp_path / "ws", releases={"core": '\n[tool.release]\ntag-format = "core/{version}"\n'}
    )
    formats = {p.name: (p.tag_format, p.tag_format_set) for p in workspace.read(root).packages}
    assert formats == {
        "app": ("app-v{version}", False),
        "core": ("core/{version}", True),
        "lib": ("lib-v{version}", False),
    }


def test_packages_key_makes_a_workspace_without_uv(tmp_path: Path) -> None:
    root = make_workspace(
        tmp_path / "ws", root_toml='[tool.release]\npackages = ["packages/core", "packages/lib"]\n'
    )
    ws = workspace.read(root)
    assert ws.kind == "[tool.release] packages"
    assert [p.name for p in ws.packages] == ["core", "lib"]


def test_a_root_with_a_project_is_a_member_and_its_changes_exclude_the_members(
    tmp_path: Path,
) -> None:
    root_toml = '[project]\nname = "Whole_Thing"\nversion = "1.0.0"\n\n' + ROOT_UV
    root = make_workspace(tmp_path / "ws", root_toml=root_toml)
    tag_all(root)
    git(root, "tag", "-a", "whole-thing-v1.0.0", "-m", "root")
    (root / "packages" / "lib" / "src" / "lib" / "extra.py").write_text("X = 1\n")
    commit_all(root, "lib only")
    changed = {p.name: p.changed for p in workspace.read(root).packages}
    assert changed == {"whole-thing": False, "app": False, "core": False, "lib": True}
    (root / "README.md").write_text("root\n")
    commit_all(root, "root only")
    assert workspace.read(root).package("whole-thing").changed  # type: ignore[union-attr]


def test_last_tag_and_changed_since(chain: Path) -> None:
    ws = workspace.read(chain)
    assert all(p.changed and p.last_tag is None for p in ws.packages)  # never released
    tag_all(chain)
    assert not any(p.changed for p in workspace.read(chain).packages)
    (chain / "packages" / "lib" / "src" / "lib" / "__init__.py").write_text('"""Changed."""\n')
    commit_all(chain, "change lib")
    ws = workspace.read(chain)
    assert {p.name: (p.last_tag, p.changed) for p in ws.packages} == {
        "app": ("app-v0.1.0", False),
        "core": ("core-v0.1.0", False),
        "lib": ("lib-v0.1.0", True),
    }


def test_a_member_without_pyproject_is_refused(tmp_path: Path) -> None:
    root_toml = '[tool.uv.workspace]\nmembers = ["packages/*"]\n'  # scratch not excluded
    root = make_workspace(tmp_path / "ws", root_toml=root_toml)
    with pytest.raises(ConfigError, match="workspace member packages/scratch has no pyproject"):
        workspace.read(root)


def test_pin_files_rewrite_only_the_requirement(tmp_path: Path) -> None:
    text = (
        "[project]  # the app\n"
        'name = "app"\n'
        "dependencies = [\n"
        "    'lib >=0.1, <0.2',  # literal string, odd spacing\n"
        '    "core==0.1.0",\r\n'
        "]\n"
        '[tool.other]\nx = "lib >=0.1, <0.2"\n'
    )
    (tmp_path / "app").mkdir()
    path = tmp_path / "app" / "pyproject.toml"
    path.write_bytes(text.encode())
    files = workspace.pin_files(
        tmp_path,
        [("app", "lib >=0.1, <0.2", "lib >=0.1, <0.3"), ("app", "core==0.1.0", "core==0.2.0")],
    )
    assert path.read_bytes() == text.encode()  # computed, not written
    expected = text.replace("'lib >=0.1, <0.2'", "'lib >=0.1, <0.3'").replace(
        "core==0.1.0", "core==0.2.0"
    )
    assert files == {path: expected.encode()}


# --- status ---


def test_status_lists_every_package(chain: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tag_all(chain)
    (chain / "packages" / "core" / "core" / "__init__.py").write_text(
        '"""The core, changed."""\n\n__version__ = "0.1.0"\n'
    )
    commit_all(chain, "change core")
    before = snapshot(chain)
    assert run(chain, "status", "--part", "core=minor") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"workspace:   {chain.resolve()} ([tool.uv.workspace], 3 packages")
    rows = [line.split() for line in out[1:5]]
    assert rows == [
        ["package", "directory", "version", "next", "last", "tag", "changed"],
        ["app", "packages/app", "0.1.0", "0.1.1", "app-v0.1.0", "no"],
        ["core", "packages/core", "0.1.0", "0.2.0", "core-v0.1.0", "yes"],
        ["lib", "packages/lib", "0.1.0", "0.1.1", "lib-v0.1.0", "no"],
    ]
    assert out[5] == "ship needs a choice: --package NAME (repeatable), --all, or --changed"
    assert snapshot(chain) == before


@pytest.mark.parametrize(
    ("dependents_too", "plan"),
    [
        (False, ["ship would release lib 0.1.0 -> 0.1.1 (lib-v0.1.1; changed since lib-v0.1.0)"]),
        (
            True,
            [
                "ship would release lib 0.1.0 -> 0.1.1 (lib-v0.1.1; changed since lib-v0.1.0)",
                "ship would release app 0.1.0 -> 0.1.1 (app-v0.1.1; requires lib)",
            ],
        ),
    ],
)
def test_status_changed_after_a_commit_to_lib(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], dependents_too: bool, plan: list[str]
) -> None:
    extra = "\n[tool.release]\nrelease-dependents = true\n" if dependents_too else ""
    root = make_workspace(tmp_path / "ws", root_toml=ROOT_UV + extra)
    tag_all(root)
    (root / "packages" / "lib" / "src" / "lib" / "more.py").write_text("Y = 2\n")
    commit_all(root, "lib only")
    assert run(root, "status", "--changed") == 0
    out = capsys.readouterr().out.splitlines()
    assert [line for line in out if line.startswith("ship would release")] == plan


def test_status_json(chain: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert run(chain, "status", "--all", "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert [p["name"] for p in doc["workspace"]["packages"]] == ["app", "core", "lib"]
    assert [(r["name"], r["tag"]) for r in doc["workspace"]["releases"]] == [
        ("core", "core-v0.1.1"),
        ("lib", "lib-v0.1.1"),
        ("app", "app-v0.1.1"),
    ]
    # the steps status shows are the plan the dry run shows (and the run performs)
    assert run(chain, "ship", "--all", "--dry-run", "--json") == 0
    dry = json.loads(capsys.readouterr().out)
    assert doc["steps"] == dry["steps"]
    assert [s["name"] for s in doc["steps"]][:2] == ["bump", "build core"]


def test_ship_dry_run_shows_the_plan(chain: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(chain)
    assert run(chain, "ship", "--all", "--dry-run", "--part", "lib=minor") == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "  would release core 0.1.0 -> 0.1.1 (core-v0.1.1; chosen)",
        "  would release lib 0.1.0 -> 0.2.0 (lib-v0.2.0; chosen)",
        "  would release app 0.1.0 -> 0.1.1 (app-v0.1.1; chosen)",
        "  would tag the one release commit core-v0.1.1, lib-v0.2.0, app-v0.1.1",
        "  would bump: core 0.1.0 -> 0.1.1, lib 0.1.0 -> 0.2.0, app 0.1.0 -> 0.1.1; one commit, "
        "annotated tags core-v0.1.1, lib-v0.2.0, app-v0.1.1",
        *(
            f"  would build {n}: {n}-{v} sdist and wheel from a clean checkout of {n}-v{v} "
            "(independent builds at the same time)"
            for n, v in (("core", "0.1.1"), ("lib", "0.2.0"), ("app", "0.1.1"))
        ),
        "  would check core: twine check --strict; name core, version 0.1.1",
        "  would check lib: twine check --strict; name lib, version 0.2.0",
        "  would check app: twine check --strict; name app, version 0.1.1",
        "  would push: main and core-v0.1.1, lib-v0.2.0, app-v0.1.1 to the rehearsal's throwaway "
        "bare repository, atomically",
        *(
            line
            for n, v in (("core", "0.1.1"), ("lib", "0.2.0"), ("app", "0.1.1"))
            for line in (
                f"  would upload {n}: {n} {v} to a throwaway local index (files already there "
                "with the same sha256 are skipped)",
                f"  would verify {n}: install {n} alone from the throwaway index in a fresh venv, "
                "import it, run its scripts",
            )
        ),
        f"dry run: 3 package(s) of the workspace at {chain.resolve()}",
    ]
    assert snapshot(chain) == before


# --- bad inputs: exit 2, error and hint, nothing changed ---


def refused(root: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> str:
    """Run ``argv`` at ``root``; assert exit 2, the error line, a hint, and nothing changed."""
    origin = root.parent / "origin.git"
    before = snapshot(root), snapshot(origin, git_state=False), git(origin, "show-ref")
    assert run(root, *argv) == 2
    captured = capsys.readouterr()
    err = captured.err.splitlines()
    assert err[0].startswith("error: "), captured.err
    assert message in err[0]
    assert err[1].startswith("hint: ")
    assert "Traceback" not in captured.err
    assert (snapshot(root), snapshot(origin, git_state=False), git(origin, "show-ref")) == before
    return captured.err


def test_ship_without_a_choice_lists_the_packages(
    chain: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = refused(chain, capsys, ["ship"], "is a workspace of 3 packages: choose what to release")
    assert "(app (packages/app), core (packages/core), lib (packages/lib))" in err
    assert "hint: choose with --package NAME (repeatable), --all, or --changed" in err


def test_unknown_package(chain: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(
        chain, capsys, ["ship", "--package", "lib", "--package", "nope"], "there is no package nope"
    )
    assert "hint: packages: app (packages/app), core (packages/core), lib (packages/lib)" in err


def test_a_cycle_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_workspace(tmp_path / "ws", requires={"core": ["app>=0.1"]})
    with_origin(root, tmp_path / "origin.git")
    refused(
        root,
        capsys,
        ["ship", "--all"],
        "the packages require each other in a cycle: app -> lib -> core -> app",
    )


def test_colliding_tag_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    release = '\n[tool.release]\ntag-format = "v{version}"\n'
    root = make_workspace(tmp_path / "ws", releases={"core": release, "lib": release})
    with_origin(root, tmp_path / "origin.git")
    refused(
        root,
        capsys,
        ["ship", "--package", "app"],
        "packages core and lib could get the same tag ('v1.2.3' fits both",
    )


def test_a_pin_that_excludes_the_new_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_workspace(tmp_path / "ws", requires={"app": ["lib==0.1.0"]})
    with_origin(root, tmp_path / "origin.git")
    err = refused(
        root,
        capsys,
        ["ship", "--package", "lib", "--part", "minor"],
        "app requires 'lib==0.1.0' (packages/app/pyproject.toml), which excludes lib 0.2.0",
    )
    assert "update-sibling-pins = true" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["ship", "--package", "lib"],
        ["ship", "--all"],
        ["ship", "--changed"],
        ["ship", "--part", "lib=minor"],
        ["status", "--package", "lib"],
    ],
)
def test_workspace_options_outside_a_workspace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    root = make_workspace(tmp_path / "ws")
    single = root / "packages" / "lib"
    with_origin(root, tmp_path / "origin.git")
    before = snapshot(root)
    assert main(["--project", str(single), *argv]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"error: {single.resolve()} is not a workspace: its pyproject.toml")
    assert err[1].startswith("hint: leave out --package, --all, --changed")
    assert snapshot(root) == before


def test_a_bad_part_for_one_package_is_a_usage_error(
    chain: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        run(chain, "ship", "--all", "--part", "lib=sideways")
    assert stopped.value.code == 2
    assert (
        "error: argument --part: unknown part or invalid version 'sideways'"
        in capsys.readouterr().err
    )


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('version-scheme = "sometimes"', "version-scheme must be independent or lockstep"),
        ('packages = "core"', "[tool.release] packages must be a list"),
        ("update-sibling-pins = 1", "update-sibling-pins must be a bool"),
    ],
)
def test_bad_workspace_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], table: str, message: str
) -> None:
    root = make_workspace(tmp_path / "ws", root_toml=ROOT_UV + "\n[tool.release]\n" + table + "\n")
    with_origin(root, tmp_path / "origin.git")
    refused(root, capsys, ["ship", "--all"], message)


def test_a_sibling_on_no_index_and_not_in_the_release(
    chain: Path, capsys: pytest.CaptureFixture[str], index: Server
) -> None:
    err = refused(
        chain,
        capsys,
        ["ship", "--package", "app", "--repository", index.url],
        "app requires 'lib>=0.1', but no version of lib it admits is on the index "
        "and lib is not in this release",
    )
    assert "hint: add --package lib to release it too" in err
    assert run(chain, "ship", "--package", "app", "--package", "lib", "--package", "core",
               "--repository", index.url, "--dry-run") == 0  # fmt: skip


def test_settings_a_workspace_release_cannot_carry_out_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], index: Server
) -> None:
    hooks = '\n[tool.release.hooks]\nbefore-upload = ["python -c pass"]\n'
    root = make_workspace(tmp_path / "ws", releases={"lib": hooks})
    with_origin(root, tmp_path / "origin.git")
    refused(
        root,
        capsys,
        ["ship", "--all", "--repository", index.url],
        "packages/lib sets [tool.release.hooks], which workspace releases do not run yet",
    )


def test_part_auto_is_decided_for_each_package(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_workspace(tmp_path / "ws", commit=False)
    (root / "packages" / "core" / "CHANGELOG.md").write_text(
        "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- a feature\n"
    )
    (root / "packages" / "lib" / "CHANGELOG.md").write_text(
        "# Changelog\n\n## [Unreleased]\n\n### Fixed\n\n- a bug\n"
    )
    init_repo(root)
    assert run(root, "status", "--part", "auto", "--package", "core", "--package", "lib") == 0
    out = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: line.split()[3] for line in out[2:5]}
    assert rows["core"] == "0.2.0" and rows["lib"] == "0.1.1"
    assert rows["app"] == "?"  # no changelog, and no Conventional Commits: nothing to say
    assert "ship would release core 0.1.0 -> 0.2.0 (core-v0.2.0; chosen)" in out
    assert "ship would release lib 0.1.0 -> 0.1.1 (lib-v0.1.1; chosen)" in out
    code = run(root, "ship", "--dry-run", "--part", "auto", "--package", "app")
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: app (packages/app): ")
