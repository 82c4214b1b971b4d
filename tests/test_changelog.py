"""Keep a Changelog rotation: pure text in, text out."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from release.changelog import (
    has_unreleased,
    has_version,
    rotate,
    section,
    titled_section,
    unreleased_entries,
)

BEFORE = """# Changelog

## [Unreleased]

### Added
- a thing

## [1.2.3] - 2024-01-02

### Fixed
- a bug

[Unreleased]: https://github.com/o/r/compare/v1.2.3...HEAD
[1.2.3]: https://github.com/o/r/compare/v1.2.2...v1.2.3
"""

AFTER = """# Changelog

## [Unreleased]

## [1.2.4] - 2026-11-22

### Added
- a thing

## [1.2.3] - 2024-01-02

### Fixed
- a bug

[Unreleased]: https://github.com/o/r/compare/v1.2.4...HEAD
[1.2.4]: https://github.com/o/r/compare/v1.2.3...v1.2.4
[1.2.3]: https://github.com/o/r/compare/v1.2.2...v1.2.3
"""


def test_rotate_moves_unreleased_and_links() -> None:
    result = rotate(BEFORE, "1.2.4", "2026-11-22", "v1.2.4")
    assert result.text == AFTER
    assert result.links_updated


def test_rotate_keeps_crlf() -> None:
    crlf = BEFORE.replace("\n", "\r\n")
    result = rotate(crlf, "1.2.4", "2026-11-22", "v1.2.4")
    assert result.text == AFTER.replace("\n", "\r\n")


def test_rotate_without_links() -> None:
    text = "# Changes\n\n## Unreleased\n\n- x\n"
    result = rotate(text, "0.2.0", "2026-01-01", "v0.2.0")
    assert result.text == "# Changes\n\n## Unreleased\n\n## [0.2.0] - 2026-01-01\n\n- x\n"
    assert not result.links_updated


def test_rotate_custom_tag_format_in_links() -> None:
    text = "## [Unreleased]\n\n[unreleased]: https://x/compare/release-1.0...main\n"
    result = rotate(text, "1.1", "2026-01-01", "release-1.1")
    assert result.text.endswith(
        "[Unreleased]: https://x/compare/release-1.1...main\n"
        "[1.1]: https://x/compare/release-1.0...release-1.1\n"
    )


def test_rotate_without_unreleased_raises() -> None:
    assert not has_unreleased("# Changelog\n\n## [1.0.0]\n")
    with pytest.raises(ValueError):
        rotate("# Changelog\n\n## [1.0.0]\n", "1.0.1", "2026-01-01", "v1.0.1")


def test_has_version_and_section() -> None:
    assert has_version(AFTER, "1.2.4")
    assert has_version(AFTER, "1.2.3")
    assert not has_version(AFTER, "1.2")
    assert section(AFTER, "1.2.4") == "### Added\n- a thing"
    assert section(AFTER, "1.2.3") == "### Fixed\n- a bug"
    assert section(AFTER, "9.9.9") is None


# --- code fences: what is inside one is text, never a heading --------------------------------

FENCED = """# Changelog

How to write an entry:

```markdown
## [Unreleased]

### Added
- your change
```

## [Unreleased]

### Fixed
- a bug

~~~~
## [1.2.4] - in a fence, not a release
~~~~

