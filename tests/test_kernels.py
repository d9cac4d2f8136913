"""Kernels start over Unix sockets in a folder of their own, and leave nothing behind."""

import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest

from tashkent_report.render import pipeline as build
from tashkent_report.render.kernels import PREFIX, IPCKernelManager, scan_fonts, sweep


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


@pytest.mark.slow  # a stress test: many kernels started at once
def test_many_kernels_at_once_all_start(tmp_path, kernel_tmp):
    """Eight notebooks, four at a time: with TCP ports this raced; now every kernel replies."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import json, os\nfrom ipykernel.connect import get_connection_info\n"
        "print(os.getpid(), json.loads(get_connection_info())['transport'])")]
    path = tmp_path / "01-probe.ipynb"
    nbformat.write(nb, path)
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = list(pool.map(lambda _: build.execute(path), range(8)))
    printed = [run.cells[0].outputs[0]["text"].split() for run in runs]
    assert len({pid for pid, _ in printed}) == 8
    assert {transport for _, transport in printed} == {"ipc"}  # Unix sockets: no TCP port to race for
    assert os.listdir(kernel_tmp) == []


def test_sweep_removes_only_folders_of_processes_that_are_gone(tmp_path, monkeypatch):
    from tashkent_report.render import kernels

    monkeypatch.setattr(kernels, "pid_exists", lambda pid: pid == os.getpid())  # no PID is assumed free
    dead = tmp_path / f"{PREFIX}4242-abcd1234"
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
    assert message.startswith("the temporary folder") and "01-probe" not in message  # not its fault
    assert "too long for a Unix socket" in message and str(long_tmp) in message
    assert "TMPDIR=/tmp make report" in hint and "reinstall" not in hint and "clean-venv" not in hint
    assert os.listdir(long_tmp) == []



PROBE = """import json, os
import matplotlib
import matplotlib.pyplot as plt
fig, ax = plt.subplots()
ax.plot([0, 1])
fig.savefig(os.devnull, format="png")
plt.close(fig)
from IPython.paths import get_ipython_dir
from jupyter_core.paths import jupyter_config_dir, jupyter_data_dir, jupyter_runtime_dir
print(json.dumps({"mpl": matplotlib.get_configdir(), "mplcache": matplotlib.get_cachedir(),
                  "ipython": get_ipython_dir(), "config": jupyter_config_dir(), "data": jupyter_data_dir(),
                  "runtime": jupyter_runtime_dir()}))"""


# A broken HOME is an environment fault: make test-slow (and CI) try those.
@pytest.mark.parametrize("home", [pytest.param("unwritable", marks=pytest.mark.slow),
                                  pytest.param("unset", marks=pytest.mark.slow), "normal"])
def test_kernels_write_nothing_of_the_users_and_leave_nothing(tmp_path, kernel_tmp, monkeypatch, home):
    """Matplotlib, IPython and Jupyter get private folders, the same for all of a process's kernels: an
    unwritable or unset HOME puts no warning in the outputs, and no kernel leaves anything behind."""
    import json

    if home == "unwritable":
        monkeypatch.setenv("HOME", "/dev/null/home")  # not even root can create it
    elif home == "unset":
        monkeypatch.delenv("HOME")
    monkeypatch.setenv("TMPDIR", kernel_tmp)  # where a kernel's own temporary folders would go
    for name in ("MPLCONFIGDIR", "IPYTHONDIR", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR",
                 "JUPYTER_RUNTIME_DIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(PROBE)]
    path = tmp_path / "01-probe.ipynb"
    nbformat.write(nb, path)
    outputs = build.execute(path).cells[0].outputs
    assert [o.get("name") for o in outputs] == ["stdout"], outputs
    folders = json.loads(outputs[0]["text"])
    homes, _ = scan_fonts()  # this process's kernels' own folder, removed when it exits
    private = os.path.dirname(homes["MPLCONFIGDIR"])
    assert os.path.basename(private).startswith(f"{PREFIX}{os.getpid()}-")
    assert oct(os.stat(private).st_mode & 0o777) == oct(0o700)
    assert all(folder.startswith(private + os.sep) for folder in folders.values()), folders
    assert os.listdir(kernel_tmp) == []


def test_a_stream_on_stderr_that_readers_would_see_stops_the_build(tmp_path):
    """A warning printed by a cell would be published in the readers' report: the build stops at
    the cell instead. A cell left out of every edition (remove-cell) may write to stderr."""
    from tashkent_report.errors import BuildError

    nb = nbformat.v4.new_notebook()
    hidden = nbformat.v4.new_code_cell("import sys\nprint('checked', file=sys.stderr)")
    hidden.metadata["tags"] = ["remove-cell"]
    nb.cells = [nbformat.v4.new_markdown_cell("# A chapter"), hidden,
                nbformat.v4.new_code_cell("import warnings\nwarnings.warn('a temporary cache directory')")]
    path = tmp_path / "02-noisy.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(BuildError) as caught:
        build.execute(path)
    assert str(caught.value).startswith(f"{path}, cell 3 (id {nb.cells[2].id}) wrote to stderr: ")
    assert "UserWarning: a temporary cache directory" in str(caught.value)
    assert "readers' report" in caught.value.hint
