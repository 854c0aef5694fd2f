"""The library's one exception type."""


class MonarchError(ValueError):
    """Bad input to monarch-sci: the message names what was wrong and what was expected."""


def check_choice(what: str, value, valid) -> None:
    """Raise ``MonarchError("<what> must be one of <valid>, got <value>")`` unless value is in valid."""
    if value not in valid:
        raise MonarchError(f"{what} must be one of {tuple(valid)}, got {value!r}")
