"""The pure decisions of a workspace release, in tables: no git, no index, no files."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.version import Version

from release.errors import UsageError
from release.workspace import Package, Workspace
from release.workspace_graph import (
    colliding_tags,
    dependents,
    find_cycle,
    graph,
    release_order,
    topological,
)
from release.workspace_pins import rewrite_pin
from release.workspace_plan import Parts, Selection, choose, decide, describe, resuming


def pkg(
    name: str,
    *requires: str,
    current: str | None = "0.1.0",
    tag_format: str | None = None,
    changed: bool = True,
    last_tag: str | None = None,
    tag_format_set: bool = False,
) -> Package:
    """A package as ``workspace.read`` would give it."""
    return Package(
        name=name,
        directory=f"packages/{name}",
        current=Version(current) if current else None,
        problem=None if current else "no version found in packages/" + name,
        tag_format=tag_format or f"{name}-v{{version}}",
        tag_format_set=tag_format_set,
        requires=requires,
        last_tag=last_tag,
        changed=changed,
    )


CHAIN = (pkg("core"), pkg("lib", "core>=0.1"), pkg("app", "lib>=0.1"))


def ws(*packages: Package, **settings: object) -> Workspace:
    """A workspace of ``packages`` (default: the app -> lib -> core chain)."""
    return Workspace(
        root=Path("/ws"),
        kind="[tool.uv.workspace]",
        packages=packages or CHAIN,
        **settings,  # type: ignore[arg-type]
    )


# --- the graph ---


def test_graph_reads_sibling_requirements_only() -> None:
    packages = (
        pkg("core"),
        pkg("lib", "Core[fast]>=0.1; python_version >= '3.8'", "requests>=2", "not a req ["),
        pkg("app", "LIB", "lib<1", "app"),
    )
    assert graph(packages) == {"core": (), "lib": ("core",), "app": ("lib",)}


@pytest.mark.parametrize(
    ("edges", "among", "cycle"),
    [
        ({"app": ("lib",), "lib": ("core",), "core": ()}, {"app", "lib", "core"}, None),
        ({"a": ("b",), "b": ("a",)}, {"a", "b"}, ["a", "b", "a"]),
        ({"a": ("b",), "b": ("c",), "c": ("a",)}, {"a", "b", "c"}, ["a", "b", "c", "a"]),
        ({"a": ("b",), "b": ("a",), "c": ()}, {"c"}, None),  # not among the chosen
        ({"x": ("a",), "a": ("b",), "b": ("a",)}, {"x", "a", "b"}, ["a", "b", "a"]),
    ],
)
def test_find_cycle(edges: dict[str, tuple[str, ...]], among: set[str], cycle: object) -> None:
    assert find_cycle(edges, among) == cycle


@pytest.mark.parametrize(
    ("edges", "among", "order"),
    [
        (
            {"app": ("lib",), "lib": ("core",), "core": ()},
            ["app", "lib", "core"],
            ("core", "lib", "app"),
        ),
        ({"d": ("b", "c"), "b": ("a",), "c": ("a",), "a": ()}, "dcba", ("a", "b", "c", "d")),
        ({"app": ("lib",), "lib": ("core",), "core": ()}, ["app", "core"], ("app", "core")),
        ({"z": (), "y": (), "x": ("z",)}, "xyz", ("y", "z", "x")),
    ],
)
def test_topological(edges: dict[str, tuple[str, ...]], among: object, order: object) -> None:
    assert topological(edges, among) == order  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("edges", "chosen", "order"),
    [
        ({"app": ("lib",), "lib": ("core",), "core": ()}, ["app", "core"], ("core", "app")),
        (
            {"app": ("lib",), "lib": ("x",), "x": ("lib",), "core": ()},
            ["app", "core"],
            ("app", "core"),
        ),
        ({"app": ("lib",), "lib": ("core",), "core": ()}, ["lib"], ("lib",)),
    ],
)
def test_release_order_goes_through_siblings_not_chosen(
    edges: dict[str, tuple[str, ...]], chosen: list[str], order: tuple[str, ...]
) -> None:
    assert release_order(edges, chosen) == order


def test_dependents_are_transitive() -> None:
    edges = {"app": ("lib",), "lib": ("core",), "core": (), "cli": ("app",), "other": ()}
    assert dependents(edges, ["core"]) == {"lib", "app", "cli"}
    assert dependents(edges, ["app"]) == {"cli"}
    assert dependents(edges, ["other"]) == set()


# --- tags ---


@pytest.mark.parametrize(
    ("a", "b", "example"),
    [
        ("core-v{version}", "lib-v{version}", None),
        ("v{version}", "v{version}", "v1.2.3"),
        ("{version}", "v{version}", "v0.1.0"),  # a version may start with v
        ("core-{version}", "core-v{version}", "core-v0.1.0"),
        ("v{version}", "lib-v{version}", None),
        ("a-{version}", "a-b-{version}", None),
        ("release/{version}", "release/{version}-lib", None),
    ],
)
def test_colliding_tags(a: str, b: str, example: str | None) -> None:
    found = colliding_tags([pkg("one", tag_format=a), pkg("two", tag_format=b)])
    assert [e for *_, e in found] == ([example] if example else [])


# --- pins ---


@pytest.mark.parametrize(
    ("raw", "new", "expected"),
    [
        ("lib==0.2.0", "0.3.0", "lib==0.3.0"),
        ("lib == 0.2.0", "0.3.0", "lib == 0.3.0"),
        ("lib===0.2.0", "0.3.0", "lib===0.3.0"),
        ("lib==0.2.*", "0.3.0", "lib==0.3.*"),
        ("lib~=0.2.1", "0.3.0", "lib~=0.3.0"),
        ("lib>=0.1,<0.3", "0.3.0", "lib>=0.1,<0.4"),
        ("lib >=0.1, <0.3", "0.3.0", "lib >=0.1, <0.4"),
        ("lib<1", "1.0.0", "lib<2"),
        ("lib<=0.2.0", "0.3.0", "lib<=0.3.0"),
        ("lib>=0.1", "0.3.0", "lib>=0.1"),  # admits it already: unchanged
        (
            "lib[fast]==0.2.0; python_version >= '3.8'",
            "0.3.0",
            "lib[fast]==0.3.0; python_version >= '3.8'",
        ),
        ("lib!=0.3.0", "0.3.0", None),  # excluded on purpose
        ("lib>=0.5", "0.3.0", None),  # a lower bound is never lowered
        ("lib==0.2.0", "0.3.0rc1", "lib==0.3.0rc1"),
    ],
)
def test_rewrite_pin(raw: str, new: str, expected: str | None) -> None:
    assert rewrite_pin(raw, Version(new)) == expected


# --- choosing and deciding ---


def names(decision: object) -> list[str]:
    return [r.name for r in decision.releases]  # type: ignore[attr-defined]


def test_all_releases_in_dependency_order() -> None:
    decision = decide(ws(), Selection(all=True), Parts())
    assert decision.refusals == ()
    assert names(decision) == ["core", "lib", "app"]
    assert [str(r.version) for r in decision.releases] == ["0.1.1", "0.1.1", "0.1.1"]
    assert decision.tags == ("core-v0.1.1", "lib-v0.1.1", "app-v0.1.1")
    assert (
        describe(decision)[-1] == "tag the one release commit core-v0.1.1, lib-v0.1.1, app-v0.1.1"
    )


def test_package_alone_with_its_siblings_on_the_index() -> None:
    available = {"core": frozenset({Version("0.1.0")}), "lib": frozenset({Version("0.1.0")})}
    decision = decide(ws(), Selection(names=("App",)), Parts(), available)
    assert names(decision) == ["app"] and decision.refusals == ()


def test_parts_per_package() -> None:
    parts = Parts(default="minor", named=(("LIB", "major"), ("core", "1.0.0")))
    decision = decide(ws(), Selection(all=True), parts)
    assert [(r.name, str(r.version), r.part) for r in decision.releases] == [
        ("core", "1.0.0", "1.0.0"),
        ("lib", "1.0.0", "major"),
        ("app", "0.2.0", "minor"),
    ]


@pytest.mark.parametrize(
    ("packages", "selection", "parts", "settings", "message"),
    [
        (
            CHAIN,
            Selection(names=("nope",)),
            Parts(),
            {},
            "--package nope: there is no package nope",
        ),
        (
            (pkg("core", "app"), *CHAIN[1:]),
            Selection(all=True),
            Parts(),
            {},
            "the packages require each other in a cycle: app -> lib -> core -> app",
        ),
        (
            (pkg("core", tag_format="v{version}"), pkg("lib", tag_format="v{version}")),
            Selection(names=("core",)),
            Parts(),
            {},
            "packages core and lib could get the same tag ('v1.2.3' fits both",
        ),
        (
            (*CHAIN[:2], pkg("app", "lib==0.1.0")),
            Selection(names=("lib",)),
            Parts(),
            {},
            "app requires 'lib==0.1.0' (packages/app/pyproject.toml), which excludes lib 0.1.1",
        ),
        (
            (*CHAIN[:2], pkg("app", "lib!=0.1.1")),
            Selection(names=("lib",)),
            Parts(),
            {"update_sibling_pins": True},
            "cannot be rewritten keeping its operators",
        ),
        (
            CHAIN,
            Selection(all=True),
            Parts(named=(("nope", "minor"),)),
            {},
            "--part nope=...: there is no package nope",
        ),
        (
            CHAIN,
            Selection(names=("lib",)),
            Parts(named=(("app", "minor"),)),
            {},
            "--part app=...: app is not in this release",
        ),
        (CHAIN, Selection(names=("lib",)), Parts(default="post"), {}, None),  # 0.1.0 -> 0.1.0.post1
        (
            (pkg("core", current=None),),
            Selection(all=True),
            Parts(),
            {},
            "core (packages/core): no version found",
        ),
        (CHAIN, Selection(all=True), Parts(default="pre"), {}, "core: 0.1.0 is not a pre-release"),
        (
            tuple(
                pkg(p.name, *p.requires, changed=False, last_tag=f"{p.name}-v0.1.0") for p in CHAIN
            ),
            Selection(changed=True),
            Parts(),
            {},
            "nothing to release: no package changed since its last tag",
        ),
        (
            CHAIN,
            Selection(names=("lib",)),
            Parts(),
            {"lockstep": True},
            "version-scheme is lockstep: every package",
        ),
        (
            (pkg("core"), pkg("lib", current="0.2.0")),
            Selection(all=True),
            Parts(),
            {"lockstep": True},
            "the packages' versions differ: core 0.1.0, lib 0.2.0",
        ),
        (
            (pkg("core", tag_format="core-{version}", tag_format_set=True), pkg("lib")),
            Selection(all=True),
            Parts(),
            {"lockstep": True},
            "packages/core/pyproject.toml sets a tag-format of its own",
        ),
        (
            CHAIN,
            Selection(all=True),
            Parts(named=(("lib", "minor"),)),
            {"lockstep": True},
            "--part NAME=PART cannot",
        ),
    ],
)
def test_refusals(
    packages: tuple[Package, ...],
    selection: Selection,
    parts: Parts,
    settings: dict[str, object],
    message: str | None,
) -> None:
    decision = decide(ws(*packages, **settings), selection, parts)
    error = decision.error()
    if message is None:
        assert error is None and decision.releases
        return
    assert decision.releases == ()
    assert isinstance(error, UsageError) and error.exit_code == 2
    assert message in error.message
    assert error.hint


def test_every_refusal_is_named_at_once() -> None:
    packages = (
        pkg("core", "app", tag_format="v{version}"),
        pkg("lib", "core", tag_format="v{version}"),
        pkg("app", "lib"),
    )
    error = decide(ws(*packages), Selection(all=True), Parts(named=(("x", "minor"),))).error()
    assert error is not None
    for part in ("could get the same tag", "--part x=...", "in a cycle: app -> lib -> core -> app"):
        assert part in error.message


def test_an_excluding_pin_is_rewritten_when_asked() -> None:
    packages = (*CHAIN[:2], pkg("app", "lib>=0.1,<0.2", "core==0.1.0"))
    decision = decide(
        ws(*packages, update_sibling_pins=True), Selection(names=("lib",)), Parts("minor")
    )
    assert decision.refusals == ()
    assert [(w.package, w.old, w.new, w.sibling) for w in decision.rewrites] == [
        ("app", "lib>=0.1,<0.2", "lib>=0.1,<0.3", "lib")
    ]
    assert "rewrite app's requirement 'lib>=0.1,<0.2' -> 'lib>=0.1,<0.3'" in describe(decision)[1]


@pytest.mark.parametrize(
    ("available", "refused"),
    [
        (None, False),  # the index was not read: nothing to say
        ({"lib": frozenset({Version("0.1.0")})}, True),
        ({"lib": frozenset({Version("0.6.0")})}, False),
        ({"lib": frozenset()}, True),
    ],
)
def test_a_sibling_version_on_no_index_and_not_released_is_refused(
    available: dict[str, frozenset[Version]] | None, refused: bool
) -> None:
    packages = (*CHAIN[:2], pkg("app", "lib>=0.5"))
    decision = decide(ws(*packages), Selection(names=("app",)), Parts(), available)
    error = decision.error()
    assert (error is not None) == refused
    if refused:
        assert error is not None
        assert (
            "no version of lib it admits is on the index and lib is not in this release"
            in error.message
        )
        assert error.hint == "add --package lib to release it too, or change the requirement"


def changed_only(name: str) -> tuple[Package, ...]:
    return tuple(
        pkg(p.name, *p.requires, changed=p.name == name, last_tag=f"{p.name}-v0.1.0") for p in CHAIN
    )


@pytest.mark.parametrize(
    ("dependents_too", "expected"),
    [
        (False, [("lib", "changed since lib-v0.1.0")]),
        (True, [("lib", "changed since lib-v0.1.0"), ("app", "requires lib")]),
    ],
)
def test_changed_and_its_dependents(dependents_too: bool, expected: list[tuple[str, str]]) -> None:
    workspace = ws(*changed_only("lib"), release_dependents=dependents_too)
    decision = decide(workspace, Selection(changed=True), Parts())
    assert [(r.name, r.why) for r in decision.releases] == expected


def test_lockstep_releases_everything_at_one_version_with_one_tag() -> None:
    workspace = ws(*changed_only("lib"), lockstep=True, lockstep_tag_format="v{version}")
    decision = decide(workspace, Selection(changed=True), Parts("minor"))
    assert names(decision) == ["core", "lib", "app"]
    assert {str(r.version) for r in decision.releases} == {"0.2.0"}
    assert decision.tags == ("v0.2.0",)


def test_choose_without_a_choice_chooses_nothing() -> None:
    assert choose(ws(), Selection()) == ({}, [])
    assert not Selection().made


@pytest.mark.parametrize(
    ("head_tags", "lockstep", "expected"),
    [
        ((), False, None),
        (("lib-v0.1.1",), False, None),  # not the packages' current version
        (
            ("app-v0.1.0", "core-v0.1.0", "unrelated"),
            False,
            [("core", "core-v0.1.0"), ("app", "app-v0.1.0")],
        ),
        (("v0.1.0",), True, [("core", "v0.1.0"), ("lib", "v0.1.0"), ("app", "v0.1.0")]),
    ],
)
def test_resuming_is_read_from_the_tags_at_head(
    head_tags: tuple[str, ...], lockstep: bool, expected: list[tuple[str, str]] | None
) -> None:
    workspace = ws(*CHAIN, head_tags=head_tags, lockstep=lockstep)
    found = resuming(workspace)
    if expected is None:
        assert found is None
        return
    assert found is not None
    assert [(r.name, r.tag) for r in found.releases] == expected
    assert all(r.current == r.version == Version("0.1.0") for r in found.releases)


def test_the_order_goes_through_a_sibling_left_out() -> None:
    available = {"lib": frozenset({Version("0.1.0")})}
    decision = decide(ws(), Selection(names=("app", "core")), Parts(), available)
    assert names(decision) == ["core", "app"]


# --- one environment for a wave: what each package would not have alone ---


def dist(name: str, *requires: str, modules: tuple[str, ...] = ()) -> tuple[str, object]:
    """An installed distribution as the wave's environment reports it."""
    from release.workspace_verify import Dist

    files = tuple(f"{m}/__init__.py" for m in (modules or (name.replace("-", "_"),)))
    return name, Dist(name, "1.0", files, (), requires)


