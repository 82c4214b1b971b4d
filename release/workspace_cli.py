"""The workspace options of ``ship`` and ``status``, and what they do at a workspace root.

``__main__`` adds the options with ``add_arguments`` and wraps the two commands with
``front``: outside a workspace the commands run as before (and refuse the workspace options);
at a workspace root, ``status`` lists every package and ``ship`` decides the release of the
chosen packages. Only argparse is imported at start-up: the rest when a command runs.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .config import Config
    from .settings import Settings
    from .steps import Step
    from .workspace import Workspace
    from .workspace_plan import Decision, Parts, Selection
    from .workspace_ship import Run

Command = Callable[[argparse.Namespace], int]

CHOICE_HINT = "choose with --package NAME (repeatable), --all, or --changed"


def part_value(plain: Callable[[str], str]) -> Callable[[str], object]:
    """A ``--part`` value: what ``plain`` accepts, or ``NAME=PART`` as a (name, part) pair."""

    def parse(text: str) -> object:
        name, sep, part = text.partition("=")
        if not sep:
            return plain(text)
        if not name.strip():
            raise argparse.ArgumentTypeError(
                f"--part {text!r} names no package\nhint: write --part NAME=PART, e.g. --part lib=minor"
            )
        return (name.strip(), plain(part))

    return parse


class PartAction(argparse.Action):
    """``--part PART`` sets the part of every package; ``--part NAME=PART`` of one (repeatable)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        if isinstance(values, tuple):
            named = list(getattr(namespace, "package_parts", None) or [])
            namespace.package_parts = [*named, values]
        else:
            setattr(namespace, self.dest, values)


class _Adds(Protocol):
    def add_argument(self, *args: Any, **kwargs: Any) -> object: ...


def add_arguments(parser: _Adds) -> None:
    """``--package``, ``--all`` and ``--changed`` for ``ship`` and ``status``."""
    parser.add_argument(
        "--package",
        dest="packages",
        action="append",
        default=[],
        metavar="NAME",
        help="in a workspace: release this package (repeatable)",
    )
    parser.add_argument(
        "--all", dest="all_packages", action="store_true", help="in a workspace: every package"
    )
    parser.add_argument(
        "--changed",
        action="store_true",
        help="in a workspace: the packages changed since their last tag (and, with "
        "release-dependents = true, the packages that require them)",
    )
    parser.add_argument(
        "--allow-empty",
        action="store_true",
        help="with --changed: no package changed is no error (exit 0), as on a merge that "
        "touches none",
    )
    parser.add_argument(
        "--package-from-tag",
        metavar="TAG",
        help="in a workspace: publish the one package the release tag TAG (at HEAD) names, "
        "as a workflow started by a pushed NAME-vX.Y.Z tag does",
    )


def front(command: Command) -> Command:
    """``command`` as it is outside a workspace; at a workspace root, the workspace's."""

    def run(args: argparse.Namespace) -> int:
        from . import workspace
        from .errors import ConfigError

        try:
            found = workspace.layout(args.project)
        except ConfigError:
            if _workspace_options(args):
                raise
            found = None  # the command reports an unreadable pyproject.toml its own way
        if found is None:
            if _workspace_options(args):
                raise workspace.not_a_workspace(args.project)
            return command(args)
        return _status(args) if args.command == "status" else _ship(args)

    return run


def _workspace_options(args: argparse.Namespace) -> bool:
    return bool(
        getattr(args, "packages", None)
        or getattr(args, "all_packages", False)
        or getattr(args, "changed", False)
        or getattr(args, "package_parts", None)
        or getattr(args, "package_from_tag", None)
        or getattr(args, "allow_empty", False)
    )


def selection_of(args: argparse.Namespace) -> Selection:
    """What the flags chose."""
    from .workspace_plan import Selection

    return Selection(
        names=tuple(args.packages or ()),
        all=bool(args.all_packages),
        changed=bool(args.changed),
    )


def parts_of(args: argparse.Namespace) -> Parts:
    """``--part PART`` and every ``--part NAME=PART``."""
    from .workspace_plan import Parts

    return Parts(default=args.part, named=tuple(getattr(args, "package_parts", None) or ()))


