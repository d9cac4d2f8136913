"""Kernels start over Unix sockets in a folder of their own, and leave nothing behind."""

import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor

import nbformat
import nbval.kernel
import pytest

from tashkent_report import build
from tashkent_report.kernels import PREFIX, IPCKernelManager, sweep


@pytest.fixture
def kernel_tmp(monkeypatch):
    """A temporary folder of this test's own (short: socket paths are limited) for kernel folders."""
    folder = tempfile.mkdtemp(prefix="tk")
    monkeypatch.setattr(tempfile, "tempdir", folder)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_kernel_uses_unix_sockets_in_a_private_folder(kernel_tmp):
    km = IPCKernelManager(kernel_name="python3")
    km.start_kernel()
    try:
        info = km.get_connection_info()
        assert info["transport"] == "ipc"
        folder = os.path.dirname(km.connection_file)
        assert os.path.basename(folder).startswith(f"{PREFIX}{os.getpid()}-")
        assert info["ip"].startswith(folder + os.sep)
        assert oct(os.stat(folder).st_mode & 0o777) == oct(0o700)
        assert len(f"{info['ip']}-{info['shell_port']}") < 100  # Unix socket path limit
    finally:
        km.shutdown_kernel(now=True)
    assert os.listdir(kernel_tmp) == []


def test_nbval_starts_its_kernels_the_same_way():
    assert nbval.kernel.KernelManager is IPCKernelManager  # set by the root conftest.py


def test_many_kernels_at_once_all_start(tmp_path, kernel_tmp):
    """Eight notebooks, four at a time: with TCP ports this raced; now every kernel replies."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import os\nprint(os.getpid())")]
    path = tmp_path / "01-probe.ipynb"
    nbformat.write(nb, path)
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = list(pool.map(lambda _: build.execute(path), range(8)))
    pids = {run.cells[0].outputs[0]["text"] for run in runs}
    assert len(pids) == 8
    assert os.listdir(kernel_tmp) == []


def test_sweep_removes_only_folders_of_processes_that_are_gone(tmp_path):
    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = tmp_path / f"{PREFIX}{gone.pid}-abcd1234"
    live = tmp_path / f"{PREFIX}{os.getpid()}-abcd1234"
    other = tmp_path / "tashkent-kernel-nopid"
    for folder in (dead, live, other):
        folder.mkdir()
        (folder / "kernel.json").write_text("{}")
    assert sweep(str(tmp_path)) == [str(dead)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name])


def test_a_temporary_folder_too_long_for_a_socket_is_named_with_what_to_do(tmp_path, monkeypatch):
    """Unix socket paths hold about 107 bytes: a deep TMPDIR cannot take the kernel's sockets."""
    from tashkent_report.errors import BuildError

    long_tmp = tmp_path / ("a-temporary-folder-with-a-long-name-" * 3)
    long_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(long_tmp))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print(1)")]
    path = tmp_path / "01-probe.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(BuildError) as caught:
        build.execute(path)
    message, hint = str(caught.value), caught.value.hint
    assert "01-probe.ipynb: the kernel did not start" in message
    assert "too long for a Unix socket" in message and str(long_tmp) in message
    assert "TMPDIR=/tmp make report" in hint and "reinstall" not in hint and "clean-venv" not in hint
    assert os.listdir(long_tmp) == []

