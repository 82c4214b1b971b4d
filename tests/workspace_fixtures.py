"""A uv workspace of three packages in a chain, app -> lib -> core, each with its own backend.

``core`` is built with flit-core (version in the module's ``__version__``), ``lib`` with
setuptools (static ``[project] version``, src layout), ``app`` with hatchling (version in the
file ``[tool.hatch.version] path`` names). ``packages/scratch`` has no pyproject.toml and is
left out by ``exclude``, as uv would need it to be.
"""

from __future__ import annotations

from pathlib import Path

from conftest import init_repo

CHAIN = {"core": [], "lib": ["core>=0.1"], "app": ["lib>=0.1"]}
"""Each package's ``[project] dependencies`` in the default fixture."""

ROOT_UV = '[tool.uv.workspace]\nmembers = ["packages/*"]\nexclude = ["packages/scratch"]\n'


def _deps(requires: list[str]) -> str:
    """The dependencies line, and the metadata twine check --strict wants."""
    listed = "dependencies = [" + ", ".join(f'"{r}"' for r in requires) + "]\n"
    return 'readme = "README.md"\nrequires-python = ">=3.10"\n' + listed


def core_files(version: str, requires: list[str], release: str) -> dict[str, str]:
    """flit-core: the version is the module's ``__version__``."""
    return {
        "pyproject.toml": '[build-system]\nrequires = ["flit_core>=3.9"]\n'
        'build-backend = "flit_core.buildapi"\n\n[project]\nname = "core"\n'
        'description = "The core of the chain."\ndynamic = ["version"]\n'
        + _deps(requires)
        + release,
        "core/__init__.py": f'"""The core."""\n\n__version__ = "{version}"\n',
    }


def lib_files(version: str, requires: list[str], release: str) -> dict[str, str]:
    """setuptools: a static ``[project] version`` and a src layout."""
    return {
        "pyproject.toml": '[build-system]\nrequires = ["setuptools>=70"]\n'
        'build-backend = "setuptools.build_meta"\n\n[project]\nname = "lib"\n'
        f'version = "{version}"\n' + _deps(requires) + release,
        "src/lib/__init__.py": '"""The library."""\n',
    }


def app_files(version: str, requires: list[str], release: str) -> dict[str, str]:
    """hatchling: the version in the file ``[tool.hatch.version] path`` names."""
    return {
        "pyproject.toml": '[build-system]\nrequires = ["hatchling>=1.21"]\n'
        'build-backend = "hatchling.build"\n\n[project]\nname = "app"\n'
        'dynamic = ["version"]\n'
        + _deps(requires)
        + '\n[tool.hatch.version]\npath = "src/app/__init__.py"\n'
        + release,
        "src/app/__init__.py": f'"""The application."""\n\n__version__ = "{version}"\n',
    }


MAKERS = {"core": core_files, "lib": lib_files, "app": app_files}


def make_workspace(
    root: Path,
    *,
    root_toml: str = ROOT_UV,
    requires: dict[str, list[str]] | None = None,
    versions: dict[str, str] | None = None,
    releases: dict[str, str] | None = None,
    commit: bool = True,
) -> Path:
    """Write the three-package workspace under ``root`` (committed on main unless not asked).

    ``releases`` maps a package to a ``[tool.release]`` table appended to its pyproject.toml.
    """
    requires = {**CHAIN, **(requires or {})}
    for name, make in MAKERS.items():
        version = (versions or {}).get(name, "0.1.0")
        files = make(version, requires[name], (releases or {}).get(name, ""))
        for rel, text in files.items():
            path = root / "packages" / name / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        (root / "packages" / name / "README.md").write_text(f"# {name}\n\nPart of the chain.\n")
    (root / "packages" / "scratch").mkdir(parents=True, exist_ok=True)
    (root / "packages" / "scratch" / "notes.txt").write_text("not a package\n")
    (root / "pyproject.toml").write_text(root_toml)
    return init_repo(root) if commit else root
