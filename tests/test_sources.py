"""Finding and rewriting version sources, without configuration."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from release import config, sources
from release.bump import plan, read_state
from release.errors import SourceError


def _discover(root: Path) -> sources.Discovery:
    return sources.discover(config.load(root))


def _found(root: Path) -> list[tuple[str, str, int]]:
    return [(s.label(root), s.raw, s.line) for s in _discover(root).sources]


LAYOUTS: list[tuple[str, dict[str, str], list[tuple[str, str, int]]]] = [
    (
        "project",
        {"pyproject.toml": '[project]\nname = "a"\nversion = "1.0"\n'},
        [("pyproject.toml:3", "1.0", 3)],
    ),
    (
        "poetry and project agree",
        {
            "pyproject.toml": "[project]\nname = 'a'\nversion = '1.0'\n\n"
            "[tool.poetry]\nname = 'a'\nversion = \"1.0\"\n"
        },
        [("pyproject.toml:3", "1.0", 3), ("pyproject.toml:7", "1.0", 7)],
    ),
    (
        "dotted key",
        {"pyproject.toml": 'project.name = "a"\nproject.version = "2.0"\n'},
        [("pyproject.toml:2", "2.0", 2)],
    ),
    (
        "setup.cfg literal",
        {"setup.cfg": "[metadata]\nname = a\nversion = 0.3.1\n\n[options]\nx = 1\n"},
        [("setup.cfg:3", "0.3.1", 3)],
    ),
    (
        "setup.cfg attr",
        {
            "setup.cfg": "[metadata]\nname = a\nversion = attr: pkg.__version__\n",
            "src/pkg/__init__.py": '"""Doc."""\n\n__version__ = "0.4"\n',
        },
        [("src/pkg/__init__.py:3", "0.4", 3)],
    ),
    (
        "setuptools attr",
        {
            "pyproject.toml": '[project]\nname = "a"\ndynamic = ["version"]\n'
            '[tool.setuptools.dynamic]\nversion = {attr = "pkg.about.VERSION"}\n',
            "pkg/about.py": "VERSION: str = '3.1'\n",
        },
        [("pkg/about.py:1", "3.1", 1)],
    ),
    (
        "setuptools file",
        {
            "pyproject.toml": '[project]\nname = "a"\ndynamic = ["version"]\n'
            '[tool.setuptools.dynamic]\nversion = {file = "VERSION"}\n',
            "VERSION": "5.0.1\n",
        },
        [("VERSION:1", "5.0.1", 1)],
    ),
    (
        "hatch path",
        {
            "pyproject.toml": '[project]\nname = "a"\ndynamic = ["version"]\n'
            '[tool.hatch.version]\npath = "src/a/__about__.py"\n',
            "src/a/__about__.py": "# c\n__version__ = '1.1.1'\n",
        },
        [("src/a/__about__.py:2", "1.1.1", 2)],
    ),
    (
        "pdm file",
        {
            "pyproject.toml": '[project]\nname = "a"\ndynamic = ["version"]\n'
            '[tool.pdm.version]\nsource = "file"\npath = "a.py"\n',
            "a.py": '__version__ = "0.0.9"\n',
        },
        [("a.py:1", "0.0.9", 1)],
    ),
    (
        "flit module",
        {
            "pyproject.toml": '[build-system]\nrequires = ["flit_core"]\n'
            'build-backend = "flit_core.buildapi"\n'
            '[project]\nname = "my-mod"\ndynamic = ["version", "description"]\n',
            "my_mod.py": '"""Doc."""\n__version__ = "0.2"\n',
        },
        [("my_mod.py:2", "0.2", 2)],
    ),
    (
        "version-files",
        {
            "pyproject.toml": '[project]\nname = "a"\nversion = "1.0"\n'
            '[tool.release]\nversion-files = ["docs/conf.py", "VERSION.txt"]\n',
            "docs/conf.py": "project = 'a'\nversion = '1.0'\n",
            "VERSION.txt": "1.0",
        },
        [("pyproject.toml:3", "1.0", 3), ("docs/conf.py:2", "1.0", 2), ("VERSION.txt:1", "1.0", 1)],
    ),
]


@pytest.mark.parametrize(
    ("files", "expected"), [x[1:] for x in LAYOUTS], ids=[x[0] for x in LAYOUTS]
)
def test_discovery(
    make_project, files: dict[str, str], expected: list[tuple[str, str, int]]
) -> None:
    root = make_project(files)
    assert _found(root) == expected
    assert _discover(root).vcs is None


@pytest.mark.parametrize(
    ("pyproject", "plugin"),
    [
        ('[project]\nname = "a"\ndynamic = ["version"]\n[tool.setuptools_scm]\n', "setuptools-scm"),
        (
            '[build-system]\nrequires = ["setuptools>=64", "setuptools-scm>=8"]\n'
            '[project]\nname = "a"\ndynamic = ["version"]\n',
            "setuptools-scm",
        ),
        (
            '[project]\nname = "a"\ndynamic = ["version"]\n[tool.hatch.version]\nsource = "vcs"\n',
            "hatch-vcs",
        ),
        (
            '[project]\nname = "a"\ndynamic = ["version"]\n[tool.pdm.version]\nsource = "scm"\n',
            "pdm-backend scm",
        ),
    ],
)
def test_vcs_detection(make_project, pyproject: str, plugin: str) -> None:
    root = make_project({"pyproject.toml": pyproject})
    found = _discover(root)
    assert found.vcs == plugin
    assert found.sources == ()


def test_vcs_version_comes_from_the_latest_tag(make_project) -> None:
    from conftest import git

    root = make_project(
        {"pyproject.toml": '[project]\nname = "a"\ndynamic = ["version"]\n[tool.setuptools_scm]\n'},
        repo=True,
    )
    assert str(read_state(config.load(root)).current) == "0.0.0"
    for tag in ("v0.9.0", "v1.10.0", "v1.9.0", "other-5.0", "vnot-a-version"):
        git(root, "tag", tag)
    state = read_state(config.load(root))
    assert (str(state.current), state.current_tag) == ("1.10.0", "v1.10.0")


def test_disagreement_lists_every_file_line_and_value(make_project) -> None:
    root = make_project(
        {
            "pyproject.toml": '[project]\nname = "a"\nversion = "1.0"\n'
            '[tool.release]\nversion-files = ["a/__init__.py"]\n',
            "a/__init__.py": '\n\n__version__ = "1.1"\n',
        }
    )
    with pytest.raises(SourceError) as info:
        read_state(config.load(root))
    message = info.value.message
    assert "pyproject.toml:3 has 1.0" in message
    assert "a/__init__.py:3 has 1.1" in message


def test_equal_but_differently_written_versions_agree(make_project) -> None:
    root = make_project(
        {
            "pyproject.toml": '[project]\nname = "a"\nversion = "1.0.0-alpha1"\n'
            '[tool.release]\nversion-files = ["a.py"]\n',
            "a.py": '__version__ = "1.0.0a1"\n',
        }
    )
    assert str(read_state(config.load(root)).current) == "1.0.0a1"


# Property: a bump never changes any byte outside the version string.

_comment = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20).map(
    lambda s: s.replace("\n", " ")
)
_newline = st.sampled_from(["\n", "\r\n"])
_quote = st.sampled_from(['"', "'"])
_space = st.sampled_from(["", " ", "  ", "\t"])


@settings(
    max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(
    nl=_newline,
    q=_quote,
    sp=_space,
    c1=_comment,
    c2=_comment,
    version=st.sampled_from(["1.2.3", "0.1.0a8", "1!2.0", "1.2.3.dev4", "10.0.0rc1"]),
    part=st.sampled_from(["major", "minor", "patch", "dev"]),
    extra_first=st.booleans(),
)
def test_bump_changes_no_byte_outside_the_version(
    tmp_path_factory, nl, q, sp, c1, c2, version, part, extra_first
) -> None:
    root = tmp_path_factory.mktemp("prop")
    extra = f"[tool.other]{nl}version{sp}={sp}{q}{version}{q}{nl}{nl}"
    pyproject = (
        (extra if extra_first else "")
        + f"# {c1}{nl}[project]{nl}name = {q}demo{q}{nl}"
        + f"version{sp}={sp}{q}{version}{q}{sp}# {c2}{nl}"
        + f"dependencies = [{nl}  {q}x{q},  # {c1}{nl}]{nl}"
        + (extra if not extra_first else "")
    )
    module = f"# {c2}{nl}__version__{sp}={sp}{q}{version}{q}{nl}VERSION = {q}{version}{q}{nl}"
    (root / "pyproject.toml").write_bytes(
        (pyproject + f"[tool.release]{nl}version-files = [{q}m.py{q}]{nl}").encode()
    )
    (root / "m.py").write_bytes(module.encode())
    state = read_state(config.load(root))
    result = plan(state, part)
    new = str(result.target)
    for path, data in result.files.items():
        old = path.read_bytes().decode()
        text = data.decode()
        spans = [s for s in state.discovery.sources if s.path == path]
        assert len(spans) == 1
        start = spans[0].start
        assert old[start : start + len(version)] == version
        assert text == old[:start] + new + old[start + len(version) :]


def test_static_version_wins_over_a_vcs_plugin(make_project) -> None:
    root = make_project(
        {"pyproject.toml": '[project]\nname = "a"\nversion = "1.2.3"\n[tool.setuptools_scm]\n'}
    )
    found = _discover(root)
    assert found.vcs is None
    assert [s.raw for s in found.sources] == ["1.2.3"]
