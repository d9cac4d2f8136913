"""The one exception a build stops with: what went wrong, where, and what to do about it."""


class BuildError(Exception):
    """A build step failed; the message names the file (and notebook cell), ``hint`` what to do."""

    def __init__(self, message: str, hint: str = ""):
        self.hint = hint
        super().__init__(message)