## [1.2.3] - 2024-01-02
"""


def test_a_heading_inside_a_code_fence_is_not_rotated() -> None:
    result = rotate(FENCED, "1.2.4", "2026-11-22", "v1.2.4")
    assert result.text == FENCED.replace(
        "\n## [Unreleased]\n\n### Fixed",
        "\n## [Unreleased]\n\n## [1.2.4] - 2026-11-22\n\n### Fixed",
    )
    assert result.text.count("## [Unreleased]") == 2  # the fenced example and the real one
    assert result.text.index("```markdown\n## [Unreleased]\n\n### Added") > 0


def test_fenced_lines_are_not_headings_sections_or_entries() -> None:
    only_fenced = "# Changelog\n\n```\n## [Unreleased]\n```\n"
    assert not has_unreleased(only_fenced)
    assert not has_version(FENCED, "1.2.4")
    assert section(FENCED, "1.2.3") == ""
    rotated = rotate(FENCED, "1.2.5", "2026-11-22", "v1.2.5").text
    assert section(rotated, "1.2.5") == (
        "### Fixed\n- a bug\n\n~~~~\n## [1.2.4] - in a fence, not a release\n~~~~"
    )
    assert unreleased_entries(FENCED) == [("Fixed", "a bug")]


# --- the property: a bump keeps every hand-written line, in order ----------------------------

# no backticks or tildes in words: a word must not open a fence of its own
_words = st.text(alphabet="abcdefghij XYZ-.#[]():/*", min_size=1, max_size=30).map(str.strip)
_entry = _words.filter(bool).map(lambda w: f"- {w}")
_fence = st.tuples(
    st.sampled_from(["```", "~~~", "````"]),
    st.lists(
        st.one_of(
            _words,
            st.just("## [Unreleased]"),
            st.just("## Unreleased"),
            st.just("## [0.0.1] - 2020-01-01"),
            st.just("[Unreleased]: https://x/compare/v0...HEAD"),
        ),
        max_size=4,
    ),
).map(lambda f: [f[0], *f[1], f[0]])
_subsection = st.tuples(
    st.sampled_from(["### Added", "### Fixed", "### Removed", "### Notes"]),
    st.lists(st.one_of(_entry.map(lambda e: [e]), _fence, _words.map(lambda w: [w])), max_size=4),
).map(lambda s: [s[0], *(line for block in s[1] for line in block)])
_section = st.lists(_subsection, max_size=3).map(lambda subs: [ln for s in subs for ln in s])


@st.composite
def changelogs(draw: st.DrawFn) -> tuple[str, int]:
    """A changelog, and the line number of its (unfenced) [Unreleased] heading."""
    lines = ["# Changelog", *draw(st.lists(_words, max_size=2))]
    lines += draw(st.lists(_fence, max_size=2).map(lambda fs: [ln for f in fs for ln in f]))
    heading = len(lines)
    lines += ["## [Unreleased]", *draw(_section)]
    released = draw(st.integers(min_value=0, max_value=3))
    for n in range(released, 0, -1):
        lines += [f"## [1.{n}.0] - 2024-01-0{n}", *draw(_section)]
    if draw(st.booleans()):
        lines += ["[Unreleased]: https://github.com/o/r/compare/v1.0.0...HEAD"]
    lines += [f"[1.{n}.0]: https://github.com/o/r/compare/v1.0.{n}...v1.{n}.0" for n in range(3)]
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join(lines) + newline, heading


@given(changelogs())
@settings(max_examples=300, deadline=None)
def test_a_bump_keeps_every_line_in_order(case: tuple[str, int]) -> None:
    text, heading = case
    result = rotate(text, "9.0.0", "2026-01-01", "v9.0.0")
    before = text.splitlines()
    after = result.text.splitlines()
    # exactly: the real heading gains the new version's heading; the [Unreleased] link splits
    expected = [*before[: heading + 1], "", "## [9.0.0] - 2026-01-01", *before[heading + 1 :]]
    link = "[Unreleased]: https://github.com/o/r/compare/v1.0.0...HEAD"
    if link in expected:
        at = expected.index(link)
        expected[at : at + 1] = [
            "[Unreleased]: https://github.com/o/r/compare/v9.0.0...HEAD",
            "[9.0.0]: https://github.com/o/r/compare/v1.0.0...v9.0.0",
        ]
    assert after == expected
    assert result.links_updated == (link in before)
    # and so every line that is not the [Unreleased] heading or link survives, in order
    kept = [ln for i, ln in enumerate(before) if i != heading and ln != link]
    remaining = iter(after)
    assert all(any(ln == other for other in remaining) for ln in kept)


def test_titled_section_finds_towncrier_titles() -> None:
    news = (
        "# Changelog\n\n# demo 1.1.0.post1 (2026-02-01)\n\n- post\n\n"
        "# demo 1.1.0 (2026-01-01)\n\n## Features\n\n- new\n\n```\n# demo 1.0.0\n```\n\n"
        "# demo 1.0.0 (2025-01-01)\n\n- old\n"
    )
    assert titled_section(news, "1.1.0") == "## Features\n\n- new\n\n```\n# demo 1.0.0\n```"
    assert titled_section(news, "1.1.0.post1") == "- post"
    assert titled_section(news, "1.0.0") == "- old"
    assert titled_section(news, "1.1") is None
