"""The project commands: version, bump, status, ship, init, github-release, completion.

Each parses nothing and decides nothing: it reads its arguments, calls the module that does
the work and prints what came of it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from . import config, report
from .errors import ReleaseError, UsageError

if TYPE_CHECKING:
    from . import bump as bump_mod
    from . import pipeline
    from . import settings as settings_mod


def settings_for(args: argparse.Namespace, cfg: config.Config) -> settings_mod.Settings:
    """Every setting of this run from flags, environment and ``cfg``; exit 2 on a bad one."""
    from . import settings as settings_mod  # not for bump and version: they need no setting

    return settings_mod.build(
        cfg,
        repository=getattr(args, "repository", None),
        index_url=getattr(args, "index_url", None),
        environ=os.environ,
    )


def echo(line: str) -> None:
    """Print a progress line at once (a long step follows it)."""
    print(line, flush=True)


def stop_on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM (a cancelled CI job, kill) ends children and cleans up like Ctrl-C."""
    raise KeyboardInterrupt


def _cmd_completion(args: argparse.Namespace) -> int:
    from argcomplete.shell_integration import shellcode

    print(shellcode(["release"], shell=args.shell))
    return 0


def _cmd_version(args: argparse.Namespace) -> int:
    from . import bump

    cfg = config.load(args.project)
    state = bump.read_state(cfg)
    if args.json:
        from . import project

        tag = cfg.tag(state.current)
        args.doc["release"] = report.release(project.name_of(cfg), state.current, None, tag)
        return 0
    print(state.current)
    return 0


def _cmd_bump(args: argparse.Namespace) -> int:
    from . import bump, unreleased

    cfg = config.load(args.project)
    state = bump.read_state(cfg)
    decision = unreleased.resolve(cfg, state.current, args.spec)
    plan = bump.plan(state, decision.spec, commit=args.commit, tag=args.tag)
    if args.json:
        return _bump_json(args, cfg, plan, decision.reason)
    if args.dry_run:
        bump.check_dry_run(plan)
    outcome = None if args.dry_run else bump.execute(plan)
    print(f"{plan.current} -> {plan.target}")
    if decision.reason:
        print(f"  auto: {decision.reason}")
    for line in plan.report(done=outcome is not None):
        print(f"  {line}")
    if outcome is not None and outcome.commit:
        print(f"  commit {outcome.commit[:12]}")
    return 0


def _bump_json(
    args: argparse.Namespace, cfg: config.Config, plan: bump_mod.BumpPlan, reason: str
) -> int:
    """``bump --json``: the plan's lines as steps, and after a real run the commit."""
    from . import bump, project

    doc = args.doc
    tag = plan.tag or cfg.tag(plan.target)
    doc["release"] = report.release(project.name_of(cfg), plan.current, plan.target, tag)
    doc["steps"] = report.steps((line.split(" ", 1)[0], line) for line in plan.describe())
    doc["dry_run"] = bool(args.dry_run)
    doc["auto"] = reason or None
    doc["commit"] = None
    if args.dry_run:
        bump.check_dry_run(plan)
        return 0
    outcome = bump.execute(plan)
    doc["commit"] = outcome.commit
    return 0


def _cmd_github_release(args: argparse.Namespace) -> int:
    from . import github

    cfg = config.load(args.project)
    settings_for(args, cfg)
    notes, repo, outcome = github.run(cfg, args.tag, os.environ)
    if outcome.action == "unchanged":
        print(f"GitHub Release {notes.tag} of {repo} is up to date: {outcome.url}")
    else:
        print(f"{outcome.action} GitHub Release {notes.tag} of {repo}: {outcome.url}")
    return 0


def _cmd_init(args: argparse.Namespace) -> int:
    from . import scaffold

    runs_on = tuple(label.strip() for arg in args.runs_on for label in arg.split(","))
    plan = scaffold.plan(
        args.project,
        args.trigger,
        force=args.force,
        runs_on=tuple(filter(None, runs_on)),
        replace=tuple(args.replace),
        keep=tuple(args.keep),
    )
    if not plan.changes:
        print(f"release init: every file is up to date (trigger {plan.trigger})")
        for action in plan.actions:
            if action.kind == "leave":
                print(f"  {action.describe()}")
        return 0
    scaffold.execute(plan)
    for action in plan.actions:
        print(f"  {action.describe()}")
    for line in scaffold.next_steps(plan):
        print(line)
    return 0


def _ship_options(args: argparse.Namespace, **extra: object) -> pipeline.Options:
    from . import shipfront

    return shipfront.options(
        args.argv or [],
        part=args.part,
        repository=args.repository,
        index_url=args.index_url,
        no_push=args.no_push,
        dev=getattr(args, "dev", False),
        project=args.project,
        **extra,
    )


def _cmd_ship(args: argparse.Namespace) -> int:
    from . import shipfront
    from .progress import Reporter, use_color

    reporter = Reporter(
        color=use_color(sys.stderr, os.environ),
        actions=args.output.actions,
        live=sys.stderr.isatty() and not args.output.actions,
    )
    options = None
    try:
        options = _ship_options(
            args, dry_run=args.dry_run, keep=args.keep, isolated=not args.no_isolation
        )
        cfg = config.load(args.project)
        checked = settings_for(args, cfg)
        args.doc["target"] = report.target(checked.target)
        shipped = shipfront.ship(cfg, options, checked, reporter, os.environ)
        shipfront.record(args.doc, shipped)
    except ReleaseError as exc:
        report.error(args.doc, exc)
        raise
    finally:
        shipfront.fill_report(args.doc, args.output, reporter, options, dry_run=args.dry_run)
    if not args.json:
        print(shipped.line)
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    from . import pipeline, statusview

    try:
        cfg = config.load(args.project)
        checked = settings_for(args, cfg)
    except UsageError as exc:
        if not args.project.is_dir():
            raise
        # status reports a bad setting as a failed check, as it does every other refusal
        if args.json:
            statusview.refused_settings_json(args.doc, exc)
        else:
            _print_lines(statusview.refused_settings(args.project, exc))
        return 0
    options = _ship_options(args, dry_run=True)
    s = pipeline.survey(cfg, options, os.environ, checked)
    if args.json:
        statusview.fill_json(args.doc, s, options)
    else:
        _print_lines(statusview.lines(cfg, s, options, part=args.part, repository=args.repository))
    return 0


def _print_lines(lines: Iterable[str]) -> None:
    for line in lines:
        print(line)


HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "version": _cmd_version,
    "bump": _cmd_bump,
    "status": _cmd_status,
    "ship": _cmd_ship,
    "init": _cmd_init,
    "github-release": _cmd_github_release,
    "completion": _cmd_completion,
}