@pytest.mark.parametrize(
    ("installed", "package", "others", "hidden"),
    [
        # independent packages: each cannot see the other
        ([dist("a"), dist("b")], "a", ["b"], ["b"]),
        # a dependency of b only is hidden from a; a's own dependency is not hidden from a
        ([dist("a", "x"), dist("b", "y"), dist("x"), dist("y")], "a", ["b"], ["b", "y"]),
        # shared by both: visible to both
        ([dist("a", "x"), dist("b", "x"), dist("x")], "a", ["b"], ["b"]),
        # through an extra a asks for, and a marker that does not apply
        (
            [
                dist("a", "x[fast]", 'z; python_version < "3"'),
                dist("b", "z"),
                dist("x", 'y; extra == "fast"'),
                dist("y"),
                dist("z"),
            ],
            "a",
            ["b"],
            ["b", "z"],
        ),
        # a module two distributions share (a namespace) stays visible
        ([dist("a", modules=("ns",)), dist("b", modules=("ns",))], "a", ["b"], []),
        # what the fresh environment started with (pip) is never hidden
        ([dist("a"), dist("b", "pip"), dist("pip")], "a", ["b"], ["b"]),
    ],
)
def test_the_modules_a_package_of_a_wave_would_not_have_alone(
    installed: list[tuple[str, object]], package: str, others: list[str], hidden: list[str]
) -> None:
    from release.model import Release
    from release.workspace_verify import hidden as hidden_of

    dists = dict(installed)
    releases = [Release(n, Version("1.0"), f"{n}-v1.0") for n in [package, *others]]
    assert hidden_of(dists, package, releases, {"pip"}) == hidden  # type: ignore[arg-type]


