"""What a ``--part`` resolved to: a part or a version, and why (``auto`` explains its choice).

Apart from ``auto.py`` so that a bump by a named part never loads the readers of fragments,
changelogs and commit subjects.
"""

from __future__ import annotations

from .values import frozen

AUTO = "auto"


@frozen
class Decision:
    """What ``auto`` resolved to: a part or an explicit version, and why."""

    spec: str
    reason: str
