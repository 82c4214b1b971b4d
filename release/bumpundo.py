"""Undoing a bump: its tag, its commit, the files it rewrote and what its hook changed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from . import fragments, git
from .fsutil import write_atomic

if TYPE_CHECKING:
    from .bump import Outcome


def rollback(outcome: Outcome) -> list[Path]:
    """Undo a bump: delete its tag, drop its commit, and put back every file's bytes.

    Only what this run wrote is undone: a file whose bytes are no longer the ones it wrote,
    or a tag that no longer points at its commit, was changed by someone else and is left
    alone. Returns the files left alone.
    """
    plan = outcome.plan
    repo = git.open_repo(plan.root) if (outcome.commit or outcome.tagged) else None
    if repo is not None and outcome.tagged and plan.tag and git.tag_exists(repo, plan.tag):
        at = git.tag_commit(repo, plan.tag)
        if outcome.commit is None or at == outcome.commit:
            git.delete_tag(repo, plan.tag)
    if repo is not None and outcome.commit is not None:
        git.undo_commit(repo, outcome.commit)
    mine = {p: b for p, b in outcome.originals.items() if _holds(p, plan.files.get(p))}
    if mine:
        write_atomic(mine)
        if plan.commit:
            git.restore_index(git.open_repo(plan.root), mine)
    _undo_hook(outcome)
    if outcome.news is not None:
        # towncrier staged its changes (git rm, git add) even when nothing was committed
        fragments.restore(outcome.news)
        git.restore_index(git.open_repo(plan.root), outcome.news.paths)
    return sorted(set(outcome.originals) - set(mine))


def _undo_hook(outcome: Outcome) -> None:
    """Put back the tracked files the before-commit hook changed; remove those it created."""
    for path in outcome.hook_created:
        path.unlink(missing_ok=True)
    if not outcome.hook_originals:
        return
    back = {p: b for p, b in outcome.hook_originals.items() if b is not None}
    if back:
        write_atomic(back)
    for path, data in outcome.hook_originals.items():
        if data is None:
            path.unlink(missing_ok=True)
    git.restore_index(git.open_repo(outcome.plan.root), outcome.hook_originals)


def _holds(path: Path, written: bytes | None) -> bool:
    """Whether ``path`` still holds the bytes this run wrote to it."""
    try:
        return written is not None and path.read_bytes() == written
    except OSError:
        return False
