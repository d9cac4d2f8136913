"""Kernels that talk over Unix sockets in a private folder instead of TCP ports.

jupyter_client picks a kernel's TCP ports by binding to port 0 and releasing them; kernels starting at
once (the build runs two, pytest-xdist two nbval kernels beside it) can take each other's ports, and
one dies (jupyter/jupyter_client#487). Unix sockets in a folder of the kernel's own have no such race,
with public settings only: ``transport="ipc"`` and a ``connection_file`` in a private folder. Each
folder (``tashkent-kernel-<pid>-<random>``, after the process that started the kernel) goes with its
kernel; :func:`sweep` removes those of processes killed outright, whose kernels exit by themselves
(ipykernel polls its parent, ``JPY_PARENT_PID``, every second).
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
from traitlets import default

from tashkent_report.errors import BuildError

PREFIX = "tashkent-kernel-"
SOCKET_PATH_MAX = 107 if sys.platform.startswith("linux") else 103  # sun_path less its NUL byte
# Matplotlib's, IPython's and Jupyter's configuration and caches in the kernel's own folder: nothing
# read from or written to the user's HOME (unwritable, unset or full of their settings), no warning.
PRIVATE_HOMES = {"MPLCONFIGDIR": "matplotlib", "IPYTHONDIR": "ipython", "JUPYTER_DATA_DIR": "jupyter-data",
                 "JUPYTER_CONFIG_DIR": "jupyter-config", "JUPYTER_RUNTIME_DIR": "jupyter-runtime"}
_FONTS_BASE = tempfile.gettempdir()  # as the process started: tests move tempfile.tempdir later
_fonts: list[str] = []
_fonts_lock = threading.Lock()


def scan_fonts() -> tuple[str, subprocess.Popen]:
    """Start building matplotlib's font list, once per process (the build starts it early); it is
    copied into each kernel's folder: a fresh MPLCONFIGDIR would make every kernel scan the system's
    fonts (seconds, and a warning in a cell)."""
    with _fonts_lock:
        if not _fonts:
            folder = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=_FONTS_BASE)
            scan = subprocess.Popen([sys.executable, "-c", "import matplotlib.font_manager"],
                                    env={**os.environ, "MPLCONFIGDIR": folder, "MPLBACKEND": "Agg"},
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
            atexit.register(scan.wait)  # runs first: the folder goes once the scan has ended
            _fonts.append((folder, scan))
        return _fonts[0]


class _PrivateSockets(ConnectionFileMixin):
    """Mixin for a kernel manager: IPC transport, connection file and homes in a 0700 folder."""

    @default("transport")
    def _ipc(self) -> str:
        return "ipc"

    @default("connection_file")
    def _private_connection_file(self) -> str:
        return os.path.join(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"), "kernel.json")

    @default("kernel_spec_manager")
    def _own_kernel_specs(self) -> KernelSpecManager:
        # The environment's own kernels only, never one from the user's ~/.local/share/jupyter.
        return KernelSpecManager(parent=self, kernel_dirs=[os.path.join(sys.prefix, "share/jupyter/kernels")])

    def _environment(self, kw: dict) -> dict:
        folder = os.path.dirname(self.connection_file)
        homes = {name: os.path.join(folder, sub) for name, sub in PRIVATE_HOMES.items()}
        for folder in homes.values():
            os.makedirs(folder, mode=0o700, exist_ok=True)
        fonts, scan = scan_fonts()
        scan.wait(600)
        for cached in glob.glob(os.path.join(fonts, "fontlist-*.json")):
            shutil.copy(cached, homes["MPLCONFIGDIR"])
        return {**kw, "env": {**kw.get("env", os.environ), **homes}}

    def write_connection_file(self, **kwargs) -> None:
        longest = os.fsencode(f"{self.ip}-99")  # the sockets are kernel-ipc-1 to -5, or a few more
        if len(longest) > SOCKET_PATH_MAX:
            where = os.path.dirname(os.path.dirname(self.connection_file))
            raise BuildError(
                f"the temporary folder {where} is too long for a Unix socket: the kernel's socket paths "
                f"would take {len(longest)} bytes, more than the {SOCKET_PATH_MAX} the system allows",
                f"Use a shorter temporary folder (TMPDIR is {len(os.fsencode(where))} bytes; keep it "
                "under 60): for example TMPDIR=/tmp make report, or export TMPDIR=/tmp in your shell.")
        super().write_connection_file(**kwargs)

    def cleanup_connection_file(self) -> None:
        # Called when the kernel is shut down for good (not on restart): the folder goes too.
        super().cleanup_connection_file()
        if os.path.basename(os.path.dirname(self.connection_file)).startswith(PREFIX):  # ours, not one given
            shutil.rmtree(os.path.dirname(self.connection_file), ignore_errors=True)


class IPCKernelManager(_PrivateSockets, KernelManager):
    """Blocking kernel manager (nbval's)."""

    def start_kernel(self, **kw) -> None:
        super().start_kernel(**self._environment(kw))


class AsyncIPCKernelManager(_PrivateSockets, AsyncKernelManager):
    """Asynchronous kernel manager (nbclient's and nbconvert's)."""

    async def start_kernel(self, **kw) -> None:
        await super().start_kernel(**self._environment(kw))


def alive(pid: int) -> bool:
    """True if a process with this id exists (another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def sweep(folder: str | None = None) -> list[str]:
    """Remove the kernel folders of processes that no longer exist."""
    removed = []
    for path in glob.glob(os.path.join(glob.escape(folder or tempfile.gettempdir()), PREFIX + "*")):
        pid, _, rest = os.path.basename(path).removeprefix(PREFIX).partition("-")
        if pid.isdigit() and rest and not alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed
