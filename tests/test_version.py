"""The PEP 440 bump rules: the design's table, more cases, and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.version import Version

from release.errors import VersionError
from release.version import PARTS, bump, next_version

E = VersionError  # marks an expected refusal

# The design's table, column by column, then the cases around it.
TABLE: list[tuple[str, str, str | type[Exception]]] = [
    # 1.2.3
    ("1.2.3", "major", "2.0.0"),
    ("1.2.3", "minor", "1.3.0"),
    ("1.2.3", "patch", "1.2.4"),
    ("1.2.3", "alpha", "1.2.4a1"),
    ("1.2.3", "beta", "1.2.4b1"),
    ("1.2.3", "rc", "1.2.4rc1"),
    ("1.2.3", "pre", E),
    ("1.2.3", "dev", "1.2.4.dev1"),
    ("1.2.3", "post", "1.2.3.post1"),
    ("1.2.3", "release", E),
    # 1.3.0a2
    ("1.3.0a2", "major", "2.0.0"),
    ("1.3.0a2", "minor", "1.3.0"),
    ("1.3.0a2", "patch", "1.3.0"),
    ("1.3.0a2", "alpha", "1.3.0a3"),
    ("1.3.0a2", "beta", "1.3.0b1"),
    ("1.3.0a2", "rc", "1.3.0rc1"),
    ("1.3.0a2", "pre", "1.3.0a3"),
    ("1.3.0a2", "dev", "1.3.0a3.dev1"),
    ("1.3.0a2", "post", E),
    ("1.3.0a2", "release", "1.3.0"),
    # 0.1.0a8
    ("0.1.0a8", "major", "1.0.0"),
    ("0.1.0a8", "minor", "0.1.0"),
    ("0.1.0a8", "patch", "0.1.0"),
    ("0.1.0a8", "alpha", "0.1.0a9"),
    ("0.1.0a8", "beta", "0.1.0b1"),
    ("0.1.0a8", "rc", "0.1.0rc1"),
    ("0.1.0a8", "pre", "0.1.0a9"),
    ("0.1.0a8", "dev", "0.1.0a9.dev1"),
    ("0.1.0a8", "post", E),
    ("0.1.0a8", "release", "0.1.0"),
    # 1.2.3.dev4
    ("1.2.3.dev4", "major", "2.0.0"),
    ("1.2.3.dev4", "minor", "1.3.0"),
    ("1.2.3.dev4", "patch", "1.2.3"),
    ("1.2.3.dev4", "alpha", "1.2.3a1"),
    ("1.2.3.dev4", "beta", "1.2.3b1"),
    ("1.2.3.dev4", "rc", "1.2.3rc1"),
    ("1.2.3.dev4", "pre", E),
    ("1.2.3.dev4", "dev", "1.2.3.dev5"),
    ("1.2.3.dev4", "post", E),
    ("1.2.3.dev4", "release", "1.2.3"),
    # beyond the table: finalising, phases, epochs, short and post releases
    ("2.0.0a1", "major", "2.0.0"),
    ("2.0.0rc2", "minor", "2.0.0"),
    ("1.3.0b1", "alpha", E),
    ("1.3.0rc1", "beta", E),
    ("1.3.0b2", "beta", "1.3.0b3"),
    ("1.3.0b2", "rc", "1.3.0rc1"),
    ("1.3.0a3.dev1", "alpha", "1.3.0a3"),
    ("1.3.0a3.dev1", "pre", "1.3.0a3"),
    ("1.3.0a3.dev1", "dev", "1.3.0a3.dev2"),
    ("1.3.0a3.dev1", "release", "1.3.0"),
    ("1.2.3.post1", "post", "1.2.3.post2"),
    ("1.2.3.post1", "patch", "1.2.4"),
    ("1.2.3.post1", "release", E),
    ("1.2.3.post1.dev2", "post", "1.2.3.post1"),
    ("1.2.3.post1.dev2", "dev", "1.2.3.post1.dev3"),
    ("1.2.3.post1.dev2", "release", "1.2.3.post1"),
    ("1.0a1.post1", "release", "1.0.0"),
    ("1!1.2.3", "patch", "1!1.2.4"),
    ("1!1.3.0a2", "release", "1!1.3.0"),
    ("2!0.1.0a8", "beta", "2!0.1.0b1"),
    ("1.2", "patch", "1.2.1"),
    ("1", "minor", "1.1.0"),
    ("1.2.3.4", "patch", "1.2.4"),
    ("1.2.3+local", "patch", "1.2.4"),
    ("1.2.3", "nonsense", E),
    ("1.2.3", "", E),
]


@pytest.mark.parametrize(("current", "part", "expected"), TABLE)
def test_bump_table(current: str, part: str, expected: str | type[Exception]) -> None:
    if isinstance(expected, str):
        assert str(bump(Version(current), part)) == expected
    else:
        with pytest.raises(expected) as info:
            bump(Version(current), part)
        assert info.value.exit_code == 2
        assert info.value.message


def test_error_messages_name_the_problem() -> None:
    with pytest.raises(VersionError, match="not a pre-release"):
        bump(Version("1.2.3"), "pre")
    with pytest.raises(VersionError, match="already final"):
        bump(Version("1.2.3"), "release")
    with pytest.raises(VersionError, match="back to alpha") as info:
        bump(Version("1.3.0b1"), "alpha")
    assert info.value.hint


EXPLICIT: list[tuple[str, str, str | type[Exception]]] = [
    ("1.2.3", "2.0.0", "2.0.0"),
    ("1.2.3", "1.2.4rc1", "1.2.4rc1"),
    ("1.2.3", "1!0.1", "1!0.1"),
    ("1.2.3", "1.2.3", E),
    ("1.2.3", "1.2.2", E),
    ("1.2.3", "1.2.3.dev1", E),
    ("1.2.3", "1.2.4+build5", E),
    ("1.2.3", "not.a.version", E),
]


@pytest.mark.parametrize(("current", "spec", "expected"), EXPLICIT)
def test_explicit_version(current: str, spec: str, expected: str | type[Exception]) -> None:
    if isinstance(expected, str):
        assert str(next_version(Version(current), spec)) == expected
    else:
        with pytest.raises(expected):
            next_version(Version(current), spec)


versions = st.builds(
    lambda epoch, release, pre, post, dev: Version(
        (f"{epoch}!" if epoch else "")
        + ".".join(map(str, release))
        + (f"{pre[0]}{pre[1]}" if pre else "")
        + (f".post{post}" if post is not None else "")
        + (f".dev{dev}" if dev is not None else "")
    ),
    st.integers(0, 2),
    st.lists(st.integers(0, 30), min_size=1, max_size=4),
    st.none() | st.tuples(st.sampled_from(["a", "b", "rc"]), st.integers(0, 9)),
    st.none() | st.integers(0, 5),
    st.none() | st.integers(0, 5),
)


@given(versions, st.sampled_from(PARTS))
def test_a_bump_always_gives_a_greater_version(current: Version, part: str) -> None:
    try:
        new = bump(current, part)
    except VersionError:
        return
    assert new > current
    assert new.epoch == current.epoch
    assert new.local is None


@given(versions, st.sampled_from(PARTS))
def test_a_bump_is_a_valid_canonical_version(current: Version, part: str) -> None:
    try:
        new = bump(current, part)
    except VersionError:
        return
    assert str(Version(str(new))) == str(new)


@given(versions)
def test_every_version_can_move_forward(current: Version) -> None:
    # major always works, so no version is a dead end
    assert bump(current, "major") > current
