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


def test_a_long_step_shows_its_elapsed_time_on_a_terminal() -> None:
    """build and verify get a live line (rich) while they run; a line printed meanwhile stays."""
    import time

    out = _Terminal()
    reporter = Reporter(out, color=False, live=True)
    reporter.start("build", "sdist and wheel")
    time.sleep(1.2)
    reporter.line("    a line from the build")
    reporter.finish("ok", "2 files")
    text = out.getvalue()
    assert "build running, 1s" in text
    assert "    a line from the build" in text
    assert text.rstrip().endswith("s): 2 files")
    quick = _Terminal()
    reporter = Reporter(quick, color=False, live=True)
    reporter.start("check", "twine")
    reporter.finish("ok")
    assert "running" not in quick.getvalue()  # only the long steps


def test_off_a_terminal_rich_is_not_imported() -> None:
    """The reporter imports rich only for a live line (twine may load it on its own paths)."""
    import subprocess
    import sys

    code = (
        "import io, sys; from release.progress import Reporter; "
        "r = Reporter(io.StringIO(), live=True); r.start('build', 'x'); r.finish('ok'); "
        "print(any(m == 'rich' or m.startswith('rich.') for m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout == "False\n", proc.stderr
