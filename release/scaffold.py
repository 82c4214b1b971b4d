"""``release init``: write thin front doors (noxfile, tasks, workflows, PR template) for a project.

Planning reads the project and decides every file's new bytes (no writes); executing writes
them all at once. A file that exists with other content is a conflict unless ``--force``;
an existing noxfile is never replaced, only given the sessions it lacks.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .errors import UsageError
from .fsutil import write_atomic

TRIGGERS = ("tag", "main", "deploy", "release")
DEFAULT_TRIGGER = "tag"

SESSIONS = {
    # session name -> (template, python function name)
    "tests": ("tests.py.tmpl", "tests"),
    "bump": ("bump.py.tmpl", "bump"),
    "release": ("release.py.tmpl", "release"),
    "publish": ("publish.py.tmpl", "publish"),
    "verify": ("verify.py.tmpl", "verify"),
    "github-release": ("github_release.py.tmpl", "github_release"),
}
"""The sessions ``release init`` adds to the noxfile, in order."""

REQUIRED_FIRST = ("lint", "tests")
"""Sessions that, where the noxfile has them, run before ``release`` and ``publish``."""

NEXT_STEPS = {
    "tag": "release: nox -s bump -- patch --tag, then git push --follow-tags",
    "main": "every merge to main now releases a patch version",
    "deploy": 'set [tool.release] branch = "deploy", then merge main into deploy to release',
    "release": "release: nox -s bump -- patch --tag, git push --follow-tags, "
    "then publish a GitHub Release of the tag",
}


def _template(*parts: str) -> str:
    return resources.files("release").joinpath("templates", *parts).read_text(encoding="utf-8")


def releasekit_requirement(version: str | None = None) -> str:
    """What the generated sessions install: this release series of releasekit or newer."""
    if version is None:
        from . import __version__ as installed

        version = str(installed)
    match = re.match(r"(\d+)\.(\d+)", version)
    return f"releasekit>={match.group(1)}.{match.group(2)}" if match else "releasekit"


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
    text = text.replace("@RELEASEKIT@", releasekit_requirement())
    return text.replace("@REQUIRES@", repr(requires).replace("'", '"'))


def noxfile(existing: str | None) -> str:
    """The noxfile: a new one, or ``existing`` with the sessions it lacks appended (pure)."""
    if existing is None:
        have: set[str] = set()
        functions: set[str] = set()
        head = _template("nox", "header.py.tmpl")
        imports_nox = True
    else:
        try:
            tree = ast.parse(existing)
        except SyntaxError as exc:
            raise UsageError(
                f"noxfile.py is not valid Python (line {exc.lineno}): {exc.msg}",
                hint="fix it, or move it aside and run release init again",
            ) from None
        have, functions = _session_names(tree)
        head = existing
        imports_nox = _imports_nox(tree)
    missing = [s for s, (_, fn) in SESSIONS.items() if s not in have and fn not in functions]
    if not missing:
        return head
    requires = [s for s in REQUIRED_FIRST if s in have or s in missing]
    blocks = [_render_session(name, requires) for name in missing]
    if existing is None:
        return head + "\n\n" + "\n\n".join(blocks)
    added = "# Release sessions added by release init; they call the release CLI.\n"
    if not imports_nox:
        added += "import nox  # noqa: E402\n"
    return head.rstrip("\n") + "\n\n\n" + added + "\n\n" + "\n\n".join(blocks)


def files_for(trigger: str, existing_noxfile: str | None) -> dict[str, str]:
    """Every file ``release init --trigger TRIGGER`` writes: relative path -> text (pure)."""
    if trigger not in TRIGGERS:
        raise UsageError(
            f"unknown trigger {trigger!r}", hint=f"--trigger takes {', '.join(TRIGGERS)}"
        )
    return {
        "noxfile.py": noxfile(existing_noxfile),
        "tasks.py": _template("tasks.py.tmpl"),
        ".github/workflows/ci.yml": _template("workflows", "ci.yml"),
        ".github/workflows/release.yml": _template("workflows", f"release-{trigger}.yml"),
        ".github/pull_request_template.md": _template("pull_request_template.md"),
    }


@dataclass(frozen=True)
class Action:
    """One file of the plan: ``create``, ``update`` (sessions added), ``overwrite`` or ``keep``."""

    path: str
    kind: str
    content: bytes

    def describe(self) -> str:
        """One line for the user."""
        verbs = {
            "create": "create",
            "update": "add release sessions to",
            "overwrite": "overwrite",
            "keep": "keep (already up to date)",
        }
        return f"{verbs[self.kind]} {self.path}"


@dataclass(frozen=True)
class InitPlan:
    """Everything ``release init`` will write, decided before anything is touched."""

    root: Path
    trigger: str
    actions: tuple[Action, ...]

    @property
    def changes(self) -> tuple[Action, ...]:
        """The actions that write a file."""
        return tuple(a for a in self.actions if a.kind != "keep")


def plan(root: Path, trigger: str = DEFAULT_TRIGGER, *, force: bool = False) -> InitPlan:
    """Decide what ``release init`` writes in ``root``; refuses conflicts unless ``force``."""
    root = root.resolve()
    if not root.is_dir():
        raise UsageError(f"project directory {root} does not exist")
    nox_path = root / "noxfile.py"
    existing = nox_path.read_text(encoding="utf-8") if nox_path.is_file() else None
    actions = []
    conflicts = []
    for rel, text in files_for(trigger, existing).items():
        path = root / rel
        content = text.encode("utf-8")
        if path.is_dir():
            raise UsageError(f"{rel} is a directory", hint="move it aside, then run again")
        old = path.read_bytes() if path.is_file() else None
        if old is None:
            kind = "create"
        elif old == content:
            kind = "keep"
        elif rel == "noxfile.py":
            kind = "update"
        else:
            kind = "overwrite"
            conflicts.append(rel)
        actions.append(Action(rel, kind, content))
    if conflicts and not force:
        raise UsageError(
            f"release init would overwrite {', '.join(conflicts)} (nothing was written)",
            hint="run again with --force to replace them, or move them aside",
        )
    return InitPlan(root, trigger, tuple(actions))


def execute(plan: InitPlan) -> None:
    """Write every file of the plan at once (all of them or none)."""
    targets = {plan.root / a.path: a.content for a in plan.changes}
    for path in targets:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.touch()
    try:
        write_atomic(targets)
    except BaseException:
        for action in plan.changes:
            if action.kind == "create":
                (plan.root / action.path).unlink(missing_ok=True)
        raise
