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
        "part": "major, minor, patch, alpha, beta, rc, pre, dev, post, release, auto, or a version",
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


_TARGET_HELP = {
    "repository": "local, testpypi, pypi or an upload URL (default: RELEASE_REPOSITORY, pyproject, local)",
    "index_url": "the simple index, where it cannot be derived from the repository",
    "project": "the project directory (default: .)",
}


def _target(repository: str, index_url: str) -> list[str]:
    return [
        *(["--repository", repository] if repository else []),
        *(["--index-url", index_url] if index_url else []),
    ]


@task(
    help={
        "ref": "the commit or tag to build",
        "outdir": "where the files go (default: dist/)",
        "project": _TARGET_HELP["project"],
    }
)
def build(c: Context, ref: str = "HEAD", outdir: str = "", project: str = ".") -> None:
    """Build sdist and wheel from a clean checkout of a commit: invoke build [--ref v1.2.3]."""
    _release("--project", project, "build", "--ref", ref, *(["--outdir", outdir] if outdir else []))


@task(help={"project": _TARGET_HELP["project"]})
def check(c: Context, project: str = ".") -> None:
    """twine check --strict, and the files in dist/ are the release: invoke check."""
    _release("--project", project, "check")


@task(help=_TARGET_HELP)
def publish(c: Context, repository: str = "", index_url: str = "", project: str = ".") -> None:
    """Upload the release's files in dist/, skipping those already there: invoke publish."""
    _release("--project", project, "publish", *_target(repository, index_url))


@task(
    help={
        **_TARGET_HELP,
        "version": "the version (default: the project's)",
        "dist": "compare with the files here",
    }
)
def verify(
    c: Context,
    repository: str = "",
    index_url: str = "",
    version: str = "",
    dist: str = "",
    project: str = ".",
) -> None:
    """Install the release from the index alone and smoke-test it: invoke verify --dist dist."""
    flags = [*(["--version", version] if version else []), *(["--dist", dist] if dist else [])]
    _release("--project", project, "verify", *_target(repository, index_url), *flags)


@task(
    name="serve-index",
    help={"port": "the port (default 8765; 0: a free one)", "root": "where the files live"},
)
def serve_index(c: Context, port: int = 8765, root: str = "") -> None:
    """Run a local package index (pypiserver) in the foreground: invoke serve-index."""
    _release("serve-index", "--port", str(port), *(["--root", root] if root else []))


WORKSPACE_HELP = {
    "package": "in a workspace: release this package (repeatable)",
    "all": "in a workspace: release every package",
    "changed": "in a workspace: the packages changed since their last tag",
}


def workspace_flags(packages: list[str] | None, every: bool, changed: bool) -> list[str]:
    """The release CLI's workspace choice: --package NAME (each), --all, --changed."""
    chosen = [arg for name in packages or () for arg in ("--package", name)]
    return chosen + [f for f, on in (("--all", every), ("--changed", changed)) if on]


@task(
    help={
        "part": "what to bump (default: patch; auto: from the changelog, fragments or commits)",
        "repository": "local (a rehearsal; the default), testpypi, pypi, or an upload URL",
        "dry_run": "print the plan, change nothing",
        "no_push": "do not push the commit and tag",
        "project": "the project directory (default: .)",
        **WORKSPACE_HELP,
    },
    iterable=["package"],
)
def release(
    c: Context,
    part: str = "patch",
    repository: str = "",
    dry_run: bool = False,
    no_push: bool = False,
    project: str = ".",
    package: list[str] | None = None,
    all_: bool = False,
    changed: bool = False,
) -> None:
    """Ship a release (a rehearsal against a local index unless --repository says otherwise)."""
    flags = [f for f, on in (("--dry-run", dry_run), ("--no-push", no_push)) if on]
    target = _target(repository, "")
    chosen = workspace_flags(package, all_, changed)
    _release("--project", project, "ship", "--part", part, *target, *flags, *chosen)


@task(
    help={
        "part": "what to bump (default: patch; auto: from the changelog, fragments or commits)",
        "project": "the project directory (default: .)",
    }
)
def status(c: Context, part: str = "patch", project: str = ".") -> None:
    """Show what a release would do, and why it would refuse."""
    _release("--project", project, "status", "--part", part)
