"""Whether a process still runs: the one check the kernels' and the builds' leftovers rely on."""

from __future__ import annotations

import os


def alive(pid: int) -> bool:
    """True if a process with this id exists (another user's counts), or it is this process."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process, alive
        return True
    return True
