"""Shape fixture: testpypi."""


def double(x: int) -> int:
    """Twice x."""
    return 2 * x
