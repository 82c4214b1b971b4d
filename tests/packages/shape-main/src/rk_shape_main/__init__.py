"""Shape fixture: main."""

import os


def home() -> str:
    """Where HOME points."""
    return os.environ.get("HOME", "")
