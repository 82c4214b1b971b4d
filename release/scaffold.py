"""``release init``: write thin front doors (noxfile, tasks, workflows, PR template) for a project.

Planning reads the project and decides every file's new bytes (no writes); executing writes
them all at once. A file that exists with other content is a conflict unless ``--force``;
an existing noxfile is never replaced, only given the sessions it lacks.
"""

from __future__ import annotations

import ast
import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

from .errors import UsageError
from .fsutil import write_atomic
from .triggers import DEFAULT_TRIGGER, TRIGGERS
from .version import next_version

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

NEXT_STEPS = {
    "tag": "release: nox -s bump -- patch --tag, then git push --follow-tags",
    "main": "every merge to {branch} now releases a patch version",
    "deploy": 'set [tool.release] branch = "{branch}", then merge into {branch} to release',
    "release": "release: nox -s bump -- patch --tag, git push --follow-tags, "
    "then publish a GitHub Release of the tag",
    "testpypi": "every push to {branch} now uploads X.Y.Z.devN to TestPyPI; release: "
    "nox -s bump -- patch --tag, then git push --follow-tags",
}

PUBLISHES = re.compile(
    r"twine\s+upload|pypa/gh-action-pypi-publish|\buv\s+publish|\brelease\s+ship\b"
    r"|\b(poetry|flit|hatch|pdm)\s+publish|nox\s+-s\s+(release|publish)\b"
)
"""A workflow step that uploads to an index."""


def _template(*parts: str) -> str:
    from importlib import resources  # every command builds the parser, which imports us

    return resources.files("release").joinpath("templates", *parts).read_text(encoding="utf-8")


def releasekit_version() -> str:
    """The version of releasekit that is writing the files (what the sessions pin)."""
    from . import __version__

    return str(__version__)


def releasekit_requirement(version: str | None = None) -> str:
    """What the generated sessions install unless RELEASEKIT_REQUIREMENT says otherwise."""
    from .noxsupport import releasekit_install_args

    return releasekit_install_args(version or releasekit_version(), environ={})[0]


@dataclass(frozen=True)
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


def supported_pythons(requires: str | None) -> tuple[str, ...]:
    """The versions of PYTHONS that ``requires-python`` allows (any of their patch releases)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

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


def read_project(root: Path, trigger: str) -> Project:
    """Read the project's name, release branch, Python versions and linters (no writes)."""
    from . import config, git, noxsupport

    cfg = config.load(root)
    table = cfg.pyproject.get("project", {})
    name = table.get("name") or cfg.pyproject.get("tool", {}).get("poetry", {}).get("name")
    default = "deploy" if trigger == "deploy" else None
    ci_branch = "main"
    if (root / ".git").exists():
        repo = git.open_repo(root)
        if repo.head.is_valid() or repo.heads:
            ci_branch = git.release_branch(repo, None)
    return Project(
        name=re.sub(r"[-_.]+", "-", str(name or root.name)).lower(),
        branch=cfg.branch or default or ci_branch,
        ci_branch=ci_branch,
        pythons=supported_pythons(table.get("requires-python")),
        lint=noxsupport.has_lint(root, cfg.pyproject),
    )


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
    return text


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
    shown = Project(project.name, project.branch, project.ci_branch, project.pythons, lint)
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


