"""Kernels that talk over Unix sockets in a private folder instead of TCP ports.

Why: jupyter_client picks a kernel's five TCP ports by binding to port 0 and releasing them;
the kernel binds them a moment later. When several kernels start at once (the build runs two,
pytest-xdist runs two nbval kernels beside it), a port released for one kernel can be taken in
between by another's socket, and that kernel dies before replying to kernel_info. Unix sockets
in a folder of the kernel's own have no such race, and no unencrypted TCP either.

Each folder is named after the process that started the kernel
(``tashkent-kernel-<pid>-<random>``): a kernel shut down normally takes its folder with it; a
process killed outright (SIGKILL) cannot, and :func:`sweep` removes such folders once their
process is gone. The kernels themselves do not outlive a killed process: ipykernel polls its
parent (``JPY_PARENT_PID``) every second and exits when it has gone.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

from jupyter_client import AsyncKernelManager, KernelManager
from jupyter_client.connect import ConnectionFileMixin
from traitlets import CaselessStrEnum, default

from .errors import BuildError

# Unix socket paths are limited to about 104 bytes: keep the folder short.
PREFIX = "tashkent-kernel-"
# The longest socket path the system takes (sun_path less its final NUL byte).
SOCKET_PATH_MAX = 107 if sys.platform.startswith("linux") else 103


class SocketPathTooLong(BuildError):
    """The temporary folder is too deep for the kernel's Unix sockets."""


class _PrivateSockets(ConnectionFileMixin):
    """Mixin: IPC transport, connection file and sockets in one private (0700) folder."""

    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

    @property
    def private_dir(self) -> str:
        if getattr(self, "_private_dir", None) is None:
            self._private_dir = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-")
        return self._private_dir

    @default("connection_file")
    def _private_connection_file(self) -> str:
        return os.path.join(self.private_dir, "kernel.json")

    def _ip_default(self) -> str:
        if self.transport == "ipc":
            return os.path.join(self.private_dir, "ipc")
        return super()._ip_default()

    def write_connection_file(self, **kwargs) -> None:
        if self.transport == "ipc":
            longest = os.fsencode(f"{self.ip}-99")  # the sockets are ipc-1 to ipc-5, or a few more
            if len(longest) > SOCKET_PATH_MAX:
                where = os.path.dirname(self.private_dir)
                raise SocketPathTooLong(
                    f"the temporary folder {where} is too long for a Unix socket: the kernel's socket "
                    f"paths would take {len(longest)} bytes, more than the {SOCKET_PATH_MAX} the system "
                    "allows",
                    f"Use a shorter temporary folder (TMPDIR is {len(os.fsencode(where))} bytes; keep it "
                    "under 60): for example TMPDIR=/tmp make report, or export TMPDIR=/tmp in your shell.")
        super().write_connection_file(**kwargs)

    def cleanup_connection_file(self) -> None:
        # Called when the kernel is shut down for good (not on restart): the folder goes too.
        super().cleanup_connection_file()
        if getattr(self, "_private_dir", None):
            shutil.rmtree(self._private_dir, ignore_errors=True)
            self._private_dir = None


class IPCKernelManager(_PrivateSockets, KernelManager):
    """Blocking kernel manager (nbval's)."""


class AsyncIPCKernelManager(_PrivateSockets, AsyncKernelManager):
    """Asynchronous kernel manager (nbclient's)."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process, alive
        return True
    return True


def sweep(folder: str | None = None) -> list[str]:
    """Remove kernel folders left by processes of this user that no longer exist."""
    folder = folder or tempfile.gettempdir()
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        parts = name.removeprefix(PREFIX).split("-")
        if not name.startswith(PREFIX) or len(parts) != 2 or not parts[0].isdigit():
            continue  # not a kernel folder of this kind (older ones carry no process id)
        pid = parts[0]
        path = os.path.join(folder, name)
        try:
            if os.lstat(path).st_uid != os.getuid() or _alive(int(pid)):
                continue
        except OSError:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed
