"""Kernels on Unix sockets in a private 0700 folder, not TCP ports (jupyter/jupyter_client#487), with
private homes: nothing read from HOME (docs/build.md, "Kernels")."""

from __future__ import annotations

import atexit
import functools
import glob
import os
import shutil
import sys
import tempfile
from subprocess import DEVNULL, Popen

from jupyter_client import AsyncKernelManager, KernelManager
from jupyter_client.kernelspec import KernelSpecManager
from psutil import pid_exists  # ipykernel's dependency

from tashkent_report.errors import BuildError

PREFIX = "tashkent-kernel-"
SOCKET_PATH_MAX = 107 if sys.platform.startswith("linux") else 103  # sun_path less its NUL byte
HOMES = ("MPLCONFIGDIR", "IPYTHONDIR", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR")
_BASE = tempfile.gettempdir()  # as the process started: tests move tempfile.tempdir later


@functools.cache
def scan_fonts() -> tuple[dict[str, str], Popen]:
    """This process's kernels' homes (removed at exit), where matplotlib's font list is being built,
    once: else each kernel scans the system's fonts (seconds, and a warning in a cell). The build calls
    it before any kernel starts (two first calls at once, from threads, would merely scan twice)."""
    folder = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=_BASE)
    homes = {name: os.path.join(folder, name.lower()) for name in HOMES}
    scan = Popen([sys.executable, "-c", "import matplotlib.font_manager"], stdin=DEVNULL, stdout=DEVNULL,
                 stderr=DEVNULL, env={**os.environ, **homes, "MPLBACKEND": "Agg"})
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    atexit.register(scan.wait)  # runs first: the folder goes once the scan has ended
    return homes, scan


class _PrivateKernel:
    """Mixin for a kernel manager: IPC sockets and connection file in a folder of the kernel's own."""

    def __init__(self, **kwargs) -> None:
        self.folder = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-")
        kernels = os.path.join(sys.prefix, "share/jupyter/kernels")  # not HOME's (nbval passes its own)
        kwargs.setdefault("kernel_spec_manager", KernelSpecManager(kernel_dirs=[kernels]))
        super().__init__(transport="ipc", connection_file=os.path.join(self.folder, "kernel.json"), **kwargs)

    def start_kernel(self, **kw):  # for AsyncIPCKernelManager, a coroutine that its caller awaits
        longest = os.fsencode(f"{self.ip}-99")  # the sockets are kernel-ipc-1 to -5, or a few more
        if len(longest) > SOCKET_PATH_MAX:
            raise BuildError(f"the temporary folder {os.path.dirname(self.folder)} is too long for a Unix "
                             f"socket: its paths would take {len(longest)} bytes, over {SOCKET_PATH_MAX}",
                             "Use a shorter one: TMPDIR=/tmp make report (or export TMPDIR=/tmp).")
        homes, scan = scan_fonts()
        scan.wait(600)
        kw["env"] = {**kw.get("env", os.environ), **homes}
        return super().start_kernel(**kw)

    def cleanup_connection_file(self) -> None:  # on shutdown for good (not restart): the folder goes too
        super().cleanup_connection_file()
        shutil.rmtree(self.folder, ignore_errors=True)


class IPCKernelManager(_PrivateKernel, KernelManager):
    """Blocking kernel manager (nbval's)."""


class AsyncIPCKernelManager(_PrivateKernel, AsyncKernelManager):
    """Asynchronous kernel manager (nbclient's and nbconvert's)."""


def sweep(folder: str | None = None) -> list[str]:
    """Remove the kernel folders of processes that no longer exist."""
    removed = []
    for path in glob.glob(os.path.join(glob.escape(folder or tempfile.gettempdir()), PREFIX + "*")):
        pid, _, rest = os.path.basename(path).removeprefix(PREFIX).partition("-")
        if pid.isdigit() and rest and not pid_exists(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed
