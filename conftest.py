"""pytest, from the project root: nbval's kernels use Unix sockets, never TCP ports.

Before anything else, the package under test must be this checkout's own: a .venv linked from
another checkout, or copied with it, would test the other one (src/tashkent_report/checkout.py).

Several kernels starting at once race for TCP ports (see src/tashkent_report/kernels.py);
nbval has no option for the transport, so its kernel manager class is swapped here.
"""

from pathlib import Path

import nbval.kernel
import pytest

from tashkent_report.checkout import foreign_package
from tashkent_report.kernels import IPCKernelManager

nbval.kernel.KernelManager = IPCKernelManager


def pytest_configure(config):
    foreign = foreign_package(Path(__file__).resolve().parent)
    if foreign:
        pytest.exit(f"Tests stopped: {foreign}", returncode=4)
