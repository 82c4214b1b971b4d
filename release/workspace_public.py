"""The steps of a workspace release that make it public: upload, and verify a wave.

Both run after the push: a failure is resumed by running the same command again, never
rolled back. Each package's resume record says whether it was verified; the upload needs no
record, since files already on the index with the same sha256 are skipped.
"""

from __future__ import annotations

import contextlib

from . import record, workspace_verify
from .errors import StepError
from .model import Release
from .steps import Context, Failure, Step
from .targets import Target
from .values import frozen
from .workspace_steps import WorkspaceContext


@frozen
class Upload:
    """One package's files to the target index, in dependency order."""

    package: str
    version: str
    target: Target
    rehearsal: bool = False
    failure: Failure = Failure.RESUME
    inner: tuple[Step, ...] = ()

    @property
    def name(self) -> str:
        """``upload NAME``."""
        return f"upload {self.package}"

    @property
    def label(self) -> str:
        """``upload of NAME VERSION``."""
        return f"upload of {self.package} {self.version}"

    def describe(self) -> str:
        """What goes where."""
        where = "a throwaway local index" if self.rehearsal else self.target.upload_url
        return (
            f"{self.package} {self.version} to {where} "
            "(files already there with the same sha256 are skipped)"
        )

    def run(self, ctx: Context) -> None:
        """Upload what the index does not have yet."""
        assert isinstance(ctx, WorkspaceContext)
        ctx.public = True
        files = ctx.built[self.package]
        ctx.reporter.start(self.name, f"{self.package} {self.version} to {self.target.upload_url}")
        from . import publish  # twine and requests: loaded only when uploading

        with contextlib.redirect_stdout(ctx.reporter.stream):  # twine prints its own progress
            done = publish.publish(files, self.target, ctx.settings.upload_backoff, ctx.echo)
        n = sum(1 for _, o in done.outcomes if o == "uploaded")
        ctx.reporter.finish("ok", f"{n} uploaded, {len(files) - n} already there")


@frozen
class Verify:
    """A wave of packages installed from the index alone and used (see ``workspace_verify``)."""

    packages: tuple[str, ...]
    index_url: str
    shown: str
    """Where the plan says it installs from (the rehearsal's index has no URL before it runs)."""
    failure: Failure = Failure.RESUME
    inner: tuple[Step, ...] = ()

    @property
    def name(self) -> str:
        """``verify NAME, NAME``."""
        return f"verify {', '.join(self.packages)}"

    @property
    def label(self) -> str:
        """``verify of NAME, NAME``."""
        return f"verify of {', '.join(self.packages)}"

    def describe(self) -> str:
        """What is installed from where."""
        names = ", ".join(self.packages)
        if len(self.packages) == 1:
            return f"install {names} alone from {self.shown} in a fresh venv, import it, run its scripts"
        return (
            f"install {names} by hash from {self.shown} into one fresh venv; each imported "
            "and its scripts run with only what it would have alone"
        )

    def run(self, ctx: Context) -> None:
        """Verify the wave; record each package as it passes."""
        assert isinstance(ctx, WorkspaceContext)
        from . import verify

        ctx.reporter.start(self.name, f"from {self.index_url}")
        settings = ctx.settings
        where = verify.Where(self.index_url, settings.extra_index_url, settings.verify_backoff)
        wave = []
        for name in self.packages:
            m = ctx.member(name)
            wave.append((Release(m.name, m.release.version, m.release.tag), ctx.built[name]))

        def passed(r: Release) -> None:
            state = ctx.member(r.name).state_file(ctx.git)
            record.save(state, record.load(state).but(verified=True))
            ctx.echo(f"verified: {r} installs from {self.index_url}")

        try:
            workspace_verify.verify_wave(wave, where, passed, echo=ctx.echo, environ=ctx.environ)
        except workspace_verify.Failed as exc:
            raise StepError(f"{exc.release}: {exc.error.message}", hint=exc.error.hint) from exc
        ctx.reporter.finish("ok", f"{len(wave)} package(s) installed from the index and used")