def test_only_packages_that_share_their_build_requirements_share_an_environment() -> None:
    from release.workspace_build import groups

    found = {
        "a": ("hatchling>=1.21",),
        "b": ("hatchling>=1.21",),
        "c": ("flit_core>=3.9",),
        "d": None,  # no [build-system], or an in-tree backend: alone
    }
    assert groups(found) == {("hatchling>=1.21",): ["a", "b"]}


def test_a_build_in_a_shared_environment_uses_it_without_isolation() -> None:
    from release.build import build_command

    assert build_command(Path("src"), Path("out"), isolated=True, uv="uv", shared="env/py") == [
        "uv", "build", "--no-config", "--no-build-isolation", "--python", "env/py",
        "--out-dir", "out", "src",
    ]  # fmt: skip
    # --no-isolation means the backends installed here, shared environment or not
    assert "--no-isolation" in build_command(
        Path("src"), Path("out"), isolated=False, uv="uv", shared="env/py", python="py"
    )


def test_two_distributions_installing_one_file_cannot_share_an_environment() -> None:
    from release.workspace_verify import Dist, _Apart, _no_clash

    def d(name: str, *files: str) -> Dist:
        return Dist(name, "1.0", files, (), ())

    # a namespace package's modules, each distribution's metadata and caches: no clash
    _no_clash(
        {
            "a": d("a", "ns/a.py", "a-1.0.dist-info/RECORD", "ns/__pycache__/a.cpython-311.pyc"),
            "b": d("b", "ns/b.py", "b-1.0.dist-info/RECORD"),
        }
    )
    # one console script (or module) from two distributions: one overwrote the other
    with pytest.raises(_Apart, match=r"a and b both install \.\./\.\./bin/tool"):
        _no_clash({"a": d("a", "../../bin/tool"), "b": d("b", "../../bin/tool")})
