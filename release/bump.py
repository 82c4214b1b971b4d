"""``release bump``: plan with pure code, then rewrite, commit and tag as one transaction."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.version import Version

from . import changelog, fragments, git, sources
from .bumpundo import rollback as rollback  # bump.rollback, as callers know it
from .config import Config
from .errors import SourceError, UsageError
from .fsutil import unwritable_files, write_atomic
from .values import field, frozen, replace
from .version import next_version

if TYPE_CHECKING:
    import datetime


@frozen
class State:
    """What the project's version is and where it is written."""

    config: Config
    discovery: sources.Discovery
    current: Version
    current_tag: str | None


def read_state(config: Config) -> State:
    """Read the version sources (or, for VCS-derived versions, the latest tag)."""
    found = sources.discover(config)
    file_sources = found.sources
    current: Version | None = None
    current_tag = None
    if found.vcs is not None:
        latest = git.latest_version_tag(git.open_repo(config.project), config.tag_format)
        current, current_tag = latest if latest else (Version("0.0.0"), None)
    if file_sources:
        from_files = sources.agreed_version(file_sources, config.project)
        if current is not None and from_files != current:
            raise SourceError(
                f"version files say {from_files} but the latest tag says {current}",
                hint="make the listed version-files agree with the latest tag",
            )
        current = from_files
    assert current is not None
    return State(config, found, current, current_tag)


@frozen
class Edit:
    """One version string to rewrite."""

    source: sources.Source
    new: str


@frozen
class BumpPlan:
    """Everything ``bump`` will do, computed before anything is touched."""

    root: Path
    current: Version
    target: Version
    edits: tuple[Edit, ...]
    changelog: Path | None
    changelog_note: str | None
    files: Mapping[Path, bytes]
    commit: bool
    tag: str | None
    vcs: str | None
    tag_format: str = "v{version}"
    towncrier: fragments.Setup | None = None
    fragments: tuple[fragments.Fragment, ...] = ()
    date: str = ""
    git_hooks: bool = True
    """Run the repository's pre-commit and commit-msg hooks on the commit."""
    message: str | None = None
    """The commit message, when not the release commit's."""

    def towncrier_line(self) -> str:
        """What towncrier will do: the section it builds and the fragments it consumes."""
        assert self.towncrier is not None
        names = ", ".join(self.towncrier.label(f.path) for f in self.fragments) or "no fragments"
        news = self.towncrier.label(self.towncrier.news_file)
        return f"build the {self.target} section of {news} with towncrier, consuming {names}"

    def describe(self) -> list[str]:
        """One line per action, for ``--dry-run`` and for the report of a real run."""
        lines = [
            f"rewrite {e.source.label(self.root)} {e.source.raw} -> {e.new} ({e.source.what})"
            for e in self.edits
        ]
        if self.vcs and not self.edits:
            lines.append(f"version comes from git tags ({self.vcs}); the tag is the bump")
        if self.changelog is not None:
            rel = self.changelog.relative_to(self.root).as_posix()
            lines.append(f"move [Unreleased] in {rel} to [{self.target}]")
        elif self.changelog_note:
            lines.append(self.changelog_note)
        if self.towncrier is not None:
            lines.append(self.towncrier_line())
        if self.commit:
            lines.append(
                f"commit {len(self.files) + len(_towncrier_paths(self))} file(s): "
                f"{commit_message(self.current, self.target)}"
            )
        if self.tag:
            lines.append(f"create annotated tag {self.tag}")
        elif self.vcs:
            lines.append(f"no tag: add --tag to make {self.target} the version")
        return lines

    def report(self, *, done: bool) -> list[str]:
        """The plan's lines as a dry run (``would``) or a real run (``did``) reports them."""
        verb = "did" if done else "would"
        return [
            line if done and line.startswith(_NOTES) else f"{verb} {line}"
            for line in self.describe()
        ]


_NOTES = ("no tag:", "version comes")
"""Lines of ``describe`` that say how things are, not an action."""


def commit_message(current: Version, target: Version) -> str:
    """The release commit's message."""
    return f"Release {target} (was {current})"


