"""``release init``: write thin front doors (noxfile, tasks, workflows, PR template) for a project.

Planning reads the project and decides every file's new bytes (no writes); executing writes
them all at once. A file that exists with other content is a conflict unless ``--force``;
an existing noxfile is never replaced, only given the sessions it lacks. The files' text
comes from ``render``; what existing workflows do, from ``workflows``.
"""

from __future__ import annotations

import re
from pathlib import Path

from packaging.version import Version

from .errors import UsageError
from .fsutil import write_atomic
from .render import (
    CI,
    IGNORED,
    PYTHONS,
    RELEASE,
    REQUIRED_FIRST,
    SESSIONS,
    Project,
    _session_names,
    files_for,
    gitignore,
    noxfile,
    pull_request_template,
    releasekit_requirement,
    releasekit_version,
    render_workflow,
    supported_pythons,
)
from .triggers import DEFAULT_TRIGGER, TRIGGERS
from .values import frozen
from .version import next_version
from .workflows import PUBLISHES, job_names, publishing_workflows, workflow_triggers

__all__ = [  # the rendering and workflow names stay importable from here
    "CI",
    "DEFAULT_TRIGGER",
    "IGNORED",
    "PUBLISHES",
    "PYTHONS",
    "RELEASE",
    "REQUIRED_FIRST",
    "SESSIONS",
    "TRIGGERS",
    "Action",
    "InitPlan",
    "Project",
    "_session_names",
    "dev_version",
    "execute",
    "files_for",
    "gitignore",
    "job_names",
    "next_steps",
    "noxfile",
    "plan",
    "publishing_workflows",
    "pull_request_template",
    "read_project",
    "releasekit_requirement",
    "releasekit_version",
    "render_workflow",
    "supported_pythons",
    "workflow_triggers",
]

NEXT_STEPS = {
    "tag": "release: nox -s bump -- patch --tag, then git push --follow-tags",
    "main": "every merge to {branch} now releases a patch version",
    "deploy": 'set [tool.release] branch = "{branch}", then merge into {branch} to release',
    "release": "release: nox -s bump -- patch --tag, git push --follow-tags, "
    "then publish a GitHub Release of the tag",
    "testpypi": "every push to {branch} now uploads X.Y.Z.devN to TestPyPI; release: "
    "nox -s bump -- patch --tag, then git push --follow-tags",
}


def read_project(root: Path, trigger: str) -> Project:
    """Read the project's name, release branch, Python versions and linters (no writes)."""
    from . import config, git, noxsupport, workspace

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
        workspace=workspace.layout(root) is not None,
        lockstep=cfg.version_scheme == "lockstep",
    )


@frozen
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


@frozen
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
    if project.workspace and trigger == "testpypi":
        raise UsageError(
            "the testpypi trigger uploads one package's development versions, and this is a "
            "workspace (nothing was written)",
            hint="choose --trigger tag, main, deploy or release for a workspace",
        )
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
