"""Kernels start over Unix sockets in a folder of their own, and leave nothing behind."""

import glob
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor

import nbformat
import nbval.kernel
import pytest

from tashkent_report import build
from tashkent_report.kernels import PREFIX, IPCKernelManager


def leftovers() -> set[str]:
    return set(glob.glob(os.path.join(tempfile.gettempdir(), PREFIX + "*")))


@pytest.fixture(autouse=True)
def own_temp_folder(monkeypatch, tmp_path_factory):
    """Kernel folders go to a temporary folder of this test's own: the shared one also holds
    the folders of kernels that other tests (and other checkouts) start and stop meanwhile.
    Short, since Unix socket paths are limited to about 104 bytes."""
    tmp_path_factory.getbasetemp()  # pytest's own temporary folders stay where they are
    folder = tempfile.mkdtemp(prefix="tk-")
    monkeypatch.setattr(tempfile, "tempdir", folder)
    yield
    monkeypatch.undo()
    os.rmdir(folder)  # fails if a kernel left anything behind


def test_kernel_uses_unix_sockets_in_a_private_folder():
    before = leftovers()
    km = IPCKernelManager(kernel_name="python3")
    km.start_kernel()
    try:
        info = km.get_connection_info()
        assert info["transport"] == "ipc"
        folder = os.path.dirname(km.connection_file)
        assert os.path.basename(folder).startswith(PREFIX)
        assert info["ip"].startswith(folder + os.sep)
        assert oct(os.stat(folder).st_mode & 0o777) == oct(0o700)
        assert len(f"{info['ip']}-{info['shell_port']}") < 100  # Unix socket path limit
    finally:
        km.shutdown_kernel(now=True)
    assert leftovers() == before


def test_nbval_starts_its_kernels_the_same_way():
    assert nbval.kernel.KernelManager is IPCKernelManager  # set by the root conftest.py


def test_many_kernels_at_once_all_start(tmp_path):
    """Eight notebooks, four at a time: with TCP ports this raced; now every kernel replies."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import os\nprint(os.getpid())")]
    path = tmp_path / "01-probe.ipynb"
    nbformat.write(nb, path)
    before = leftovers()
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = list(pool.map(lambda _: build.execute(path), range(8)))
    pids = {run.cells[0].outputs[0]["text"] for run in runs}
    assert len(pids) == 8
    assert leftovers() == before