def plan(
    state: State,
    spec: str,
    *,
    commit: bool = False,
    tag: bool = False,
    today: datetime.date | None = None,
) -> BumpPlan:
    """Decide what bumping by ``spec`` changes; reads files but writes nothing."""
    config = state.config
    target = next_version(state.current, spec)
    new = str(target)
    edits = tuple(Edit(s, new) for s in state.discovery.sources)
    files: dict[Path, bytes] = dict(sources.rewritten(state.discovery.sources, new))
    setup = fragments.find(config.project, config.pyproject)
    consumed: tuple[fragments.Fragment, ...] = ()
    if setup is not None:
        refused = fragments.problem(setup)
        if refused is not None:
            raise refused
        consumed = tuple(fragments.listing(setup))
    if today is None:
        import datetime  # only here: most commands never need today's date

        today = datetime.date.today()
    date = today.isoformat()
    # towncrier owns the changelog of a towncrier project: no Keep a Changelog rotation
    log, note = _rotation(config, new, date, files) if setup is None else (None, None)
    tag_name = config.tag(new) if tag else None
    return BumpPlan(
        root=config.project,
        current=state.current,
        target=target,
        edits=edits,
        changelog=log,
        changelog_note=note,
        files=files,
        commit=(commit or tag) and (bool(files) or setup is not None),  # else the tag is the bump
        tag=tag_name,
        vcs=state.discovery.vcs,
        tag_format=config.tag_format,
        towncrier=setup,
        fragments=consumed,
        date=date,
        git_hooks=config.git_hooks,
    )


def _rotation(
    config: Config, new: str, date: str, files: dict[Path, bytes]
) -> tuple[Path | None, str | None]:
    """The changelog whose [Unreleased] becomes ``new`` (its bytes join ``files``), or a note.

    - none found: nothing, no note;
    - configured but missing: refused;
    - a ``new`` section and an empty [Unreleased]: kept as the release's notes (a note);
    - a ``new`` section and entries under [Unreleased]: refused;
    - an [Unreleased] section: rotated to ``new``;
    - neither: left as it is (a note).
    """
    log = changelog.find(config.project, config.changelog)
    if log is None:
        return None, None
    if not log.is_file():
        raise SourceError(
            f"changelog {config.changelog} is configured but does not exist",
            hint="create it, or remove [tool.release] changelog",
        )
    text = sources.read_text(log)
    if changelog.has_version(text, new):
        # written by hand before the release (a common practice): it is the release's
        # notes, as long as nothing else waits under [Unreleased]
        if changelog.unreleased(text):
            raise SourceError(
                f"{log.name} already has a section for {new}, and [Unreleased] is not empty",
                hint=f"move the [Unreleased] entries into the {new} section, then run again",
            )
        return None, f"{log.name} already has a section for {new}: kept as its notes"
    if not changelog.has_unreleased(text):
        return None, f"{log.name} has no '## [Unreleased]' section; left as it is"
    rotated = changelog.rotate(text, new, date, config.tag(new))
    real = sources.real_path(log, sources.boundary(config.project), "changelog")
    files[real] = rotated.text.encode("utf-8")
    return log, None


def dev_plan(state: State, target: Version) -> BumpPlan:
    """The commit after a release that moves the version files to ``target`` (a .dev0).

    Only the version files change: the changelog and towncrier are the release's business.
    """
    new = str(target)
    return BumpPlan(
        root=state.config.project,
        current=state.current,
        target=target,
        edits=tuple(Edit(s, new) for s in state.discovery.sources),
        changelog=None,
        changelog_note=None,
        files=dict(sources.rewritten(state.discovery.sources, new)),
        commit=True,
        tag=None,
        vcs=state.discovery.vcs,
        tag_format=state.config.tag_format,
        git_hooks=state.config.git_hooks,
        message=f"Back to development: {target}",
    )


def check_git(plan: BumpPlan) -> None:
    """Refuse, before any change, a commit or tag that could not be made cleanly."""
    if not plan.commit and not plan.tag:
        return
    repo = git.open_repo(plan.root)
    git.require_identity(repo)
    if plan.commit:
        dirty = git.changed_paths(repo, [*plan.files, *_towncrier_paths(plan)])
        if dirty:
            names = ", ".join(git.relative(repo, p) for p in dirty)
            raise UsageError(
                f"uncommitted changes in {names}; the release commit would include them",
                hint="commit or stash those changes first",
            )
    if plan.tag:
        if git.tag_exists(repo, plan.tag):
            raise UsageError(
                f"tag {plan.tag} already exists",
                hint=f"pick another version, or delete the tag: git tag -d {plan.tag}",
            )
        if not plan.commit:
            latest = git.latest_version_tag(repo, plan.tag_format)
            at_head = git.tags_at(repo, git.head_sha(repo))
            if latest and latest[1] in at_head:
                raise UsageError(
                    f"HEAD already carries the release tag {latest[1]}",
                    hint="commit the next change first; one commit gets one release tag",
                )


