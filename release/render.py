"""The files ``release init`` writes, rendered from the templates in ``release/templates`` (pure).

The noxfile (new, or an existing one with the sessions it lacks), the workflows for each
trigger, the PR template and the ``.gitignore`` entries; nothing here reads the project or
writes a file.
"""

from __future__ import annotations

import ast
import re
from importlib import resources

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from . import values
from .errors import UsageError
from .triggers import DEFAULT_TRIGGER, TRIGGERS
from .values import frozen

PYTHONS = ("3.9", "3.10", "3.11", "3.12", "3.13", "3.14")
"""The Python versions the generated CI picks from (the oldest and newest requires-python allows)."""

SESSIONS = {
    # session name -> (template, python function name)
    "lint": ("lint.py.tmpl", "lint"),
    "tests": ("tests.py.tmpl", "tests"),
    "bump": ("bump.py.tmpl", "bump"),
    "release": ("release.py.tmpl", "release"),
    "publish": ("publish.py.tmpl", "publish"),
    "publish-dev": ("publish_dev.py.tmpl", "publish_dev"),
    "verify": ("verify.py.tmpl", "verify"),
    "github-release": ("github_release.py.tmpl", "github_release"),
}
"""The sessions ``release init`` may add to the noxfile, in order."""

REQUIRED_FIRST = ("lint", "tests")
"""Sessions that, where the noxfile has them, run before ``release`` and ``publish``."""


def _template(*parts: str) -> str:
    return resources.files("release").joinpath("templates", *parts).read_text(encoding="utf-8")


def releasekit_version() -> str:
    """The version of releasekit that is writing the files (what the sessions pin)."""
    from . import __version__

    return str(__version__)


def releasekit_requirement(version: str | None = None) -> str:
    """What the generated sessions install unless RELEASEKIT_REQUIREMENT says otherwise."""
    from .noxsupport import releasekit_install_args

    return releasekit_install_args(version or releasekit_version(), environ={})[0]


@frozen
class Project:
    """What ``release init`` reads from the repository before writing anything."""

    name: str
    branch: str
    """The release branch: [tool.release] branch, else main or master as git has it."""
    ci_branch: str
    """The branch CI tests pushes to (for ``deploy``: main or master, not the deploy branch)."""
    pythons: tuple[str, ...]
    """The supported minor versions of PYTHONS, oldest first."""
    lint: bool
    """Whether the project has ruff or pre-commit configuration."""
    workspace: bool = False
    """Whether the root holds a workspace: the workflows release its packages."""
    lockstep: bool = False
    """A lockstep workspace: one ``v{version}`` tag for every package."""


def supported_pythons(requires: str | None) -> tuple[str, ...]:
    """The versions of PYTHONS that ``requires-python`` allows (any of their patch releases)."""
    try:
        spec = SpecifierSet(requires or "")
    except InvalidSpecifier:
        raise UsageError(
            f"requires-python {requires!r} is not a version specifier",
            hint='write it as in PEP 440, for example requires-python = ">=3.10"',
        ) from None
    found = tuple(v for v in PYTHONS if any(spec.contains(f"{v}.{p}") for p in (0, 99)))
    if not found:
        raise UsageError(
            f"requires-python {requires!r} allows none of Python {PYTHONS[0]} to {PYTHONS[-1]}",
            hint="fix requires-python in pyproject.toml, then run release init again",
        )
    return found


def _session_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """The nox session names a noxfile defines, and its top-level function names."""
    sessions: set[str] = set()
    functions: set[str] = set()
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        functions.add(node.name)
        for deco in node.decorator_list:
            call = deco if isinstance(deco, ast.Call) else None
            target = call.func if call else deco
            if ast.unparse(target) not in ("nox.session", "session"):
                continue
            name = node.name
            for kw in call.keywords if call else []:
                if kw.arg == "name" and isinstance(kw.value, ast.Constant):
                    name = str(kw.value.value)
            sessions.add(name)
    return sessions, functions