def _on_block(text: str) -> tuple[str, str]:
    """The inline value and the indented block of a workflow's ``on:`` key."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        match = re.match(r"""^["']?(on|true)["']?\s*:(.*)$""", line)
        if not match:
            continue
        block = []
        for nxt in lines[i + 1 :]:
            if nxt.strip() and not nxt.startswith((" ", "\t", "#")):
                break
            block.append(nxt)
        return match.group(2).split("#")[0].strip(), "\n".join(block)
    return "", ""


def _sub_block(block: str, key: str) -> str | None:
    """The lines indented under ``key:`` in ``block`` (None when the key is absent)."""
    lines = block.splitlines()
    for i, line in enumerate(lines):
        match = re.match(rf"^(\s*){key}\s*:(.*)$", line)
        if not match:
            continue
        indent = len(match.group(1))
        out = [match.group(2)]
        for nxt in lines[i + 1 :]:
            if nxt.strip() and len(nxt) - len(nxt.lstrip()) <= indent:
                break
            out.append(nxt)
        return "\n".join(out)
    return None


def _names(block: str) -> list[str]:
    """The items of a YAML list, inline (``[a, b]``) or one per line (``- a``)."""
    items = re.findall(r"\[([^\]]*)\]", block)
    names = [n for group in items for n in group.split(",")]
    names += re.findall(r"^\s*-\s*(.+)$", block, re.M)
    return [n.split("#")[0].strip().strip("'\"") for n in names if n.strip()]


def workflow_triggers(text: str) -> set[str]:
    """What starts a workflow: ``tag``, ``branch:NAME`` (``branch:*``: any) and ``release``."""
    inline, block = _on_block(text)
    events = set(_names(inline) if inline.startswith("[") else [inline] if inline else [])
    found: set[str] = set()
    if "release" in events or _sub_block(block, "release") is not None:
        found.add("release")
    push = _sub_block(block, "push")
    if push is None and "push" not in events:
        return found
    tags = _sub_block(push or "", "tags")
    branches = _sub_block(push or "", "branches")
    if tags is not None:
        found.add("tag")
    if branches is not None:
        found.update(f"branch:{b}" for b in _names(branches))
    if tags is None and branches is None:
        found.update({"tag", "branch:*"})
    return found


def _our_triggers(trigger: str, branch: str) -> set[str]:
    return {
        "tag": {"tag"},
        "main": {f"branch:{branch}"},
        "deploy": {f"branch:{branch}"},
        "release": {"release"},
        "testpypi": {"tag", f"branch:{branch}"},
    }[trigger]


def _overlaps(ours: set[str], theirs: set[str]) -> bool:
    for item in ours:
        if item in theirs:
            return True
        if item.startswith("branch:"):
            name = item.split(":", 1)[1]
            patterns = [t.split(":", 1)[1] for t in theirs if t.startswith("branch:")]
            if any(fnmatch.fnmatchcase(name, p) for p in patterns):
                return True
    return False


def publishing_workflows(root: Path, trigger: str, branch: str) -> list[str]:
    """The existing workflows (other than ours) that publish on the trigger ``init`` sets up."""
    folder = root / ".github" / "workflows"
    ours = _our_triggers(trigger, branch)
    found = []
    for path in sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]):
        rel = path.relative_to(root).as_posix()
        if rel in (CI, RELEASE):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if PUBLISHES.search(text) and _overlaps(ours, workflow_triggers(text)):
            found.append(rel)
    return found


def job_names(text: str) -> list[str]:
    """The job ids of a workflow."""
    jobs = _sub_block(text, "jobs") or ""
    return re.findall(r"^  ([A-Za-z_][\w-]*)\s*:", jobs, re.M)


@dataclass(frozen=True)
class Action:
    """One file of the plan: create, update (sessions added), overwrite, keep, leave or delete."""

    path: str
    kind: str
    content: bytes
    note: str = ""

    def describe(self) -> str:
        """One line for the user."""
        verbs = {
            "create": "create",
            "update": "add ignore entries to"
            if self.path == ".gitignore"
            else "add release sessions to",
            "overwrite": "overwrite",
            "keep": "keep (already up to date)",
            "leave": "leave",
            "delete": "delete",
        }
        line = f"{verbs[self.kind]} {self.path}"
        return f"{line} ({self.note})" if self.note else line


@dataclass(frozen=True)
class InitPlan:
    """Everything ``release init`` will write, decided before anything is touched."""

    root: Path
    trigger: str
    actions: tuple[Action, ...]
    project: Project | None = None

    @property
    def changes(self) -> tuple[Action, ...]:
        """The actions that write or delete a file."""
        return tuple(a for a in self.actions if a.kind not in ("keep", "leave"))


def _ci_note(old: str, new: str, *, replaced: bool) -> str:
    """What happens to an existing ci.yml: the jobs it loses, or the sessions it would gain."""
    sessions = re.findall(r"^\s*- run: nox -s ([\w-]+)", new, re.M)
    if replaced:
        return f"its jobs {', '.join(job_names(old)) or '(none)'} are replaced by " + ", ".join(
            job_names(new)
        )
    wanted = [s for s in sessions if not re.search(rf"nox\s+(-s|--session)\s+[\w\s-]*\b{s}\b", old)]
    what = ", ".join(f"nox -s {s}" for s in wanted) or "nothing (it runs them already)"
    return f"it exists and is kept without --force; init would have added {what}"


