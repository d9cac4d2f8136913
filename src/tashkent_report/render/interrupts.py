"""SIGINT and SIGTERM as one exception in the main thread, held back where a step must not be cut: as
:class:`Interrupted` (not ``KeyboardInterrupt`` or instant death), a stopped build shuts its kernels down
and says so once. Only the first is raised: a second (Ctrl-C again, or make's whole process group's)
cannot cut the clean-up."""

from __future__ import annotations

import signal
import sys
from contextlib import contextmanager

SIGNALS = (signal.SIGINT, signal.SIGTERM)
_state = {"held": 0, "raised": 0, "pending": None}  # raised: the signal raised, once


class Interrupted(BaseException):
    """The build was asked to stop (SIGINT or SIGTERM)."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


def _handler(signum, frame):
    if _state["raised"]:
        return
    if _state["held"]:
        _state["pending"] = _state["pending"] or signum
    else:
        _state["raised"] = signum
        raise Interrupted(signum)


@contextmanager
def raised_as_exceptions():
    """Within the block (in the main thread), the first SIGINT or SIGTERM raises :class:`Interrupted`."""
    _state.update(raised=0, pending=None)
    previous, hook = {signum: signal.signal(signum, _handler) for signum in SIGNALS}, sys.unraisablehook

    def unraisable(info):  # one raised in a weakref callback or __del__, which Python drops: see swallowed()
        if not isinstance(info.exc_value, Interrupted):
            hook(info)

    sys.unraisablehook = unraisable
    try:
        yield
    finally:
        sys.unraisablehook = hook
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _state.update(raised=0, pending=None)


def swallowed() -> None:
    """Raise again a signal whose Interrupted was dropped (raised in a weakref callback or __del__)."""
    if _state["raised"]:
        raise Interrupted(_state["raised"])


@contextmanager
def held():
    """Defer SIGINT and SIGTERM to the end of the block (which a dropped one does not begin)."""
    swallowed()
    _state["held"] += 1
    try:
        yield
    finally:
        _state["held"] -= 1
    if not _state["held"] and _state["pending"]:
        signum, _state["pending"] = _state["pending"], None
        _handler(signum, None)
