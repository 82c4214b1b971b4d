"""``plan.decide`` and ``preflight.decide`` as tables: a world in, a plan or a refusal out.

No git, no index, no files: each row is a ``World`` value (what ``world.read`` would have
found) and what the release must do with it.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from release import record, runner, settings
from release.config import Config
from release.errors import Interrupted, StepError, VersionError
from release.model import Options, Release
from release.plan import AFTER_RELEASE, COMPLETE, FRESH, RESUME, UNKNOWN, Plan, decide
from release.preflight import Check, Facts
from release.preflight import decide as preflight_decide
from release.progress import Reporter
from release.record import Record
from release.steps import Context, Failure, Step
from release.targets import Target
from release.values import replace
from release.world import ABOVE, BELOW, HEAD, World

HEAD_SHA = "a" * 40
PARENT_SHA = "b" * 40
CHILD_SHA = "c" * 40
URL = Target("url", "http://index.test/", "http://index.test/simple/", "flag")
PYPI = Target("pypi", "https://upload.pypi.org/legacy/", "https://pypi.org/simple/", "flag")
LOCAL = Target("local", "http://127.0.0.1/", "http://127.0.0.1/simple/", "default")
FILES = ("demo-1.0.1.tar.gz", "demo-1.0.1-py3-none-any.whl")

FRESH_STEPS = ["bump", "build", "check", "push", "upload", "verify"]
RESUME_STEPS = FRESH_STEPS  # the bump is there, as a skip


def config(**changes: Any) -> Config:
    """A project's configuration: defaults, and ``changes``."""
    return replace(Config(project=Path("/nonexistent/demo")), **changes)


