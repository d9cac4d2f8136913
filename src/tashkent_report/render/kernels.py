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

import atexit
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import threading

from jupyter_client import AsyncKernelManager, KernelManager
from jupyter_client.connect import ConnectionFileMixin
from jupyter_client.kernelspec import KernelSpecManager
from traitlets import CaselessStrEnum, default

from tashkent_report.errors import BuildError
from tashkent_report.render.processes import alive

# Unix socket paths are limited to about 104 bytes: keep the folder short.
PREFIX = "tashkent-kernel-"
# The longest socket path the system takes (sun_path less its final NUL byte).
SOCKET_PATH_MAX = 107 if sys.platform.startswith("linux") else 103


class SocketPathTooLong(BuildError):
    """The temporary folder is too deep for the kernel's Unix sockets."""


# Where matplotlib, IPython and Jupyter keep their configuration and caches, set for each kernel
# to a folder of its own inside its private one: nothing is read from or written to the user's
# HOME (unwritable, unset or full of their own settings), no warning about it reaches a cell's
# outputs, and the folder goes when the kernel is shut down.
PRIVATE_HOMES = {
    "MPLCONFIGDIR": "matplotlib",
    "IPYTHONDIR": "ipython",
    "JUPYTER_CONFIG_DIR": "jupyter-config",
    "JUPYTER_DATA_DIR": "jupyter-data",
    "JUPYTER_RUNTIME_DIR": "jupyter-runtime",
}
_FONTS_BASE = tempfile.gettempdir()  # as the process started: tests may move tempfile.tempdir later
_fonts: list[str] = []
_fonts_lock = threading.Lock()


def _font_cache() -> str:
    """A folder holding matplotlib's font cache, built once per process (by a child process, its
    output discarded) and copied into each kernel's folder: a fresh MPLCONFIGDIR would otherwise
    make every kernel scan the system's fonts, a few seconds, and after five say so in a cell.
    Removed when the process exits (by :func:`sweep` if it was killed)."""
    with _fonts_lock:
        if _fonts and os.path.isdir(_fonts[0]):
            return _fonts[0]
        folder = os.path.join(_FONTS_BASE, f"{PREFIX}{os.getpid()}-fonts")
        shutil.rmtree(folder, ignore_errors=True)
        os.mkdir(folder, 0o700)
        if not _fonts:
            atexit.register(lambda: shutil.rmtree(_fonts[0], ignore_errors=True))
        _fonts[:] = [folder]
        try:
            subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"],
                           env={**os.environ, "MPLCONFIGDIR": folder, "MPLBACKEND": "Agg"},
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=600, check=False)
        except (OSError, subprocess.SubprocessError):
            pass  # each kernel then builds its own
        return folder


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

    @default("kernel_spec_manager")
    def _own_kernel_specs(self) -> KernelSpecManager:
        # The environment's own kernels only (and ipykernel's, for this Python): never one from
        # the user's ~/.local/share/jupyter or ~/.ipython, which the default would also read.
        return KernelSpecManager(parent=self, kernel_dirs=[os.path.join(sys.prefix, "share", "jupyter",
                                                                        "kernels")])

    def private_homes(self) -> dict[str, str]:
        """The kernel's own configuration and cache folders, created, as environment variables."""
        homes = {}
        for variable, name in PRIVATE_HOMES.items():
            homes[variable] = os.path.join(self.private_dir, name)
            os.makedirs(homes[variable], mode=0o700, exist_ok=True)
        for cached in glob.glob(os.path.join(_font_cache(), "fontlist-*.json")):
            shutil.copy(cached, homes["MPLCONFIGDIR"])
        return homes

    async def _async_pre_start_kernel(self, **kw):
        kw["env"] = {**kw.get("env", os.environ), **self.private_homes()}
        return await super()._async_pre_start_kernel(**kw)

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
            if os.lstat(path).st_uid != os.getuid() or alive(int(pid)):
                continue
        except OSError:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed
