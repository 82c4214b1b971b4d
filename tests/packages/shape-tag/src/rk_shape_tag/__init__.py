"""Shape fixture: tag."""


def answer() -> int:
    """The answer."""
    return 42
