"""pytest, from the project root: nbval's kernels use Unix sockets, never TCP ports.

Before anything else, the package under test must be this checkout's own: a .venv linked from
another checkout, or copied with it, would test the other one (src/tashkent_report/checkout.py).

Several kernels starting at once race for TCP ports (see src/tashkent_report/kernels.py);
nbval has no option for the transport, so its kernel manager class is swapped here.
"""

from pathlib import Path

import nbval.kernel
import pytest

from tashkent_report.render.checkout import foreign_package, unexecuted_notebooks
from tashkent_report.render.kernels import IPCKernelManager

nbval.kernel.KernelManager = IPCKernelManager


def pytest_configure(config):
    foreign = foreign_package(Path(__file__).resolve().parent)
    if foreign:
        pytest.exit(f"Tests stopped: {foreign}", returncode=4)
    if hasattr(config, "workerinput"):
        return  # an xdist worker: the controller has checked
    from tashkent_report.config import NOTEBOOKS

    lines = unexecuted_notebooks(NOTEBOOKS)
    if lines:  # one line each, instead of a failure per cell and an error per test that renders them
        pytest.exit("Tests stopped: the notebooks' saved outputs are not those of a fresh run, which "
                    "the tests compare and render:\n" + "\n".join(lines) + "\nmake execute re-runs "
                    "every notebook and saves it; then run make test again.", returncode=4)
