"""SIGINT and SIGTERM as one exception in the main thread, held back where a step must not be cut.

Python's defaults would be ``KeyboardInterrupt`` for one and instant death for the other, skipping
every clean-up; as :class:`Interrupted`, a build stopped by Ctrl-C or ``kill`` shuts its kernels
down and says so in one message. :func:`held` defers them across the system calls that switch
``reports/`` to a new build; a signal that came meanwhile is raised when the block ends.
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
        super().__init__(self.name)

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


_state = {"held": 0, "once": False, "raised": False, "pending": None}


def _handler(signum, frame):
    if _state["once"] and _state["raised"]:
        return  # a second Ctrl-C, or the same signal sent to make's whole process group
    if _state["held"]:
        _state["pending"] = _state["pending"] or signum
        return
    _state["raised"] = True
    raise Interrupted(signum)


@contextmanager
def raised_as_exceptions(once: bool = False):
    """Within the block, SIGINT and SIGTERM raise :class:`Interrupted` in the main thread; with
    ``once``, only the first does, so that clean-up and the one message are never cut short."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _state.update(once=once, raised=False, pending=None)
    previous = {signum: signal.signal(signum, _handler) for signum in SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _state.update(once=False, pending=None)


@contextmanager
def held():
    """Defer SIGINT and SIGTERM to the end of the block (if the handler above is installed)."""
    _state["held"] += 1
    try:
        yield
    except BaseException:
        _state["pending"] = None if _state["held"] == 1 else _state["pending"]  # stopping anyway
        raise
    finally:
        _state["held"] -= 1
    if not _state["held"] and _state["pending"]:
        signum, _state["pending"] = _state["pending"], None
        _state["raised"] = True
        raise Interrupted(signum)
