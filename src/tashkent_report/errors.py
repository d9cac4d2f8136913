"""The one exception a build stops with: what went wrong, where, and what to do about it."""


class BuildError(Exception):
    """A build step failed; the message names the file (and notebook cell), ``hint`` what to do."""

    def __init__(self, message: str, hint: str = ""):
        self.hint = hint
        super().__init__(message)


def shortened(text: object, limit: int = 300) -> str:
    """``text`` for a message: on one line (whitespace collapsed), cut to ``limit`` characters with "…"."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