def check_dry_run(plan: BumpPlan) -> None:
    """Refuse in a dry run what the real run would refuse before changing anything."""
    check_git(plan)
    problem = unwritable_files(plan.files)  # what the atomic write would refuse
    if problem:
        raise UsageError(
            f"{problem} (no file was changed)",
            hint="make the files writable (chmod u+w) or remove them from the version sources",
        )


def _towncrier_paths(plan: BumpPlan) -> list[Path]:
    """The news file and fragments towncrier rewrites and removes."""
    if plan.towncrier is None:
        return []
    return [plan.towncrier.news_file, *(f.path for f in plan.fragments)]


@frozen
class Outcome:
    """What ``execute`` did: the commit and tag it made, and the files' bytes before."""

    plan: BumpPlan
    commit: str | None
    originals: Mapping[Path, bytes] = field(default_factory=dict)
    tagged: bool = False
    news: fragments.Snapshot | None = None
    hook_originals: Mapping[Path, bytes | None] = field(default_factory=dict)
    """Tracked files the before-commit hook changed: their bytes at HEAD (None: not in HEAD)."""
    hook_created: tuple[Path, ...] = ()
    """Untracked files the before-commit hook created."""


def execute(
    plan: BumpPlan,
    before_commit: Callable[[], None] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Outcome:
    """Rewrite every file, then commit and tag; on any failure put everything back.

    ``before_commit`` (the before-commit hook) runs after the rewrite: the tracked files it
    changes join the commit, and a rollback restores them and removes the files it created.
    towncrier, when the project uses it, runs in ``environ`` (``Settings.environ``).
    """
    check_git(plan)
    originals = {p: p.read_bytes() for p in plan.files}
    news = None
    if plan.towncrier is not None:
        news = fragments.snapshot(plan.towncrier, list(plan.fragments))
    if plan.files:
        write_atomic(plan.files)
    if news is not None:
        _run_towncrier(plan, Outcome(plan, None, originals, news=news), environ)
    if not plan.commit and not plan.tag:
        return Outcome(plan, None, originals, news=news)
    repo = git.open_repo(plan.root)
    outcome = Outcome(plan, None, originals, news=news)
    try:
        if before_commit is not None:
            outcome, failure = _run_hook(repo, outcome, before_commit)
            if failure is not None:
                raise failure
            plan = outcome.plan
        paths = [*plan.files, *(news.paths if news is not None else ()), *outcome.hook_originals]
        message = plan.message or commit_message(plan.current, plan.target)
        if plan.commit:
            sha = git.commit_paths(repo, paths, message, verify=plan.git_hooks)
            outcome = replace(outcome, commit=sha)
        if plan.tag:
            git.create_tag(repo, plan.tag, f"Release {plan.target}")
            outcome = replace(outcome, tagged=True)
    except BaseException:
        rollback(outcome)
        raise
    return outcome


def _run_hook(
    repo: git.Repo, outcome: Outcome, hook: Callable[[], None]
) -> tuple[Outcome, BaseException | None]:
    """Run ``hook``: the outcome then knows what it changed, also when it failed."""
    untracked = set(git.untracked_files(repo))
    failure: BaseException | None = None
    try:
        hook()
    except BaseException as exc:
        failure = exc
    top = git.root(repo)
    plan = outcome.plan
    ours = {p.resolve() for p in plan.files}
    if outcome.news is not None:
        ours |= {p.resolve() for p in outcome.news.paths}
    changed = {
        top / rel: git.head_bytes(repo, rel)
        for rel in git.changed_tracked(repo)
        if (top / rel).resolve() not in ours
    }
    created = tuple(top / rel for rel in git.untracked_files(repo) if rel not in untracked)
    # the hook may rewrite a version file too: what is there now is what this run wrote
    written = {p: p.read_bytes() if p.is_file() else b for p, b in plan.files.items()}
    outcome = replace(
        outcome, plan=replace(plan, files=written), hook_originals=changed, hook_created=created
    )
    return outcome, failure


def _run_towncrier(plan: BumpPlan, outcome: Outcome, environ: Mapping[str, str] | None) -> None:
    """towncrier builds the section and removes the fragments; a failure puts all back."""
    assert plan.towncrier is not None
    try:
        fragments.build(plan.towncrier, str(plan.target), plan.date, environ)
    except BaseException:
        rollback(outcome)
        raise
