"""``release ship``: preflight, bump, build, check, push, upload, verify, announce.

The release commit and tag are pushed (atomically) after build and check passed and before
anything is uploaded. A failure up to and including the push rolls back the local commit and
tag: nothing was uploaded and the remote has nothing. A failure after the push rolls back
nothing (an index never forgets a file); the tag on the remote is the record of the release
in progress, and the same command resumes it in any clone whose HEAD carries the tag (this
checkout, a fresh CI clone of the tag or of the branch) or is the release commit's parent (a
CI re-run, which checks out the commit that triggered it).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import Version

from . import (
    build,
    bump,
    check,
    credentials,
    git,
    github,
    hooks,
    index,
    preflight,
    project,
)
from . import changelog as changelog_mod
from . import retry as retry_mod
from . import settings as settings_mod
from .config import Config
from .errors import Interrupted, ReleaseError, StepError, UsageError
from .fragments import preflight_checks as towncrier_checks
from .fsutil import write_new
from .progress import Reporter
from .settings import Settings
from .targets import Target
from .unreleased import resolve as resolve_part
from .version import check_publishable, greatest_tag, next_version


@dataclass(frozen=True)
class Options:
    """What the user asked ``ship`` for."""

    part: str = "patch"
    repository: str | None = None
    index_url: str | None = None
    push: bool | None = None
    dry_run: bool = False
    keep: bool = False
    isolated: bool = True
    rerun: str = "release ship"


@dataclass(frozen=True)
class Survey:
    """What preflight read and decided; nothing was changed to get it."""

    config: Config
    name: str
    target: Target
    current: Version
    version: Version | None
    tag: str | None
    resume: bool
    complete: bool
    push: bool
    remote: str | None
    branch: str
    remote_branch: str
    checks: tuple[preflight.Check, ...]
    credentials: str | None
    dirty: tuple[str, ...]
    on_index: tuple[str, ...]
    problem: ReleaseError | None = None
    part_reason: str = ""  # why --part auto chose its part
    shallow: bool = False
    pushed: bool = False
    """Resuming, and the remote has the release tag at the release commit: the push is done."""
    above_head: bool = False
    """Resuming a release whose pushed commit is HEAD's child (a re-run at the parent)."""
    shipped: bool = False
    """Pushed, uploaded, verified and announced: at most the after-release hook is left."""

    @property
    def refusals(self) -> tuple[preflight.Check, ...]:
        """The checks that failed."""
        return preflight.failures(self.checks)


def _remote_of(repo: git.Repo, branch: str) -> tuple[str | None, str | None]:
    up = git.upstream(repo, branch)
    if up is not None:
        return up
    names = [r.name for r in repo.remotes]
    return ("origin", None) if "origin" in names else (None, None)


def settings_of(
    config: Config, options: Options, environ: Mapping[str, str], settings: Settings | None
) -> Settings:
    """``settings`` as the front door checked them, else checked here (library callers)."""
    if settings is not None:
        return settings
    return settings_mod.build(
        config, repository=options.repository, index_url=options.index_url, environ=environ
    )


def _rewrite_problem(
    state: bump.State | None, version: Version | None
) -> tuple[str | None, str | None]:
    """Why the bump to ``version`` could not write its files, and the fix; Nones when it could."""
    if state is None or version is None:
        return None, None
    try:
        plan = bump.plan(state, str(version), commit=True, tag=True)
    except UsageError as exc:
        return exc.message, exc.hint or "fix that file, then run again"
    return preflight.unwritable_files(plan.files), None


def _index_problem(
    target: Target, name: str, version: Version, timeout: float, backoff: retry_mod.Backoff
) -> tuple[tuple[str, ...], str | None]:
    """The files of ``version`` on the index, or why the index cannot be read.

    Read with bounded retries: one 5xx or a dropped connection refuses nothing.
    """
    try:
        listed = index.with_retries(
            lambda: index.read_project(target.index_url, name, timeout=timeout),
            backoff,
            f"read {target.index_url}",
        )
        if not listed:
            index.probe(target.index_url, timeout=timeout)  # a 404 for every page is no index
        return tuple(index.files_of(listed, name, version)), None
    except (index.Unavailable, StepError) as exc:
        return (), f"cannot read {target.index_url}: {getattr(exc, 'message', exc)}"


