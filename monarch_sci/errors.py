"""The library's one exception type."""


class MonarchError(ValueError):
    """Bad input to monarch-sci: the message names what was wrong and what was expected."""
