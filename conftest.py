"""pytest, from the project root: nbval's kernels use Unix sockets, never TCP ports.

Before anything else, the package under test must be this checkout's own: a .venv linked from
another checkout, or copied with it, would test the other one (src/tashkent_report/checkout.py).

Several kernels starting at once race for TCP ports (jupyter/jupyter_client#487; see
src/tashkent_report/render/kernels.py). The PDFs rendered in-process get the build's fixed
SOURCE_DATE_EPOCH, as `make` exports it, so that they are byte-identical however pytest is run.
"""

import json
import os
from pathlib import Path

import nbval.kernel
import pytest

from tashkent_report.render.checkout import foreign_package
from tashkent_report.render.kernels import IPCKernelManager
from tashkent_report.render.pdf import SOURCE_DATE_EPOCH

os.environ.setdefault("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
# nbval has no setting for how it starts kernels (computationalmodelling/nbval#133 asks for one,
# for the start-up time limit; there is none for the manager or its transport), so the kernel
# manager its module uses is swapped. Pinned by tests/test_private_names.py, which fails on any
# other nbval version.
nbval.kernel.KernelManager = IPCKernelManager
# An export nbconvert writes beside a chapter (jupyter nbconvert --to notebook: NN-name.nbconvert.ipynb)
# is not a chapter: nbval leaves it alone, as the build does (config.chapters).
collect_ignore_glob = ["notebooks/*.*.ipynb"]


def unexecuted_notebooks(folder: Path) -> list[str]:
    """One line for each chapter whose saved outputs are not those of a run top to bottom in a fresh
    kernel (what make execute saves): the tests compare them with a fresh run and render them."""
    from tashkent_report.config import relative

    lines = []
    for path in sorted(Path(folder).glob("[0-9][0-9]-*.ipynb")):
        try:
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            counts = [cell.get("execution_count") for cell in cells if cell.get("cell_type") == "code"]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            lines.append(f"{relative(path)}: not a readable notebook: restore it (git checkout -- "
                         f"{relative(path)}) or run make execute")
            continue
        if counts and all(count is None for count in counts):
            lines.append(f"{relative(path)}: its saved outputs are missing (cleared): run make execute")
        elif counts != list(range(1, len(counts) + 1)):
            lines.append(f"{relative(path)}: its saved outputs are stale (execution counts "
                         f"{', '.join('-' if c is None else str(c) for c in counts[:8])}"
                         f"{', ...' if len(counts) > 8 else ''}, not 1 to {len(counts)} in order: not run "
                         "top to bottom in a fresh kernel): run make execute")
    return lines


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