def _settings(args: argparse.Namespace, root: Config) -> Settings:
    """The run's settings from the flags, the environment and the root's ``[tool.release]``."""
    from . import settings

    return settings.build(
        root,
        repository=getattr(args, "repository", None),
        index_url=getattr(args, "index_url", None),
        environ=os.environ,
    )


def _resolved(
    ws: Workspace, root: Config, parts: Parts, names: Sequence[str], *, quiet: bool = False
) -> Parts:
    """``parts`` with ``auto`` decided for each of ``names`` from its notes or commits.

    ``quiet``: a package with nothing to release keeps ``auto`` (status shows ``?``).
    """
    from . import unreleased, values, workspace
    from .errors import UsageError

    named = dict(parts.named)
    for name in names:
        p = ws.package(name)
        if p is None or p.current is None or parts.of(name) != "auto":
            continue
        cfg = workspace.package_config(ws.root, p.directory, ws.lockstep, root)
        try:
            named[name] = unreleased.resolve(cfg, p.current, "auto").spec
        except UsageError as exc:
            if quiet:
                continue
            raise UsageError(f"{name} ({p.directory}): {exc.message}", hint=exc.hint) from None
    return values.replace(parts, named=tuple(named.items()))


def _decision(args: argparse.Namespace, ws: Workspace, root: Config, checked: Settings) -> Decision:
    """What ship would do with the flags' choice (sibling versions read from the target)."""
    from . import workspace, workspace_plan

    selection = selection_of(args)
    chosen, _ = workspace_plan.choose(ws, selection)
    parts = _resolved(ws, root, parts_of(args), list(chosen))
    local = checked.target.name == "local"
    index_url = None if local else checked.target.index_url
    available = workspace.sibling_versions(ws, index_url, checked.index_timeout)
    return workspace_plan.decide(ws, selection, parts, available)


def _ship(args: argparse.Namespace) -> int:
    """``ship`` at a workspace root: refuse without a choice; decide; show, or release."""
    from . import config, report, workspace, workspace_plan
    from . import workspace_view as view
    from .errors import UsageError

    ws = workspace.read(args.project)
    tag = getattr(args, "package_from_tag", None)
    if tag and selection_of(args).made:
        raise UsageError(
            "--package-from-tag chooses the package itself",
            hint="leave out --package, --all and --changed with --package-from-tag",
        )
    resumed = workspace_plan.from_tag(ws, tag) if tag else workspace_plan.resuming(ws)
    if not selection_of(args).made and resumed is None:
        raise UsageError(
            f"{ws.root} is a workspace of {len(ws.packages)} packages: "
            f"choose what to release ({ws.listing()})",
            hint=CHOICE_HINT,
        )
    if getattr(args, "dev", False):
        raise UsageError(
            "--dev is not supported in a workspace yet", hint="leave out --dev in a workspace"
        )
    if resumed is None and _nothing_changed(args, ws):
        if not args.json:
            print("nothing to release: no package changed since its last tag")
        return 0
    root = config.load(ws.root)
    checked = _settings(args, root)
    decision = resumed or _decision(args, ws, root, checked)
    error = decision.error()
    if error is not None:
        raise error
    args.doc["workspace"] = view.document(ws, decision)
    args.doc["target"] = report.target(checked.target)
    args.doc["dry_run"] = bool(args.dry_run)
    say = (lambda line: None) if args.json else print
    run = _run(args, ws, root, checked)
    if args.dry_run:
        planned = _planned(args, run, decision, resume=resumed is not None)
        for line in workspace_plan.describe(decision):
            say(f"  would {line}")
        for name, description in planned:
            say(f"  would {name}: {description}")
        say(f"dry run: {len(decision.releases)} package(s) of the workspace at {ws.root}")
        return 0
    return _carry_out(args, run, decision, resumed is not None, say)


def _run(args: argparse.Namespace, ws: Workspace, root: Config, checked: Settings) -> Run:
    """The transaction's settings from the flags (its echo is set when it runs)."""
    from .workspace_ship import Run

    return Run(
        workspace=ws,
        root=root,
        settings=checked,
        push=root.push and not args.no_push,
        isolated=not getattr(args, "no_isolation", False),
        echo=print,
        environ=os.environ,
    )