def _github_problem(config: Config, environ: Mapping[str, str]) -> str | None:
    """Why ``github-release = true`` could not announce, checked before anything changes."""
    if not config.github_release:
        return None
    try:
        github.repository(config.project, environ)
        github.api_url(environ)
        github.token(environ)
    except UsageError as exc:
        return f"github-release = true, but {exc.message}"
    return None


def survey(
    config: Config,
    options: Options,
    environ: Mapping[str, str],
    settings: Settings | None = None,
) -> Survey:
    """Read everything the release depends on and decide whether it may go ahead."""
    checked = settings_of(config, options, environ, settings)
    target, timeout = checked.target, checked.index_timeout
    push = config.push if options.push is None else options.push
    repo = git.open_repo(config.project)
    if not repo.head.is_valid():
        raise UsageError(
            f"the repository of {config.project} has no commits yet",
            hint="commit the project first: a release is made from a commit",
        )
    name = project.name_of(config)
    sources_problem: str | None = None
    try:
        state = bump.read_state(config)
        current = state.current
    except UsageError as exc:
        state, current, sources_problem = None, Version("0"), exc.message
    head = git.head_sha(repo)
    head_tags = git.tags_at(repo, head)
    resume = state is not None and config.tag(current) in head_tags
    dev_commit: str | None = None
    if not resume and state is not None and config.after_release_bump:
        released = _released_below(repo, config, current, head)
        if released is not None:
            # HEAD is the after-release-bump commit on top of a release made here
            current, dev_commit, resume = released, head, True
    version: Version | None
    problem: ReleaseError | None = None
    part_reason = ""
    if resume:
        version = current
    elif state is None:
        version = None
    else:
        try:
            decision = resolve_part(config, current, options.part)
            part_reason = decision.reason
            version = next_version(current, decision.spec)
        except UsageError as exc:
            version, problem = None, exc
    if version is not None:
        try:
            check_publishable(version)
        except UsageError as exc:
            problem = exc
    tag = config.tag(version) if version is not None else None
    shallow = git.is_shallow(repo)
    branch_now = git.current_branch(repo)
    release_branch = git.release_branch(repo, config.branch)
    remote, remote_branch = _remote_of(repo, branch_now or release_branch)
    remote_branch = remote_branch or release_branch
    behind, tag_remote, upstream_label = False, None, None
    remote_problem = None
    remote_latest: tuple[str, Version] | None = None
    if remote is not None and target.name != "local":  # read even with --no-push
        try:
            refs = git.remote_refs(repo, remote)
            remote_latest = greatest_tag(
                (r.removeprefix("refs/tags/") for r in refs if r.startswith("refs/tags/")),
                config.tag_format,
            )
            upstream_label = f"{remote}/{remote_branch}"
            remote_head = refs.get(f"refs/heads/{remote_branch}")
            if remote_head is None:
                upstream_label = None
            else:
                behind = not git.is_ancestor(repo, remote_head)
            if tag:
                tag_remote = refs.get(f"refs/tags/{tag}")
        except ReleaseError as exc:
            remote_problem = exc.message
    release_commit = head if dev_commit is None else git.first_parent(repo, head) or head
    if not resume and state is not None and tag and tag_remote is not None:
        local = git.tag_commit(repo, tag)
        if local == tag_remote and git.first_parent(repo, local) == head:
            # a re-run at the commit the release was made from (a CI re-run checks out the
            # commit that triggered it): the pushed release commit on top of it is resumed
            resume, release_commit = True, local
    on_index: tuple[str, ...] = ()
    index_problem = None
    if version is not None and target.name != "local":
        on_index, index_problem = _index_problem(
            target, name, version, timeout, _preflight_backoff(checked.upload_backoff)
        )
    rewrite = (None, None) if resume else _rewrite_problem(state, version)
    creds = credentials.source(target, environ)
    pushed = resume and remote is not None and tag_remote == release_commit
    dirty = tuple(git.dirty_files(repo))
    facts = preflight.Facts(
        dirty=dirty,
        branch=branch_now,
        release_branch=release_branch,
        upstream=upstream_label,
        behind=behind,
        tag=tag or "(none)",
        tag_local=git.tag_commit(repo, tag) if tag else None,
        tag_remote=tag_remote,
        head=release_commit,
        resume=resume,
        on_index=on_index,
        index_problem=index_problem,
        credentials=creds,
        needs_credentials=credentials.required(target),
        identity_problem=git.identity_problem(repo),
        sources_problem=sources_problem or (problem.message if problem else None),
        remote=remote,
        push=push,
        rehearsal=target.name == "local",
        rewrite_problem=rewrite[0],
        rewrite_hint=rewrite[1] or preflight.Facts.rewrite_hint,
        github_problem=_github_problem(config, environ),
        remote_problem=remote_problem,
        untracked=tuple(git.untracked_files(repo)),
        allow_untracked=config.allow_untracked,
        version=str(version) if version is not None else None,
        remote_latest=(remote_latest[0], str(remote_latest[1])) if remote_latest else None,
        remote_newer=bool(remote_latest and version is not None and remote_latest[1] >= version),
        shallow=shallow,
        pushed=pushed,
        notes_problem=_notes_problem(config, version),
        require_notes=config.require_notes,
    )
    checks = list(preflight.decide(facts))
    if not resume:
        checks.extend(towncrier_checks(config))
    state_file = _state_dir(config, tag) / "state.json" if tag else None
    done = _read_state(state_file)
    # verified is recorded in this clone only: a fresh clone re-runs build and verify (and
    # uploads nothing, the files being there), which is idempotent
    shipped = bool(
        resume
        and on_index
        and done.get("verified") is True
        and (pushed or not push)
        and (not config.github_release or done.get("announced") is True)
    )
    complete = shipped and (not config.hook("after-release") or done.get("after_release") is True)
    return Survey(
        config=config,
        name=name,
        target=target,
        current=current,
        version=version,
        tag=tag,
        resume=resume,
        complete=complete,
        push=push,
        remote=remote,
        branch=release_branch,
        remote_branch=remote_branch,
        checks=tuple(checks),
        credentials=creds,
        dirty=dirty,
        on_index=on_index,
        problem=problem,
        part_reason=part_reason,
        shallow=shallow,
        pushed=pushed,
        above_head=release_commit != head and dev_commit is None,
        shipped=shipped,
    )


