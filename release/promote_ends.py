"""The two ends of ``release promote``: the index the files come from and the one they go to."""

from __future__ import annotations

from typing import NamedTuple

from . import targets, values
from .config import Config
from .errors import UsageError
from .targets import Target


class Ends(NamedTuple):
    """Where a promotion downloads from (``origin``) and uploads to (``destination``)."""

    origin: Target
    destination: Target


def resolve(cfg: Config, origin: str, destination: str) -> Ends:
    """Each end from its own ``--from`` / ``--to`` name; the same index at both is refused.

    Neither end reads ``[tool.release]`` repository or index-url, nor the environment: they
    describe the project's usual target, not either end of a promotion.
    """
    bare = values.replace(cfg, index_url=None, repository=None)
    ends = Ends(
        targets.resolve(bare, repository=origin, environ={}),
        targets.resolve(bare, repository=destination, environ={}),
    )
    if (
        ends.origin.upload_url == ends.destination.upload_url
        or ends.origin.index_url == ends.destination.index_url
    ):
        raise UsageError("--from and --to name the same index", hint="promote between two indexes")
    return ends


def require_local_indexes(ends: Ends) -> None:
    """Refuse early when an end is the ``local`` index and nothing serves it."""
    for end in ends:
        if end.name == "local":
            from . import server  # only for a local end: it loads an HTTP client

            server.require_running(end.index_url)
