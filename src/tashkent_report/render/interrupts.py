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
_once = [False]  # raise for the first signal only: the build is stopping, its message is on its way
_raised: list[int] = []  # the signals raised so far in this block
late: list[int] = []  # signals that came after the build had stopped or finished (see record)


def _handler(signum, frame):
    if _once[0] and _raised:
        return  # a second Ctrl-C, or the same signal sent to make's whole process group
    if _held:
        _pending.append(signum)
        return
    _raised.append(signum)
    raise Interrupted(signum)


def record(signum, frame):
    """A handler that only notes the signal, for the last instants of a build's process."""
    late.append(signum)


@contextmanager
def raised_as_exceptions(once: bool = False):
    """Within the block, SIGINT and SIGTERM raise :class:`Interrupted` in the main thread.

    With ``once``, only the first signal raises; later ones are ignored, so that clean-up and the
    one message of a stopped build are never cut short by a second signal.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _once[0] = once
    _raised.clear()
    previous = {signum: signal.signal(signum, _handler) for signum in SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _pending.clear()
        _once[0] = False


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
                _raised.append(signum)
                raise Interrupted(signum)
            # An exception is already on its way out; the build is stopping anyway.
