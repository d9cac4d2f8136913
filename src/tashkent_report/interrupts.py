"""SIGINT and SIGTERM as one exception, raised in the main thread, and held back where needed.

The build turns both signals into :class:`Interrupted` (Python's default would be
``KeyboardInterrupt`` for one and instant death for the other, skipping every clean-up), so a
build stopped by Ctrl-C or by ``kill`` shuts its kernels down, removes its half-written folder
and says so in one message. :func:`held` defers them across the few system calls that must not
be cut in two (switching ``reports/`` to a new build); a signal that arrived meanwhile is
raised when the block ends.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """The build was asked to stop (SIGINT or SIGTERM)."""

    def __init__(self, signum: int):
        self.signum = signum
        self.published = False  # set when the new report was already in place
        super().__init__(signal.Signals(signum).name)

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


_held = 0
_pending: list[int] = []


def _handler(signum, frame):
    if _held:
        _pending.append(signum)
        return
    raise Interrupted(signum)


@contextmanager
def raised_as_exceptions():
    """Within the block, SIGINT and SIGTERM raise :class:`Interrupted` in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _handler) for signum in SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _pending.clear()


@contextmanager
def held():
    """Defer SIGINT and SIGTERM to the end of the block (if the handler above is installed)."""
    global _held
    _held += 1
    completed = False
    try:
        yield
        completed = True
    finally:
        _held -= 1
        if not _held and _pending:
            signum = _pending[0]
            _pending.clear()
            if completed:
                raise Interrupted(signum)
            # An exception is already on its way out; the build is stopping anyway.