def _check_publishers(
    root: Path, trigger: str, branch: str, replace: tuple[str, ...], keep: tuple[str, ...]
) -> list[str]:
    """The workflows to delete; refuses while a publishing workflow is neither replaced nor kept."""
    found = publishing_workflows(root, trigger, branch)
    by_name = {Path(rel).name: rel for rel in found} | {rel: rel for rel in found}
    unknown = [n for n in (*replace, *keep) if n not in by_name]
    if unknown:
        raise UsageError(
            f"--replace/--keep name {', '.join(unknown)}, which "
            f"{'is' if len(unknown) == 1 else 'are'} not a workflow that publishes on this "
            "trigger (nothing was written)",
            hint=f"those that do: {', '.join(found) or 'none'}",
        )
    chosen = {by_name[n] for n in (*replace, *keep)}
    open_ = [rel for rel in found if rel not in chosen]
    if open_:
        names = " ".join(f"--replace {Path(r).name}" for r in open_)
        raise UsageError(
            f"{', '.join(open_)} already publish{'es' if len(open_) == 1 else ''} on the "
            f"{trigger} trigger: every release would be uploaded twice (nothing was written)",
            hint=f"run again with {names} to delete, or --keep NAME to leave each one",
        )
    return sorted({by_name[n] for n in replace})


def plan(
    root: Path,
    trigger: str = DEFAULT_TRIGGER,
    *,
    force: bool = False,
    runs_on: tuple[str, ...] = (),
    replace: tuple[str, ...] = (),
    keep: tuple[str, ...] = (),
) -> InitPlan:
    """Decide what ``release init`` writes in ``root``; refuses conflicts unless ``force``."""
    root = root.resolve()
    if not root.is_dir():
        raise UsageError(f"project directory {root} does not exist")
    if trigger not in TRIGGERS:
        raise UsageError(
            f"unknown trigger {trigger!r}", hint=f"--trigger takes {', '.join(TRIGGERS)}"
        )
    project = read_project(root, trigger)
    nox_path = root / "noxfile.py"
    existing = nox_path.read_text(encoding="utf-8") if nox_path.is_file() else None
    deletes = _check_publishers(root, trigger, project.branch, replace, keep)
    ignore_path = root / ".gitignore"
    ignore = ignore_path.read_text(encoding="utf-8") if ignore_path.is_file() else None
    files = files_for(trigger, existing, project, runs_on) | {".gitignore": gitignore(ignore)}
    actions = []
    conflicts = []
    for rel, text in files.items():
        path = root / rel
        content = text.encode("utf-8")
        if path.is_dir():
            raise UsageError(f"{rel} is a directory", hint="move it aside, then run again")
        old = path.read_bytes() if path.is_file() else None
        note = ""
        if old is None:
            kind = "create"
        elif old == content:
            kind = "keep"
        elif rel in ("noxfile.py", ".gitignore"):
            kind = "update"
        elif rel == CI:
            kind = "overwrite" if force else "leave"
            note = _ci_note(old.decode("utf-8", "replace"), text, replaced=force)
        else:
            kind = "overwrite"
            conflicts.append(rel)
        actions.append(Action(rel, kind, content, note))
    actions += [Action(rel, "delete", b"", "--replace") for rel in deletes]
    if conflicts and not force:
        raise UsageError(
            f"release init would overwrite {', '.join(conflicts)} (nothing was written)",
            hint="run again with --force to replace them, or move them aside",
        )
    return InitPlan(root, trigger, tuple(actions), project)


def execute(plan: InitPlan) -> None:
    """Write every file of the plan at once (all of them or none), then delete the replaced."""
    targets = {plan.root / a.path: a.content for a in plan.changes if a.kind != "delete"}
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
    for action in plan.changes:
        if action.kind == "delete":
            (plan.root / action.path).unlink()


def next_steps(plan: InitPlan) -> list[str]:
    """What the user does next, and how to install another releasekit than the pinned one."""
    branch = plan.project.branch if plan.project else "main"
    return [
        f"next: {NEXT_STEPS[plan.trigger].format(branch=branch)}",
        f"releasekit: the sessions install {releasekit_requirement()}; set "
        "RELEASEKIT_REQUIREMENT to install another (a version specifier, a path or a wheel)",
    ]


def dev_version(project: Path, current: Version) -> str:
    """The development version of HEAD: the next patch release with .devN, N = commit count."""
    import subprocess

    def git_out(*args: str) -> str:
        proc = subprocess.run(
            ["git", *args], cwd=project, capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            raise UsageError(
                f"git {' '.join(args)} failed: {proc.stderr.strip()}",
                hint="run it in a clone of the project's repository",
            )
        return proc.stdout.strip()

    if git_out("rev-parse", "--is-shallow-repository") == "true":
        raise UsageError(
            "a development version counts the commits in HEAD's history, and this clone is shallow",
            hint="check out with fetch-depth: 0 (actions/checkout), or git fetch --unshallow",
        )
    count = int(git_out("rev-list", "--count", "HEAD"))
    base = current.base_version if current.is_prerelease else str(next_version(current, "patch"))
    return f"{base}.dev{count}"
