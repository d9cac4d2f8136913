"""Kernels that talk over Unix sockets in a private folder instead of TCP ports.

Why: jupyter_client picks a kernel's five TCP ports by binding to port 0 and releasing them;
the kernel binds them a moment later. When several kernels start at once (the build runs two,
pytest-xdist runs two nbval kernels beside it), a port released for one kernel can be taken in
between by another's socket, and that kernel dies before replying to kernel_info. Unix sockets
in a folder of the kernel's own have no such race, and no unencrypted TCP either.
"""

from __future__ import annotations

import os
import shutil
import tempfile

from jupyter_client import AsyncKernelManager, KernelManager
from jupyter_client.connect import ConnectionFileMixin
from traitlets import CaselessStrEnum, default

# Unix socket paths are limited to about 104 bytes: keep the folder short.
PREFIX = "tashkent-kernel-"


class _PrivateSockets(ConnectionFileMixin):
    """Mixin: IPC transport, connection file and sockets in one private (0700) folder."""

    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

    @property
    def private_dir(self) -> str:
        if getattr(self, "_private_dir", None) is None:
            self._private_dir = tempfile.mkdtemp(prefix=PREFIX)
        return self._private_dir

    @default("connection_file")
    def _private_connection_file(self) -> str:
        return os.path.join(self.private_dir, "kernel.json")

    def _ip_default(self) -> str:
        if self.transport == "ipc":
            return os.path.join(self.private_dir, "ipc")
        return super()._ip_default()

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
