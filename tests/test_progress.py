"""Progress output: colour only on a terminal and never with NO_COLOR; a summary table."""

from __future__ import annotations

import io

import pytest

from release.progress import Reporter, use_color


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("stream", "environ", "expected"),
    [
        (_Terminal(), {}, True),
        (_Terminal(), {"NO_COLOR": "1"}, False),
        (io.StringIO(), {}, False),
        (io.StringIO(), {"FORCE_COLOR": "1"}, True),
        (io.StringIO(), {"FORCE_COLOR": ""}, False),
        (io.StringIO(), {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
        (_Terminal(), {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
    ],
)
def test_use_color(stream, environ, expected) -> None:
    """A terminal gets colour; FORCE_COLOR forces it elsewhere; NO_COLOR wins over both."""
    assert use_color(stream, environ) is expected


def test_plain_text_off_a_terminal_and_a_summary(monkeypatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = io.StringIO()
    reporter = Reporter(out)
    reporter.start("build", "sdist and wheel")
    reporter.finish("ok", "2 files")
    reporter.skip("push", "--no-push")
    reporter.start("verify", "install")
    reporter.finish("failed", "import error")
    reporter.summary()
    text = out.getvalue()
    assert "\033[" not in text
    lines = text.splitlines()
    assert lines[0] == "==> build: sdist and wheel"
    assert lines[1].startswith("    ok build (") and lines[1].endswith("s): 2 files")
    assert lines[2] == "==> push: skipped, --no-push"
    assert any(line.startswith("step    outcome") for line in lines)
    assert any(line.startswith("verify  failed") for line in lines)
    assert lines[-1].startswith("total")


def test_colour_on_a_terminal(monkeypatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = _Terminal()
    reporter = Reporter(out)
    reporter.start("check", "twine")
    reporter.finish("ok")
    assert "\033[32mok\033[0m" in out.getvalue()
