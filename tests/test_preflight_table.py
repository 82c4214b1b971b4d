"""``preflight.decide`` as a table: facts in, checks out; no git, no index (pure)."""

from __future__ import annotations

import pytest
from test_ci_conditions import BASE

from release.preflight import CHECKS, Check, Facts, decide

HEAD, OTHER = "a" * 40, "b" * 40
ALL = [
    "version sources",
    "clean work tree",
    "branch",
    "upstream",
    "tag",
    "remote tag",
    "index",
    "credentials",
    "git identity",
]


def checks(**facts: object) -> tuple[Check, ...]:
    return decide(Facts(**{**BASE, **facts}))  # type: ignore[arg-type]


def test_a_clean_release_passes_every_check_in_order() -> None:
    got = checks()
    assert [c.name for c in got] == ALL
    assert all(c.ok and not c.warn for c in got)
    assert len(CHECKS) == 13  # four more appear only where they apply


@pytest.mark.parametrize(
    ("facts", "failed"),
    [
        ({"sources_problem": "pyproject says 1.0, __init__ 1.1"}, ["version sources"]),
        ({"dirty": ("a.py",)}, ["clean work tree"]),
        ({"dirty": ("n.txt",), "untracked": ("n.txt",)}, []),
        ({"dirty": ("n.txt",), "untracked": ("n.txt",), "allow_untracked": False},
         ["clean work tree"]),
        ({"dirty": ("a.py",), "rehearsal": True}, []),
        ({"rewrite_problem": "cannot rewrite x.py read-only"}, ["files to rewrite"]),
        ({"branch": "dev"}, ["branch"]),
        ({"upstream": None}, ["upstream"]),
        ({"behind": True}, ["upstream"]),
        ({"push": False, "upstream": None, "behind": True}, []),
        ({"remote_problem": "unreachable"}, ["upstream", "remote tag"]),
        ({"remote_problem": "unreachable", "push": False}, ["remote tag"]),
        ({"remote_problem": "unreachable", "rehearsal": True}, []),
        ({"tag_local": OTHER}, ["tag"]),
        ({"tag_remote": OTHER}, ["remote tag"]),
        ({"tag_remote": OTHER, "behind": True}, ["upstream", "remote tag"]),
        ({"resume": True, "tag_local": HEAD, "tag_remote": HEAD}, []),
        ({"on_index": ("x-1.0.1.tar.gz",)}, ["index"]),
        ({"on_index": ("x-1.0.1.tar.gz",), "resume": True, "tag_local": HEAD}, []),
        ({"index_problem": "cannot connect"}, ["index"]),
        ({"needs_credentials": True}, ["credentials"]),
        ({"needs_credentials": True, "credentials": "TWINE_PASSWORD"}, []),
        ({"identity_problem": "no user.email"}, ["git identity"]),
        ({"github_problem": "GITHUB_TOKEN is not set"}, ["github release"]),
        ({"remote_latest": ("v2.0.0", "2.0.0"), "remote_newer": True, "shallow": True}, []),
        ({"remote_latest": ("v2.0.0", "2.0.0"), "remote_newer": True, "remote": None}, []),
        ({"remote_latest": ("v1.0.1", "1.0.1"), "remote_newer": True}, []),
    ],
)  # fmt: skip
def test_each_check_fails_on_its_own_facts(facts: dict[str, object], failed: list[str]) -> None:
    assert [c.name for c in checks(**facts) if not c.ok] == failed


def test_an_unreadable_index_is_the_index_fault_not_the_users() -> None:
    (index,) = [c for c in checks(index_problem="503") if c.name == "index"]
    assert (index.ok, index.exit_code, index.message) == (False, 1, "503")
    (taken,) = [c for c in checks(on_index=("x.whl",)) if c.name == "index"]
    assert (taken.exit_code, taken.message) == (2, "the index already has x.whl")


@pytest.mark.parametrize(
    ("facts", "hint"),
    [
        ({}, "git pull --rebase, then run again"),
        ({"resume": True, "tag_local": HEAD, "on_index": ("x.whl",)}, "push the tag alone"),
        ({"resume": True, "tag_local": HEAD}, "neither pushed nor uploaded: drop it"),
        ({"tag_remote": OTHER}, "already has v1.0.1 (at bbbbbbbbbbbb)"),
    ],
)
def test_behind_the_upstream_says_what_to_do(facts: dict[str, object], hint: str) -> None:
    (upstream,) = [c for c in checks(behind=True, **facts) if c.name == "upstream"]
    assert not upstream.ok
    assert hint in upstream.hint


def test_a_shallow_clone_warns_instead_of_refusing_an_older_version() -> None:
    facts = {"remote_latest": ("v2.0.0", "2.0.0"), "remote_newer": True}
    (deep,) = [c for c in checks(**facts) if c.name == "remote tags"]
    (shallow,) = [c for c in checks(shallow=True, **facts) if c.name == "remote tags"]
    assert (deep.ok, deep.warn) == (False, False)
    assert (shallow.ok, shallow.warn) == (True, True)
    assert "git fetch --tags origin" in deep.hint
