"""Keep a Changelog rotation: pure text in, text out."""

from __future__ import annotations

import pytest

from release.changelog import has_unreleased, has_version, rotate, section

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