def _planned(
    args: argparse.Namespace, run: Run, decision: Decision, *, resume: bool
) -> list[tuple[str, str]]:
    """The plan's steps as (name, description); the ``steps`` of the ``--json`` document."""
    from . import report, workspace_ship

    found = workspace_ship.lines(workspace_ship.steps_of(run, decision, resume=resume))
    args.doc["steps"] = report.steps(found)
    return found


def _nothing_changed(args: argparse.Namespace, ws: Workspace) -> bool:
    """``--changed --allow-empty`` and no package changed: a merge that releases nothing."""
    from . import workspace_plan

    selection = selection_of(args)
    if not (getattr(args, "allow_empty", False) and selection.changed):
        return False
    chosen, refusals = workspace_plan.choose(ws, selection)
    return not chosen and not refusals


def _carry_out(
    args: argparse.Namespace,
    run: Run,
    decision: Decision,
    resume: bool,
    say: Callable[[str], None],
) -> int:
    """Run the transaction (in a rehearsal for the local target) and say what it did."""
    import shlex
    import sys

    from . import report, values, workspace_ship
    from .progress import Reporter, use_color

    reporter = Reporter(color=use_color(sys.stderr, os.environ), actions=args.output.actions)
    run = values.replace(run, echo=reporter.line)
    rerun = "release " + " ".join(shlex.quote(a) for a in args.argv)

    def planned(steps: tuple[Step, ...]) -> None:
        args.doc["steps"] = report.steps(workspace_ship.lines(steps))

    local = run.settings.target.name == "local"
    go = workspace_ship.rehearse if local else workspace_ship.ship
    extra = {"keep": args.keep} if local else {}
    try:
        shipped = go(
            run, decision, resume=resume, reporter=reporter, rerun=rerun, planned=planned, **extra
        )
    finally:
        args.doc["outcomes"] = report.outcomes(reporter.rows)
    reporter.summary()
    args.doc["files"] = report.files([p for files in shipped.files.values() for p in files])
    names = ", ".join(f"{r.name} {r.version}" for r in decision.releases)
    tags = ", ".join(decision.tags)
    if local:
        args.doc["rehearsal"] = True
        done = f"is already released ({tags} at HEAD); rehearsed its files again"
        say(f"rehearsal passed: {names} {done if resume else f'would be released as {tags}'}")
    elif shipped.complete:
        say(f"already released: {names} ({tags}); nothing to do")
    else:
        args.doc["released"] = True
        say(f"released {names} ({tags}) on {run.settings.target.index_url}")
    return 0


def _status(args: argparse.Namespace) -> int:
    """``status`` at a workspace root: every package, and what ship would do with the choice."""
    from . import config, workspace, workspace_plan
    from . import workspace_view as view

    ws = workspace.read(args.project)
    root = config.load(ws.root)
    checked = _settings(args, root)
    decision = _decision(args, ws, root, checked)
    rows = view.rows(
        ws, _resolved(ws, root, parts_of(args), [p.name for p in ws.packages], quiet=True)
    )
    args.doc["workspace"] = view.document(ws, decision, rows)
    planned: list[tuple[str, str]] = []
    if selection_of(args).made and not decision.refusals:
        planned = _planned(args, _run(args, ws, root, checked), decision, resume=False)
    if args.json:
        return 0
    mode = "one shared version (lockstep)" if ws.lockstep else "independent versions"
    print(f"workspace:   {ws.root} ({ws.kind}, {len(ws.packages)} packages, {mode})")
    for line in view.table(rows):
        print(f"  {line}")
    if not selection_of(args).made:
        print(f"ship needs a choice: {CHOICE_HINT.removeprefix('choose with ')}")
    elif decision.refusals:
        for r in decision.refusals:
            print(f"  [FAIL] {r.message}")
        print(f"ship would refuse: {len(decision.refusals)} problem(s)")
    else:
        for line in workspace_plan.describe(decision):
            print(f"ship would {line}")
        for name, description in planned:
            print(f"ship would {name}: {description}")
    return 0
