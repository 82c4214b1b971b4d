"""verify reads the installed distribution's dist-info itself, as importlib.metadata would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import VENV_BIN

from release.errors import StepError
from release.installed import console_scripts, read, site_packages


def test_console_scripts_are_the_names_of_that_section_only() -> None:
    text = (
        "[console_scripts]\nMy-Tool = pkg.cli:main\n  other=pkg:run [extra]\n"
        "# a comment\n\n[gui_scripts]\ngui = pkg:gui\n[pkg.plugins]\nx = pkg:x\n"
    )
    assert console_scripts(text) == ["My-Tool", "other"]
    assert console_scripts("") == []


def test_read_agrees_with_importlib_metadata(
    tmp_path: Path, hatch_cli: tuple[Path, list[Path]]
) -> None:
    # a real venv and a real install of a real wheel: what its own interpreter says is ours
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (wheel,) = [p for p in hatch_cli[1] if p.name.endswith(".whl")]
    subprocess.run(
        [str(VENV_BIN / "uv"), "pip", "install", "--no-config", "--offline",
         "--python", str(venv / "bin" / "python"), "--no-deps", str(wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    probe = (
        "import json, sys\nfrom importlib import metadata\nd = metadata.distribution(sys.argv[1])\n"
        "print(json.dumps({'version': d.version, 'files': [str(f) for f in d.files or []],"
        " 'scripts': sorted(e.name for e in d.entry_points if e.group == 'console_scripts'),"
        " 'requires': d.requires or []}))"
    )
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-I", "-c", probe, "pub-hatch-cli"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    import json

    assert read(venv, "pub_hatch_cli") == json.loads(done.stdout)
    assert site_packages(venv).is_dir()
    with pytest.raises(StepError, match="has no installed metadata for other"):
        read(venv, "other")
