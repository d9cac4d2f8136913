"""Writing files so that a reader never sees half of one: the project's one atomic write."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def write_atomically(outputs: dict[Path, bytes], fsync: bool = False) -> None:
    """Write each file beside its target, then rename them all into place.

    A full disk, a signal or a stopped kernel leaves the last whole files, never half of one,
    and no litter. ``fsync`` also flushes each file to disk before its rename.
    """
    staged: dict[Path, Path] = {}
    try:
        for path, data in outputs.items():
            temp = Path(path).with_name(f".{Path(path).name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask's mode
            staged[Path(path)] = temp
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                if fsync:
                    os.fsync(fd)
            finally:
                os.close(fd)
        for path, temp in staged.items():
            os.replace(temp, path)
    finally:
        for temp in staged.values():
            temp.unlink(missing_ok=True)