def hooks(*stages: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``[tool.release.hooks]`` with one command for each of ``stages``."""
    return tuple((stage, (f"python {stage}.py",)) for stage in stages)


def fresh(**changes: Any) -> World:
    """A clean checkout on main, up to date, ready to release demo 1.0.0 -> 1.0.1."""
    base = World(
        config=config(),
        target=URL,
        name="demo",
        current=Version("1.0.0"),
        version=Version("1.0.1"),
        tag="v1.0.1",
        head=HEAD_SHA,
        release_commit=HEAD_SHA,
    )
    return replace(base, **changes)


def resumed(**changes: Any) -> World:
    """HEAD carries v1.0.1, made here by an earlier run; the remote has nothing yet."""
    return fresh(**{"current": Version("1.0.1"), "at": HEAD, "tag_local": HEAD_SHA, **changes})


def pushed(**changes: Any) -> World:
    """Resumed, and the remote has v1.0.1 at HEAD."""
    return resumed(**{"tag_remote": HEAD_SHA, **changes})


def shipped(**changes: Any) -> World:
    """Pushed, on the index, verified here: the release is done, unless a hook is left."""
    return pushed(**{"on_index": FILES, "record": Record(verified=True), **changes})


def names(plan: Plan) -> list[str]:
    """The plan's step names, in the order they run."""
    return [name for name, _ in plan.lines()]


def refused(plan: Plan) -> list[str]:
    """The names of the checks that failed."""
    return [c.name for c in plan.refusals]


# --- the plan for each situation: (id, world, options, situation, step names) ---

PLANS: list[tuple[str, World, Options, str, list[str]]] = [
    ("fresh", fresh(), Options(), FRESH, FRESH_STEPS),
    (
        "fresh, github release",
        fresh(config=config(github_release=True)),
        Options(),
        FRESH,
        [*FRESH_STEPS, "announce"],
    ),
    (
        "fresh, before-commit hook inside the bump",
        fresh(config=config(hooks=hooks("before-commit"))),
        Options(),
        FRESH,
        ["bump", "before-commit hook", "build", "check", "push", "upload", "verify"],
    ),
    (
        "fresh, before-upload hook before the push",
        fresh(config=config(hooks=hooks("before-upload"))),
        Options(),
        FRESH,
        ["bump", "build", "check", "before-upload hook", "push", "upload", "verify"],
    ),
    (
        "fresh, after-release hook last",
        fresh(config=config(hooks=hooks("after-release"))),
        Options(),
        FRESH,
        [*FRESH_STEPS, "after-release hook"],
    ),
    (
        "fresh, after-release-bump dev",
        fresh(config=config(after_release_bump="dev")),
        Options(),
        FRESH,
        ["bump", "bump", "build", "check", "push", "upload", "verify"],
    ),
    (
        "fresh, everything",
        fresh(
            config=config(
                github_release=True,
                after_release_bump="dev",
                hooks=hooks("before-commit", "before-upload", "after-release"),
            )
        ),
        Options(),
        FRESH,
        [
            "bump",
            "before-commit hook",
            "bump",
            "build",
            "check",
            "before-upload hook",
            "push",
            "upload",
            "verify",
            "announce",
            "after-release hook",
        ],
    ),
    ("fresh, --no-push", fresh(), Options(push=False), FRESH, FRESH_STEPS),
    ("fresh, push = false", fresh(config=config(push=False)), Options(), FRESH, FRESH_STEPS),
    ("fresh, a rehearsal", fresh(target=LOCAL, remote=None), Options(), FRESH, FRESH_STEPS),
    ("resume at HEAD, nothing pushed", resumed(), Options(), RESUME, RESUME_STEPS),
    (
        "resume, nothing pushed: the before-upload hook runs",
        resumed(config=config(hooks=hooks("before-upload", "before-commit"))),
        Options(),
        RESUME,
        ["bump", "build", "check", "before-upload hook", "push", "upload", "verify"],
    ),
    (
        "resume, pushed: no before-upload hook, no second push",
        pushed(config=config(hooks=hooks("before-upload"))),
        Options(),
        RESUME,
        RESUME_STEPS,
    ),
    (
        "resume, pushed, files on the index, not verified here",
        pushed(on_index=FILES),
        Options(),
        RESUME,
        RESUME_STEPS,
    ),
    (
        "resume at the parent (a CI re-run)",
        fresh(at=ABOVE, release_commit=CHILD_SHA, tag_local=CHILD_SHA, tag_remote=CHILD_SHA),
        Options(),
        RESUME,
        RESUME_STEPS,
    ),
    (
        "resume from the dev commit",
        fresh(
            config=config(after_release_bump="dev"),
            current=Version("1.0.1"),
            at=BELOW,
            release_commit=PARENT_SHA,
            tag_local=PARENT_SHA,
        ),
        Options(),
        RESUME,
        RESUME_STEPS,
    ),
    ("complete", shipped(), Options(), COMPLETE, ["nothing"]),
    (
        "complete without a push (--no-push)",
        resumed(on_index=FILES, record=Record(verified=True)),
        Options(push=False),
        COMPLETE,
        ["nothing"],
    ),
    (
        "verified but not pushed: the push is left",
        resumed(on_index=FILES, record=Record(verified=True)),
        Options(),
        RESUME,
        RESUME_STEPS,
    ),
    (
        "verified but the index lost track (read nothing): resume",
        pushed(record=Record(verified=True)),
        Options(),
        RESUME,
        RESUME_STEPS,
    ),
    (
        "github release not announced yet",
        shipped(config=config(github_release=True)),
        Options(),
        RESUME,
        [*RESUME_STEPS, "announce"],
    ),
    (
        "github release announced",
        shipped(
            config=config(github_release=True),
            record=Record(verified=True, announced=True),
        ),
        Options(),
        COMPLETE,
        ["nothing"],
    ),
    (
        "only the after-release hook is left",
        shipped(config=config(hooks=hooks("after-release"))),
        Options(),
        AFTER_RELEASE,
        ["after-release hook"],
    ),
    (
        "the after-release hook succeeded too",
        shipped(
            config=config(hooks=hooks("after-release")),
            record=Record(verified=True, after_release=True),
        ),
        Options(),
        COMPLETE,
        ["nothing"],
    ),
    (
        "the next version cannot be computed",
        fresh(version=None, tag=None, sources_problem="pyproject.toml and __init__ disagree"),
        Options(),
        UNKNOWN,
        ["nothing"],
    ),
]


@pytest.mark.parametrize(
    ("world", "options", "situation", "steps"),
    [row[1:] for row in PLANS],
    ids=[row[0] for row in PLANS],
)
def test_plan(world: World, options: Options, situation: str, steps: list[str]) -> None:
    plan = decide(world, options)
    assert (plan.situation, names(plan)) == (situation, steps)
    if situation != UNKNOWN:
        assert refused(plan) == []


# --- what the steps say: the dry run and status show these lines ---

DESCRIBED: list[tuple[str, World, Options, str, str]] = [
    ("bump", fresh(), Options(), "bump", "1.0.0 -> 1.0.1, commit, annotated tag v1.0.1"),
    (
        "bump, --part auto",
        fresh(part_reason="a fragment of type feature"),
        Options(part="auto"),
        "bump",
        "1.0.0 -> 1.0.1, commit, annotated tag v1.0.1 (--part auto: a fragment of type feature)",
    ),
    ("resume", resumed(), Options(), "bump", "skipped, v1.0.1 is already made (resuming)"),
    ("push", fresh(), Options(), "push", "main and v1.0.1 to origin (main), atomically"),
    ("pushed", pushed(), Options(), "push", "skipped, origin already has v1.0.1"),
    # the dry run once said "to origin" here while ship skipped the push: now one plan says both
    ("no remote", fresh(remote=None, upstream=None), Options(), "push", "skipped (no remote)"),
    ("--no-push", fresh(), Options(push=False), "push", "skipped (--no-push)"),
    (
        "rehearsal push",
        fresh(target=LOCAL, remote=None),
        Options(),
        "push",
        "main and v1.0.1 to the rehearsal's throwaway bare repository",
    ),
    (
        "upload",
        fresh(),
        Options(),
        "upload",
        "to http://index.test/ (files already there with the same sha256 are skipped)",
    ),
    (
        "verify",
        fresh(),
        Options(),
        "verify",
        "install demo==1.0.1 alone from http://index.test/simple/ in a fresh venv",
    ),
    (
        "after-release only",
        shipped(config=config(hooks=hooks("after-release"))),
        Options(),
        "after-release hook",
        "run `python after-release.py` (the rest of v1.0.1 is done)",
    ),
    (
        "complete",
        shipped(),
        Options(),
        "nothing",
        "demo 1.0.1 is already released (v1.0.1 is on the index and the remote)",
    ),
]


@pytest.mark.parametrize(
    ("world", "options", "step", "line"),
    [row[1:] for row in DESCRIBED],
    ids=[row[0] for row in DESCRIBED],
)
def test_step_lines(world: World, options: Options, step: str, line: str) -> None:
    assert dict(decide(world, options).lines())[step] == line


# --- refusals: (id, world, options, the failed checks) ---

REFUSALS: list[tuple[str, World, Options, list[str]]] = [
    ("uncommitted changes", fresh(dirty=("src/demo.py",)), Options(), ["clean work tree"]),
    ("detached HEAD", fresh(branch=None), Options(), ["branch"]),
    ("another branch", fresh(branch="feature"), Options(), ["branch"]),
    ("behind the upstream", fresh(behind=True), Options(), ["upstream"]),
    ("no upstream branch", fresh(upstream=None), Options(), ["upstream"]),
    ("the tag exists here", fresh(tag_local=PARENT_SHA), Options(), ["tag"]),
    ("the tag exists on the remote", fresh(tag_remote=PARENT_SHA), Options(), ["remote tag"]),
    ("the version is on the index", fresh(on_index=FILES), Options(), ["index"]),
    ("the index cannot be read", fresh(index_problem="cannot read it"), Options(), ["index"]),
    ("no credentials for PyPI", fresh(target=PYPI), Options(), ["credentials"]),
    ("no git identity", fresh(identity_problem="no user.email"), Options(), ["git identity"]),
    (
        "github release without a token",
        fresh(github_problem="github-release = true, but no token"),
        Options(),
        ["github release"],
    ),
    (
        "the version sources disagree",
        fresh(version=None, tag=None, sources_problem="they disagree"),
        Options(),
        ["version sources"],
    ),
    (
        "a version no index takes",
        fresh(problem=VersionError("1.0.1+local is a local version")),
        Options(),
        ["version sources"],
    ),
    (
        "a file the bump cannot rewrite",
        fresh(rewrite_problem="CHANGELOG.md is read-only"),
        Options(),
        ["files to rewrite"],
    ),
    (
        "towncrier's own check",
        fresh(towncrier=(Check("fragments", False, "a fragment has no type", "rename it"),)),
        Options(),
        ["fragments"],
    ),
    (
        "the remote cannot be read",
        fresh(remote_problem="connection refused"),
        Options(),
        ["upstream", "remote tag"],
    ),
]


@pytest.mark.parametrize(
    ("world", "options", "failed"),
    [row[1:] for row in REFUSALS],
    ids=[row[0] for row in REFUSALS],
)
def test_refusal(world: World, options: Options, failed: list[str]) -> None:
    assert refused(decide(world, options)) == failed


def test_a_resume_skips_the_checks_of_a_new_release() -> None:
    # the tag exists here and there, and towncrier's fragments are gone: that is the resume
    world = pushed(
        towncrier=(Check("fragments", False, "a fragment has no type", "rename it"),),
    )
    plan = decide(world, Options())
    assert refused(plan) == []
    assert {c.name: c.ok for c in plan.checks}["tag"] is True


def test_the_index_alone_failing_is_a_step_failure_not_bad_input() -> None:
    plan = decide(fresh(index_problem="HTTP 503"), Options())
    assert [c.exit_code for c in plan.refusals] == [1]


def test_the_push_of_a_resume_at_the_parent_is_done_when_the_remote_has_the_child() -> None:
    world = fresh(at=ABOVE, release_commit=CHILD_SHA, tag_local=CHILD_SHA, tag_remote=CHILD_SHA)
    plan = decide(world, Options())
    assert plan.pushed
    assert dict(plan.lines())["push"] == "skipped, origin already has v1.0.1"


def test_steps_say_what_a_failure_inside_them_means() -> None:
    everything = config(
        github_release=True, hooks=hooks("before-commit", "before-upload", "after-release")
    )
    plan = decide(fresh(config=everything), Options())
    failures = {s.label: s.failure.name for s in plan.steps}
    assert failures == {
        "bump": "ROLLBACK",
        "build": "ROLLBACK",
        "check": "ROLLBACK",
        "before-upload": "ROLLBACK",
        "push": "ROLLBACK",
        "upload": "RESUME",
        "verify": "RESUME",
        "announce": "RESUME",
        "after-release": "RESUME",
    }
    only_hook = decide(shipped(config=config(hooks=hooks("after-release"))), Options())
    assert [s.failure.name for s in only_hook.steps] == ["NOTHING"]


# --- preflight.decide on its own: Facts in, checks out ---


def facts(**changes: Any) -> Facts:
    """The facts of a clean, pushable release to an index that lacks it."""
    base = Facts(
        dirty=(),
        branch="main",
        release_branch="main",
        upstream="origin/main",
        behind=False,
        tag="v1.0.1",
        tag_local=None,
        tag_remote=None,
        head=HEAD_SHA,
        resume=False,
        on_index=(),
        index_problem=None,
        credentials=None,
        needs_credentials=False,
        identity_problem=None,
        sources_problem=None,
        remote="origin",
        push=True,
    )
    return replace(base, **changes)


PREFLIGHT: list[tuple[str, Facts, list[str]]] = [
    ("clean", facts(), []),
    ("rehearsal ignores the upstream", facts(rehearsal=True, upstream=None), []),
    ("--no-push ignores a missing upstream", facts(push=False, upstream=None), []),
    (
        "untracked files refused when not allowed",
        facts(dirty=("notes.txt",), untracked=("notes.txt",), allow_untracked=False),
        ["clean work tree"],
    ),
    ("resume with the tag at HEAD", facts(resume=True, tag_local=HEAD_SHA), []),
    (
        "resume, the remote's tag elsewhere",
        facts(resume=True, tag_local=HEAD_SHA, tag_remote=PARENT_SHA),
        ["remote tag"],
    ),
    (
        "pushed: a detached HEAD is fine",
        facts(resume=True, pushed=True, branch=None, tag_local=HEAD_SHA, tag_remote=HEAD_SHA),
        [],
    ),
    ("credentials needed and found", facts(needs_credentials=True, credentials="keyring"), []),
    (
        "empty notes refused when required",
        facts(notes_problem="the notes for 1.0.1 are empty", require_notes=True),
        ["release notes"],
    ),
]


@pytest.mark.parametrize(
    ("given", "failed"), [row[1:] for row in PREFLIGHT], ids=[row[0] for row in PREFLIGHT]
)
def test_preflight(given: Facts, failed: list[str]) -> None:
    assert [c.name for c in preflight_decide(given) if not c.ok] == failed


# --- the resume record: the format earlier releases wrote still resumes ---


def test_a_record_written_by_the_old_code_is_read(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    old = {
        "after_release": True,
        "announced": True,
        "commit": HEAD_SHA,
        "files": {FILES[0]: "1" * 64, FILES[1]: "2" * 64},
        "previous": "1.0.0",
        "verified": True,
    }
    path.write_text(json.dumps(old, indent=2, sort_keys=True) + "\n")
    found = record.load(path)
    assert found == Record(
        previous="1.0.0",
        commit=HEAD_SHA,
        files={FILES[0]: "1" * 64, FILES[1]: "2" * 64},
        verified=True,
        announced=True,
        after_release=True,
    )
    record.save(path, found)
    assert json.loads(path.read_text()) == old  # and written back the same way


@pytest.mark.parametrize(
    "text",
    ["", "not json", "[]", '{"verified": "yes", "files": [1], "previous": 3}'],
    ids=["empty", "not json", "a list", "wrong types"],
)
def test_a_damaged_record_counts_as_nothing_done(tmp_path: Path, text: str) -> None:
    path = tmp_path / "state.json"
    path.write_text(text)
    assert record.load(path) == Record()


def test_a_build_forgets_what_later_steps_did() -> None:
    done = Record(previous="1.0.0", commit=PARENT_SHA, verified=True, announced=True)
    rebuilt = done.built(HEAD_SHA, {FILES[0]: "1" * 64})
    assert rebuilt == Record(previous="1.0.0", commit=HEAD_SHA, files={FILES[0]: "1" * 64})
    assert record.dump(rebuilt.but(verified=True))["verified"] is True


# --- the runner: what a failure inside a step means, told to the user ---


@dataclass(frozen=True)
class Failing:
    """A step that fails with ``error`` (a test's own step, not a stand-in for a collaborator)."""

    label: str
    failure: Failure
    error: BaseException
    inner: tuple[Step, ...] = ()

    @property
    def name(self) -> str:
        return self.label

    def describe(self) -> str:
        return "fails"

    def run(self, ctx: Context) -> None:
        ctx.reporter.start(self.label, "running")
        raise self.error


@pytest.fixture
def ctx(tmp_path: Path) -> Context:
    """A run's context in a directory of its own, reporting into a buffer."""
    cfg = Config(project=tmp_path)
    checked = settings.build(cfg, repository="http://index.test/", environ={})
    release = Release("demo", Version("1.0.1"), "v1.0.1")
    reporter = Reporter(stream=io.StringIO(), color=False)
    path = tmp_path / ".git" / "releasekit" / "demo" / "v1.0.1" / "state.json"
    return Context(
        release, Options(rerun="release ship -r x"), checked, reporter, {}, "1.0.0", path
    )


RUNS: list[tuple[str, Failure, BaseException, type[Exception], str, str]] = [
    (
        "before the push",
        Failure.ROLLBACK,
        StepError("it broke"),
        StepError,
        "build failed: it broke",
        "fix it, then run again: release ship -r x",
    ),
    (
        "before the push, with a hint",
        Failure.ROLLBACK,
        StepError("it broke", hint="fix the thing"),
        StepError,
        "build failed: it broke",
        "fix the thing; then run again: release ship -r x",
    ),
    (
        "after the push",
        Failure.RESUME,
        StepError("it broke"),
        StepError,
        "build failed: it broke",
        "v1.0.1 is pushed or files are uploaded, so nothing was rolled back: run the same "
        "command again to resume (here, or in any fresh clone of the tag): release ship -r x",
    ),
    (
        "Ctrl-C before the push",
        Failure.ROLLBACK,
        KeyboardInterrupt(),
        Interrupted,
        "interrupted during build; rolled back",
        "run again: release ship -r x",
    ),
    (
        "Ctrl-C after the push",
        Failure.RESUME,
        KeyboardInterrupt(),
        Interrupted,
        "interrupted during build; the upload has started, so nothing was rolled back",
        "run the same command to resume: release ship -r x",
    ),
    (
        "the release is done, its last hook fails",
        Failure.NOTHING,
        StepError("hook exited with status 1", hint="fix the hook"),
        StepError,
        "build failed: hook exited with status 1",
        "fix the hook; then run again (only the hook runs): release ship -r x",
    ),
    (
        # it used to escape as a bare KeyboardInterrupt, with no hint
        "the release is done, Ctrl-C in its last hook",
        Failure.NOTHING,
        KeyboardInterrupt(),
        Interrupted,
        "interrupted during build",
        "run again: release ship -r x",
    ),
]


@pytest.mark.parametrize(
    ("failure", "raised", "kind", "message", "hint"),
    [row[1:] for row in RUNS],
    ids=[row[0] for row in RUNS],
)
def test_runner_failure(
    ctx: Context,
    failure: Failure,
    raised: BaseException,
    kind: type[Exception],
    message: str,
    hint: str,
) -> None:
    with pytest.raises(kind) as caught:
        runner.execute((Failing("build", failure, raised),), ctx)
    assert (caught.value.message, caught.value.hint) == (message, hint)  # type: ignore[attr-defined]
    assert [(r.step, r.outcome) for r in ctx.reporter.rows] == [("build", "failed")]


def test_runner_reraises_an_unexpected_error_as_it_is(ctx: Context) -> None:
    with pytest.raises(ZeroDivisionError):
        runner.execute((Failing("build", Failure.ROLLBACK, ZeroDivisionError()),), ctx)