def _released_below(repo: git.Repo, config: Config, current: Version, head: str) -> Version | None:
    """The release whose tagged commit is HEAD's parent, when HEAD moved to its .dev0 version."""
    parent = git.first_parent(repo, head)
    if parent is None:
        return None
    found = greatest_tag(git.tags_at(repo, parent), config.tag_format)
    if found is None or hooks.next_dev(found[1]) != current:
        return None
    return found[1]


PREFLIGHT_RETRY_TIMEOUT = 15.0
"""At most this long, preflight keeps reading an index that answers 5xx or not at all."""


def _preflight_backoff(backoff: retry_mod.Backoff) -> retry_mod.Backoff:
    """The upload's backoff, capped: preflight only reads."""
    return replace(backoff, timeout=min(backoff.timeout, PREFLIGHT_RETRY_TIMEOUT))


def _notes_problem(config: Config, version: Version | None) -> str | None:
    """Why ``version`` would be released with empty notes, or None when it has notes."""
    if version is None:
        return None
    log = changelog_mod.find(config.project, config.changelog)
    if log is None or not log.is_file():
        return "no changelog: the release would have no notes"
    try:
        text = log.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return f"cannot read {log.name}: {exc}"
    if changelog_mod.notes_for(text, str(version)):
        return None
    return f"the notes for {version} in {log.name} are empty"