def _imports_nox(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.Import)
        and any(a.name == "nox" and a.asname is None for a in node.names)
        for node in tree.body
    )


def _render_session(name: str, requires: list[str]) -> str:
    template, _ = SESSIONS[name]
    text = _template("nox", template)
    return text.replace("@REQUIRES@", repr(requires).replace("'", '"'))


def _wanted(trigger: str, lint: bool) -> list[str]:
    """The sessions the files for ``trigger`` use or document."""
    return [
        s
        for s in SESSIONS
        if (s != "lint" or lint) and (s != "publish-dev" or trigger == "testpypi")
    ]


def noxfile(existing: str | None, *, trigger: str = DEFAULT_TRIGGER, lint: bool = False) -> str:
    """The noxfile: a new one, or ``existing`` with the sessions it lacks appended (pure)."""
    version = releasekit_version()
    if existing is None:
        have: set[str] = set()
        functions: set[str] = set()
    else:
        try:
            tree = ast.parse(existing)
        except SyntaxError as exc:
            raise UsageError(
                f"noxfile.py is not valid Python (line {exc.lineno}): {exc.msg}",
                hint="fix it, or move it aside and run release init again",
            ) from None
        have, functions = _session_names(tree)
    wanted = _wanted(trigger, lint or "lint" in have)
    missing = [s for s in wanted if s not in have and SESSIONS[s][1] not in functions]
    requires = [s for s in REQUIRED_FIRST if s in have or s in missing]
    blocks = [_render_session(name, requires) for name in missing]
    if existing is None:
        head = _template("nox", "header.py.tmpl").replace("@VERSION@", version)
        defaults = [s for s in REQUIRED_FIRST if s in missing]
        head = head.replace("@DEFAULT_SESSIONS@", repr(defaults).replace("'", '"'))
        return head + "\n\n" + "\n\n".join(blocks)
    if not missing:
        return existing
    added = "# Release sessions added by release init; they call the release CLI.\n"
    if not _imports_nox(tree):
        added += "import nox  # noqa: E402\n"
    added += "from release import noxsupport  # noqa: E402\n\n"
    added += f'RELEASEKIT = "{version}"  # RELEASEKIT_REQUIREMENT overrides it\n'
    if "# /// script" not in existing:
        # nox installs releasekit beside itself from this block when it is missing
        added += (
            f'\n# /// script\n# dependencies = ["nox>=2025.2.9", "releasekit>={version}"]\n# ///\n'
        )
    return existing.rstrip("\n") + "\n\n\n" + added + "\n\n" + "\n\n".join(blocks)


def _runs_on(trigger: str, labels: tuple[str, ...]) -> str:
    if not labels:
        labels = ("self-hosted", "deploy") if trigger == "deploy" else ("ubuntu-latest",)
    return labels[0] if len(labels) == 1 else "[" + ", ".join(labels) + "]"


def render_workflow(template: str, trigger: str, project: Project, runs_on: tuple[str, ...]) -> str:
    """A workflow template with the project's branch, Pythons, runner and index pages."""
    text = _template("workflows", template)
    if not project.lint:
        text = re.sub(r"(?ms)^  # lint:begin\n.*?^  # lint:end\n", "", text)
    else:
        text = re.sub(r"(?m)^  # lint:(begin|end)\n", "", text)
    oldest, newest = project.pythons[0], project.pythons[-1]
    matrix = [oldest] if oldest == newest else [oldest, newest]
    values = {
        "__CI_BRANCH__": project.ci_branch,
        "__BRANCH__": project.branch,
        "__PYTHONS__": ", ".join(f'"{v}"' for v in matrix),
        "__PYTHON__": newest,
        "__RUNS_ON__": _runs_on(trigger, runs_on),
        "__PYPI_URL__": f"https://pypi.org/p/{project.name}",
        "__TESTPYPI_URL__": f"https://test.pypi.org/p/{project.name}",
    }
    for key, value in values.items():
        text = text.replace(key, value)
    return for_workspace(text, project.lockstep) if project.workspace else text


