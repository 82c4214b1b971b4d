"""invoke tasks for people at a terminal; each one calls the release CLI's main()."""

from __future__ import annotations

from invoke import Context, Exit, task

from release.__main__ import main


def _release(*argv: str) -> None:
    code = main(list(argv))
    if code:
        raise Exit(code=code)


@task(
    help={
        "part": "major, minor, patch, alpha, beta, rc, pre, dev, post, release, or a version",
        "dry_run": "show the plan, change nothing",
        "commit": "commit exactly the changed files",
        "tag": "create an annotated tag (implies --commit)",
        "project": "the project directory (default: .)",
    }
)
def bump(
    c: Context,
    part: str = "patch",
    dry_run: bool = False,
    commit: bool = False,
    tag: bool = False,
    project: str = ".",
) -> None:
    """Bump every version source and the changelog: invoke bump --part patch."""
    flags = [f for f, on in (("--dry-run", dry_run), ("--commit", commit), ("--tag", tag)) if on]
    _release("--project", project, "bump", part, *flags)


@task(help={"project": "the project directory (default: .)"})
def version(c: Context, project: str = ".") -> None:
    """Print the current version."""
    _release("--project", project, "version")