def _state_dir(config: Config, tag: str | None) -> Path:
    # keyed by project and tag: packages of one repository may be released under one tag name
    repo = git.open_repo(config.project)
    name = canonicalize_name(project.name_of(config))
    return Path(repo.git_dir) / "releasekit" / name / (tag or "untagged")


def _read_state(path: Path | None) -> dict[str, object]:
    if path is None or not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_state(path: Path, data: Mapping[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_new(path, (json.dumps(dict(data), indent=2, sort_keys=True) + "\n").encode())


def plan_lines(s: Survey, options: Options) -> list[str]:
    """The steps ``ship`` would take, with concrete values, one line each."""
    return [f"{name}: {description}" for name, description in plan_steps(s, options)]


def plan_steps(s: Survey, options: Options) -> list[tuple[str, str]]:
    """The steps ``ship`` would take as (name, description) pairs, with concrete values."""
    if s.version is None or s.tag is None:
        return [("nothing", "the next version cannot be computed (see the checks)")]
    v, tag = s.version, s.tag
    files = f"{s.name}-{v} sdist and wheel"
    steps: list[tuple[str, str]] = []
    if s.complete:
        return [
            ("nothing", f"{s.name} {v} is already released ({tag} is on the index and the remote)")
        ]
    if s.shipped:
        name, description = hooks.step(s.config, "after-release") or ("after-release hook", "none")
        return [(name, f"{description} (the rest of {tag} is done)")]
    if s.resume:
        steps.append(("bump", f"skipped, {tag} is already made (resuming)"))
    else:
        auto = f" (--part auto: {s.part_reason})" if s.part_reason else ""
        steps.append(("bump", f"{s.current} -> {v}, commit, annotated tag {tag}{auto}"))
        steps.extend(_hook_steps(s.config, "before-commit", " (before the release commit)"))
        if s.config.after_release_bump:
            dev = hooks.next_dev(v)
            steps.append(("bump", f"{v} -> {dev}, a second commit on top of {tag}, pushed with it"))
    steps.append(("build", f"{files} from a clean checkout of {tag}"))
    steps.append(("check", f"twine check --strict; name {s.name}, version {v}"))
    if not s.pushed:
        steps.extend(_hook_steps(s.config, "before-upload", " (before the push and upload)"))
    if s.pushed:
        steps.append(("push", f"skipped, {s.remote} already has {tag}"))
    elif s.push and s.target.name == "local":
        steps.append(("push", f"{s.branch} and {tag} to the rehearsal's throwaway bare repository"))
    elif s.push:
        where_to = f"{s.remote or 'origin'} ({s.remote_branch})"
        steps.append(("push", f"{s.branch} and {tag} to {where_to}, atomically"))
    else:
        steps.append(("push", "skipped (--no-push)"))
    if s.target.name == "local":
        steps.append(("upload", "to a throwaway local index (rehearsal in a throwaway clone)"))
    else:
        steps.append(
            (
                "upload",
                f"to {s.target.upload_url} (files already there with the same sha256 are skipped)",
            )
        )
    local = s.target.name == "local"
    where = "the throwaway index" if local else s.target.index_url
    steps.append(("verify", f"install {s.name}=={v} alone from {where} in a fresh venv"))
    if s.config.github_release:
        steps.append(
            (
                "announce",
                f"GitHub Release {tag} with the changelog section, sdist, wheel and SHA256SUMS",
            )
        )
    steps.extend(_hook_steps(s.config, "after-release", ""))
    return steps


def _hook_steps(config: Config, stage: str, when: str) -> list[tuple[str, str]]:
    """The plan step of ``stage``'s hook, if it has commands."""
    step = hooks.step(config, stage)
    return [(step[0], step[1] + when)] if step else []


def clone_line(s: Survey) -> str:
    """Whether the clone is shallow, for ``status``."""
    if s.shallow:
        return (
            f"shallow: ship fetches the history and tags from {s.remote or 'the remote'} first "
            "(or clone with fetch-depth: 0)"
        )
    return "full history"


def progress_line(s: Survey, repository: str | None) -> str:
    """The release's partial state, if any, and the command that finishes it (for ``status``)."""
    command = "release ship" + (f" --repository {repository}" if repository else "")
    if s.tag is None or not s.resume:
        return "none in progress"
    files = f"{len(s.on_index)} file(s) on the index"
    if s.complete:
        return f"{s.tag} is released ({files}, verified, pushed); nothing to finish"
    if s.shipped:
        return f"{s.tag} is released, but its after-release hook has not succeeded: `{command}` runs it"
    if s.pushed:
        return (
            f"{s.tag} is pushed to {s.remote}, {files}, not verified yet: `{command}` "
            f"uploads what is missing and verifies (here, or in any fresh clone of {s.tag})"
        )
    if s.on_index:
        return f"{s.tag} is made here, {files}, not pushed: `{command}` finishes it (in this clone)"
    return (
        f"{s.tag} is made here, neither pushed nor uploaded: `{command}` pushes, uploads and "
        "verifies it"
    )


@dataclass
class Result:
    """What a ship run did."""

    name: str
    version: Version
    tag: str
    files: list[Path] = field(default_factory=list)
    index_url: str = ""
    already: bool = False


Step = Callable[[], str]


def _refuse(s: Survey, reporter: Reporter) -> None:
    for c in s.checks:
        mark = "FAIL" if not c.ok else "warn" if c.warn else "ok  "
        reporter.line(f"  [{mark}] {c.name}: {c.message}")
    bad = s.refusals
    if bad:
        if s.problem is not None and len(bad) == 1:
            raise s.problem
        # the index's failure alone is a step that failed (exit 1), not the user's input
        kind = StepError if all(c.exit_code == 1 for c in bad) else UsageError
        raise kind(
            "preflight refused: " + "; ".join(c.message for c in bad),
            hint="; ".join(dict.fromkeys(c.hint for c in bad if c.hint)),
        )


def ship(
    config: Config,
    options: Options,
    reporter: Reporter,
    environ: Mapping[str, str] | None = None,
    settings: Settings | None = None,
) -> Result:
    """Run the pipeline on this checkout (the target must not be ``local``)."""
    env = os.environ if environ is None else environ
    reporter.start("preflight", f"{config.project}")
    try:
        settings = settings_of(config, options, env, settings)
        if not options.dry_run:
            _deepen(config, reporter)
        s = survey(config, options, env, settings)
        reporter.survey = s  # what --json reports, also when preflight refuses
        _refuse(s, reporter)
    except ReleaseError:
        reporter.finish("failed", "refused")
        raise
    assert s.version is not None and s.tag is not None
    version, tag = s.version, s.tag
    if s.complete:
        reporter.finish("ok", "already released")
        reporter.line(
            f"{s.name} {version} is already released: {tag} is on the remote and its files on {s.target.index_url}"
        )
        reporter.line("a new release needs a new commit")
        return Result(s.name, version, tag, index_url=s.target.index_url, already=True)
    reporter.finish(
        "ok",
        f"{'resuming ' + tag if s.resume else f'{s.current} -> {version}'}, target {s.target.describe()}",
    )
    if options.dry_run:
        for line in plan_lines(s, options):
            reporter.line(f"  would {line}")
        return Result(s.name, version, tag, index_url=s.target.index_url)

    state_file = _state_dir(config, tag) / "state.json"
    result = Result(s.name, version, tag, index_url=s.target.index_url)
    hook_env = partial(
        hooks.environment, env, version=version, previous=_previous(s, state_file), tag=tag
    )
    if s.shipped:
        return _only_after_release(s, reporter, hook_env, state_file, result, options)
    bumped: bump.Outcome | None = None
    dev_bumped: bump.Outcome | None = None
    uploading = False
    step = "bump"
    try:
        if s.resume:
            where = f"{s.remote} has {tag} on top of HEAD" if s.above_head else ""
            reporter.skip("bump", where or f"HEAD already carries {tag}")
        else:
            reporter.start("bump", f"{s.current} -> {version}")
            plan = bump.plan(bump.read_state(config), str(version), commit=True, tag=True)
            before_commit = None
            if config.hook("before-commit"):
                before_commit = partial(
                    hooks.run, config, "before-commit", hook_env(dist=None), _indent(reporter)
                )
            bumped = bump.execute(plan, before_commit)
            made = f"commit {bumped.commit[:12]}, " if bumped.commit else "no files to change, "
            reporter.finish("ok", f"{made}tag {tag}")
            # a resume's hooks still know the version the release was made from
            _write_state(state_file, {"previous": str(s.current)})
            if config.after_release_bump:
                dev_bumped = _dev_bump(config, version, reporter)

        step = "build"
        saved = _read_state(state_file)
        repo = git.open_repo(config.project)
        commit = git.tag_commit(repo, tag)
        dist = state_file.parent / "dist"
        reuse = _reusable(saved, commit, dist)
        if reuse:
            reporter.skip("build", f"reusing the {len(reuse)} file(s) built from {tag}")
            files = reuse
        else:
            reporter.start("build", f"sdist and wheel from a clean checkout of {tag}")
            if dist.exists():
                shutil.rmtree(dist)
            built = build.build(config, ref=tag, outdir=dist, isolated=options.isolated)
            files = list(built.artifacts)
            _write_state(
                state_file,
                {
                    "commit": built.commit,
                    "files": {p.name: index.sha256_file(p) for p in files},
                    **{k: v for k, v in saved.items() if k == "previous"},
                },
            )
            reporter.finish("ok", ", ".join(p.name for p in files))
        result.files = files

        step = "check"
        reporter.start("check", "twine check --strict, name and version")
        check.check(files, s.name, version)
        reporter.finish("ok", f"{len(files)} file(s) are {s.name} {version}")

        step = "before-upload"
        if config.hook("before-upload") and not s.pushed:
            # before the push: nothing has left the machine yet, so a failure rolls back
            _run_hook(config, "before-upload", hook_env(dist=dist), reporter)

        step = "push"
        if s.pushed:
            reporter.skip("push", f"{s.remote} already has {tag}")
        elif s.push and s.remote is not None:
            reporter.start(
                "push", f"{s.branch} and {tag} to {s.remote} ({s.remote}/{s.remote_branch})"
            )
            # before the upload: a rejected push (a protected branch, a merge that landed
            # meanwhile) rolls back like any earlier failure, with nothing on the index
            git.push_atomic(
                repo, s.remote, [f"HEAD:refs/heads/{s.remote_branch}", f"refs/tags/{tag}"]
            )
            uploading = True  # the tag is public: from here on, the remote records the release
            there = git.remote_refs(repo, s.remote).get(f"refs/tags/{tag}")
            if there != commit:
                raise StepError(f"after the push, {s.remote} has {tag} at {there}, not {commit}")
            reporter.finish("ok", f"{s.remote} has {tag} at {str(commit)[:12]}")
        else:
            reporter.skip("push", "--no-push" if not s.push else "no remote")

        step = "upload"
        uploading = True
        reporter.start("upload", f"to {s.target.upload_url}")
        with contextlib.redirect_stdout(reporter.stream):  # twine prints its own progress
            from . import publish  # twine and requests: loaded only when uploading

            published = publish.publish(files, s.target, settings.upload_backoff, _indent(reporter))
        n = sum(1 for _, o in published.outcomes if o == "uploaded")
        reporter.finish("ok", f"{n} uploaded, {len(published.outcomes) - n} already there")

        step = "verify"
        reporter.start("verify", f"install {s.name}=={version} from {s.target.index_url}")
        from . import verify as verify_mod  # packaging.requirements: only when verifying

        verified = verify_mod.verify(
            s.target.index_url,
            s.name,
            version,
            local=files,
            extra_index_url=settings.extra_index_url,
            backoff=settings.verify_backoff,
            echo=_indent(reporter),
            environ=env,
        )
        _write_state(state_file, {**_read_state(state_file), "verified": True})
        reporter.finish("ok", f"imported {', '.join(verified.modules) or 'nothing'}")

        step = "announce"
        if config.github_release:
            reporter.start("announce", f"GitHub Release {tag}")
            _notes, _repo, outcome = github.run(config, tag, env, assets=files)
            _write_state(state_file, {**_read_state(state_file), "announced": True})
            reporter.finish("ok", f"{outcome.action} {outcome.url}")

        step = "after-release"
        if config.hook("after-release"):
            _run_hook(config, "after-release", hook_env(dist=dist), reporter)
            _write_state(state_file, {**_read_state(state_file), "after_release": True})
    except BaseException as exc:
        if reporter.running:
            reporter.finish(
                "failed",
                str(getattr(exc, "message", exc)).splitlines()[0]
                if str(exc)
                else type(exc).__name__,
            )
        if (
            step == "push"
            and s.remote is not None
            and isinstance(exc, (ReleaseError, KeyboardInterrupt))
        ):
            landed, exc = _push_outcome(repo, s.remote, tag, commit, exc)
            uploading = uploading or landed  # a tag on the remote is never taken back
        if not uploading and dev_bumped is not None:
            bump.rollback(dev_bumped)
        if not uploading and bumped is not None:
            others = bump.rollback(bumped)
            shutil.rmtree(state_file.parent, ignore_errors=True)
            reporter.line(
                f"rolled back: the {tag} commit and tag are gone and every file is as it was"
                if not others
                else f"rolled back the {tag} commit and tag; left alone, changed since the bump "
                f"by someone else: {', '.join(p.name for p in others)}"
            )
        if isinstance(exc, KeyboardInterrupt):
            raise _interrupted(step, uploading, options) from exc
        if isinstance(exc, Interrupted):
            exc.hint = f"{exc.hint}: {options.rerun}"
            raise exc
        if not isinstance(exc, ReleaseError):
            raise
        if uploading:
            then = (
                f"{tag} is pushed or files are uploaded, so nothing was rolled back: run the "
                "same command again to resume (here, or in any fresh clone of the tag)"
            )
        else:
            then = "run again"
        fix = exc.hint + "; then " if exc.hint else ("" if uploading else "fix it, then ")
        raise StepError(
            f"{step} failed: {exc.message}", hint=f"{fix}{then}: {options.rerun}"
        ) from exc
    return result


def _previous(s: Survey, state_file: Path) -> str:
    """The version before the release: read before the bump, or recorded then, or the tags'."""
    if not s.resume:
        return str(s.current)
    recorded = _read_state(state_file).get("previous")
    if isinstance(recorded, str):
        return recorded
    repo = git.open_repo(s.config.project)
    found = greatest_tag(
        (t for t in git.tags_merged(repo, f"{s.tag}^") if t != s.tag), s.config.tag_format
    )
    return str(found[1]) if found else ""


def _run_hook(config: Config, stage: str, env: Mapping[str, str], reporter: Reporter) -> None:
    """Run ``stage``'s hook as a step of its own, its output indented under it."""
    commands = config.hook(stage)
    reporter.start(stage, f"{len(commands)} hook command(s)")
    hooks.run(config, stage, env, _indent(reporter))
    reporter.finish("ok", "; ".join(commands))


def _dev_bump(config: Config, version: Version, reporter: Reporter) -> bump.Outcome:
    """The after-release-bump commit: the version files move to the next .dev0 version."""
    dev = hooks.next_dev(version)
    reporter.start("dev bump", f"{version} -> {dev}")
    outcome = bump.execute(bump.dev_plan(bump.read_state(config), dev))
    reporter.finish("ok", f"commit {str(outcome.commit)[:12]} on top of the release commit")
    return outcome


def _only_after_release(
    s: Survey,
    reporter: Reporter,
    hook_env: Callable[..., dict[str, str]],
    state_file: Path,
    result: Result,
    options: Options,
) -> Result:
    """Everything but the after-release hook is done: run it, and nothing else."""
    reporter.skip("release", f"{s.tag} is pushed, uploaded, verified and announced")
    dist = state_file.parent / "dist"
    try:
        _run_hook(
            s.config, "after-release", hook_env(dist=dist if dist.is_dir() else None), reporter
        )
    except ReleaseError as exc:
        if reporter.running:
            reporter.finish("failed", exc.message)
        raise StepError(
            f"after-release failed: {exc.message}",
            hint=f"{exc.hint}; then run again (only the hook runs): {options.rerun}",
        ) from exc
    _write_state(state_file, {**_read_state(state_file), "after_release": True})
    return result


def _interrupted(step: str, uploading: bool, options: Options) -> Interrupted:
    """The error for Ctrl-C or SIGTERM during ``step``: where it stopped and how to go on."""
    if uploading:
        return Interrupted(
            f"interrupted during {step}; the upload has started, so nothing was rolled back",
            hint=f"run the same command to resume: {options.rerun}",
        )
    return Interrupted(
        f"interrupted during {step}; rolled back", hint=f"run again: {options.rerun}"
    )


def _push_outcome(
    repo: git.Repo,
    remote: str,
    tag: str,
    commit: str | None,
    exc: BaseException,
) -> tuple[bool, BaseException]:
    """A failed or interrupted push, told by what ``git ls-remote`` shows: landed or not."""
    landed = False
    try:
        there = git.remote_refs(repo, remote).get(f"refs/tags/{tag}")  # peeled: no pattern
    except ReleaseError as problem:
        seen = f"could not read {remote} afterwards ({problem.message})"
    else:
        landed = there is not None and there == commit
        if landed:
            seen = f"the push landed: {remote} has {tag} at {str(commit)[:12]}"
        elif there is None:
            seen = f"the push did not land: {remote} has no {tag}"
        else:
            seen = f"{remote} has {tag} at {there[:12]}, not {str(commit)[:12]}"
    if isinstance(exc, KeyboardInterrupt):
        if landed:
            return landed, Interrupted(
                f"interrupted during push; {seen}",
                hint="the tag is public, so nothing was rolled back; run the same command to "
                "finish (the push is not repeated)",
            )
        return landed, Interrupted(
            f"interrupted during push; {seen}; rolled back", hint="run again"
        )
    assert isinstance(exc, ReleaseError)
    return landed, StepError(f"{exc.message}; {seen}", hint=exc.hint)


def _deepen(config: Config, reporter: Reporter) -> None:
    """In a shallow clone, fetch the history and tags the version is computed from.

    ``actions/checkout`` clones at depth 1: a version read from the latest tag would be
    0.0.0 there, and the next release tag would be compared against nothing.
    """
    repo = git.open_repo(config.project)
    if not repo.head.is_valid() or not git.is_shallow(repo):
        return
    remote, _ = _remote_of(
        repo, git.current_branch(repo) or git.release_branch(repo, config.branch)
    )
    if remote is None:
        raise UsageError(
            "this clone is shallow and has no remote to fetch its history and tags from",
            hint=preflight.SHALLOW_HINT,
        )
    reporter.line(f"  shallow clone: fetching the history and tags from {remote}")
    try:
        git.unshallow(repo, remote)
    except ReleaseError as exc:
        raise UsageError(
            f"this clone is shallow and fetching its history failed: {exc.message}",
            hint=preflight.SHALLOW_HINT,
        ) from None


def _reusable(saved: Mapping[str, object], commit: str | None, dist: Path) -> list[Path]:
    """The artifacts an earlier run built from ``commit``, if all are still there intact."""
    files = saved.get("files")
    if saved.get("commit") != commit or not isinstance(files, dict) or not files:
        return []
    paths = [dist / str(n) for n in files]
    if all(p.is_file() and index.sha256_file(p) == files[p.name] for p in paths):
        return paths
    return []


def _indent(reporter: Reporter) -> Callable[[str], None]:
    return lambda line: reporter.line(f"    {line.strip()}")


def with_target(options: Options, upload_url: str, index_url: str) -> Options:
    """``options`` aimed at a concrete index (the rehearsal's)."""
    return replace(options, repository=upload_url, index_url=index_url)