WORKSPACE_RUNS = {
    # a merge releases the packages changed since their tags (and, with release-dependents,
    # those requiring them); a pushed NAME-vX.Y.Z tag publishes that package, already tagged
    "nox -s release -- --part patch": "nox -s release -- --changed --allow-empty --part patch",
    "- run: nox -s publish\n": '- run: nox -s release -- --package-from-tag "$GITHUB_REF_NAME" '
    "--no-push\n",
    "name: nox -s publish (": "name: nox -s release -- --package-from-tag (",
    'tags: ["v*"]': 'tags: ["*-v*"]',
    "fetch-depth: 0 # every tag: the build is a clean clone of the tagged commit": (
        "fetch-depth: 1 # the tagged commit: its tag names the package and its version"
    ),
    "nox -s publish fails and says why": "--package-from-tag refuses the branch's name",
}
"""What a workspace's release workflow runs instead of the single package's sessions."""


def for_workspace(text: str, lockstep: bool = False) -> str:
    """A release workflow for a workspace root: its packages' sessions, no github-release.

    ``github-release`` announces one package's version: a workspace has no such one yet.
    A lockstep workspace keeps the ``v*`` tags: its one tag releases every package.
    """
    for old, new in WORKSPACE_RUNS.items():
        if not (lockstep and old.startswith("tags:")):
            text = text.replace(old, new)
    text = re.sub(r"(?ms)^  github-release:\n.*?(?=^  \S|\Z)", "", text)
    text = re.sub(r"(?m)^      - run: nox -s github-release\n(        .*\n)*", "", text)
    return text.rstrip("\n") + "\n"


def pull_request_template(lint: bool) -> str:
    """The PR template; it names ``nox -s lint`` only where that session exists."""
    text = _template("pull_request_template.md")
    return text if lint else text.replace("`nox -s lint tests`", "`nox -s tests`")


def files_for(
    trigger: str,
    existing_noxfile: str | None,
    project: Project | None = None,
    runs_on: tuple[str, ...] = (),
) -> dict[str, str]:
    """Every file ``release init --trigger TRIGGER`` writes: relative path -> text (pure)."""
    if trigger not in TRIGGERS:
        raise UsageError(
            f"unknown trigger {trigger!r}", hint=f"--trigger takes {', '.join(TRIGGERS)}"
        )
    if project is None:
        project = Project("project", "main", "main", PYTHONS, lint=False)
    nox_text = noxfile(existing_noxfile, trigger=trigger, lint=project.lint)
    lint = "lint" in _session_names(ast.parse(nox_text))[0]
    shown = values.replace(project, lint=lint)
    return {
        "noxfile.py": nox_text,
        "tasks.py": _template("tasks.py.tmpl"),
        CI: render_workflow("ci.yml", trigger, shown, runs_on),
        RELEASE: render_workflow(f"release-{trigger}.yml", trigger, shown, runs_on),
        ".github/pull_request_template.md": pull_request_template(lint),
    }


CI = ".github/workflows/ci.yml"
RELEASE = ".github/workflows/release.yml"


IGNORED = (".nox/", "dist/", "build/", "*.egg-info/", ".coverage", ".coverage.*")
"""What the sessions leave in the work tree; ignored, so a release sees a clean checkout."""


def gitignore(existing: str | None) -> str:
    """``.gitignore`` with the entries of IGNORED it lacks appended (pure)."""
    text = existing or ""
    have = {line.strip() for line in text.splitlines()}
    missing = [e for e in IGNORED if e not in have and e.rstrip("/") not in have]
    if not missing:
        return text
    if text and not text.endswith("\n"):
        text += "\n"
    header = "# nox sessions and builds (added by release init)\n"
    return text + ("\n" if text else "") + header + "".join(f"{e}\n" for e in missing)
