"""The steps that make the release public: push, upload, verify, announce.

The push comes first: once the tag is on the remote (or the upload has started), nothing is
rolled back, and the same command resumes the release in any clone of the tag.
"""

from __future__ import annotations

import contextlib

from . import git, github
from .errors import Interrupted, ReleaseError, StepError
from .model import Release
from .steps import Context, Failure, Step, first_line
from .targets import Target
from .values import frozen


@frozen
class Push:
    """The branch and the tag, atomically, to the remote: before anything is uploaded."""

    release: Release
    remote: str
    branch: str
    remote_branch: str
    rehearsal: bool = False
    name: str = "push"
    label: str = "push"
    failure: Failure = Failure.ROLLBACK
    inner: tuple[Step, ...] = ()

    def describe(self) -> str:
        """What goes where."""
        tag = self.release.tag
        if self.rehearsal:
            return f"{self.branch} and {tag} to the rehearsal's throwaway bare repository"
        return f"{self.branch} and {tag} to {self.remote} ({self.remote_branch}), atomically"

    def run(self, ctx: Context) -> None:
        """Push; a failure is told apart by what the remote has afterwards: landed or not."""
        tag, remote = self.release.tag, self.remote
        repo = git.open_repo(ctx.settings.config.project)
        commit = git.tag_commit(repo, tag)
        ctx.reporter.start(
            "push", f"{self.branch} and {tag} to {remote} ({remote}/{self.remote_branch})"
        )
        try:
            # before the upload: a rejected push (a protected branch, a merge that landed
            # meanwhile) rolls back like any earlier failure, with nothing on the index
            git.push_atomic(
                repo, remote, [f"HEAD:refs/heads/{self.remote_branch}", f"refs/tags/{tag}"]
            )
            ctx.public = True  # the tag is public: from here on, the remote records the release
            there = git.remote_refs(repo, remote).get(f"refs/tags/{tag}")
            if there != commit:
                raise StepError(f"after the push, {remote} has {tag} at {there}, not {commit}")
        except (ReleaseError, KeyboardInterrupt) as exc:
            if ctx.reporter.running:
                ctx.reporter.finish("failed", first_line(exc))
            landed, error = _push_outcome(repo, remote, tag, commit, exc)
            ctx.public = ctx.public or landed  # a tag on the remote is never taken back
        else:
            ctx.reporter.finish("ok", f"{remote} has {tag} at {str(commit)[:12]}")
            return
        # raised outside the except clause, so the interrupt (and through its traceback the
        # interrupted git process) is released here, not left to interpreter shutdown
        raise error


def _push_outcome(
    repo: git.Repo, remote: str, tag: str, commit: str | None, exc: BaseException
) -> tuple[bool, ReleaseError]:
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
    if not isinstance(exc, KeyboardInterrupt):
        assert isinstance(exc, ReleaseError)
        return landed, StepError(f"{exc.message}; {seen}", hint=exc.hint)
    if landed:
        return landed, Interrupted(
            f"interrupted during push; {seen}",
            hint="the tag is public, so nothing was rolled back; run the same command to "
            "finish (the push is not repeated)",
        )
    return landed, Interrupted(f"interrupted during push; {seen}; rolled back", hint="run again")


@frozen
class Upload:
    """The artifacts to the target index; files already there with the same sha256 are skipped."""

    target: Target
    rehearsal: bool = False
    name: str = "upload"
    label: str = "upload"
    failure: Failure = Failure.RESUME
    inner: tuple[Step, ...] = ()

    def describe(self) -> str:
        """Where to."""
        if self.rehearsal:
            return "to a throwaway local index (rehearsal in a throwaway clone)"
        return f"to {self.target.upload_url} (files already there with the same sha256 are skipped)"

    def run(self, ctx: Context) -> None:
        """Upload what the index does not have yet."""
        ctx.public = True
        ctx.reporter.start("upload", f"to {self.target.upload_url}")
        from . import publish  # twine and requests: loaded only when uploading

        with contextlib.redirect_stdout(ctx.reporter.stream):  # twine prints its own progress
            published = publish.publish(
                ctx.files, self.target, ctx.settings.upload_backoff, ctx.echo
            )
        n = sum(1 for _, o in published.outcomes if o == "uploaded")
        ctx.reporter.finish("ok", f"{n} uploaded, {len(published.outcomes) - n} already there")


@frozen
class Verify:
    """A fresh virtual environment installs the release from the index alone, and uses it."""

    release: Release
    index_url: str
    shown: str
    """Where the plan says it installs from (the rehearsal's index has no URL before it runs)."""
    name: str = "verify"
    label: str = "verify"
    failure: Failure = Failure.RESUME
    inner: tuple[Step, ...] = ()

    def describe(self) -> str:
        """What is installed from where."""
        return f"install {self.release.pin} alone from {self.shown} in a fresh venv"

    def run(self, ctx: Context) -> None:
        """Verify, and record that it passed."""
        ctx.reporter.start("verify", f"install {self.release.pin} from {self.index_url}")
        from . import verify as verify_mod  # packaging.requirements: only when verifying

        settings = ctx.settings
        where = verify_mod.Where(self.index_url, settings.extra_index_url, settings.verify_backoff)
        verified = verify_mod.verify(
            self.release, where, local=ctx.files, echo=ctx.echo, environ=ctx.environ
        )
        ctx.save(ctx.record().but(verified=True))
        ctx.reporter.finish("ok", f"imported {', '.join(verified.modules) or 'nothing'}")


@frozen
class Announce:
    """The GitHub Release with the changelog section and the artifacts."""

    release: Release
    name: str = "announce"
    label: str = "announce"
    failure: Failure = Failure.RESUME
    inner: tuple[Step, ...] = ()

    def describe(self) -> str:
        """What is announced."""
        tag = self.release.tag
        return f"GitHub Release {tag} with the changelog section, sdist, wheel and SHA256SUMS"

    def run(self, ctx: Context) -> None:
        """Create or update the GitHub Release, and record that it is done."""
        tag = self.release.tag
        ctx.reporter.start("announce", f"GitHub Release {tag}")
        _notes, _repo, outcome = github.run(
            ctx.settings.config,
            tag,
            ctx.environ,
            assets=ctx.files,
            backoff=ctx.settings.github_backoff,
        )
        ctx.save(ctx.record().but(announced=True))
        ctx.reporter.finish("ok", f"{outcome.action} {outcome.url}")
