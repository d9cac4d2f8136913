"""The environment belongs to its checkout: the package imported must be this checkout's own.

`make` installs the package into ``.venv`` in editable mode, which records the checkout's
absolute path. A ``.venv`` linked from another checkout, or copied or moved with its checkout
(``cp -a`` keeps the file times, so make sees nothing to redo), imports the *other* checkout's
package: its data, its notebooks, its ``reports/``. The build (``pipeline.main``) and the test run
(the root ``conftest.py``) call :func:`foreign_package` before anything else and stop with its
message; the Makefile sets ``.venv`` up again when its stamp names another checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

# Set by the Makefile to the folder make runs in; otherwise the working directory is used.
VARIABLE = "TASHKENT_REPORT_CHECKOUT"
# The package this process imported; found from this file, not from config, which the check
# must not need (it runs before anything else, and config finds the project from the package).
PACKAGE = Path(__file__).resolve().parents[1]


def is_checkout(folder: Path) -> bool:
    return (folder / "src" / "tashkent_report" / "__init__.py").is_file()


def foreign_package(checkout: Path | None = None, package: Path = PACKAGE) -> str | None:
    """None if ``package`` is ``checkout``'s own (or ``checkout`` is no checkout); else the message.

    ``checkout`` defaults to $TASHKENT_REPORT_CHECKOUT, else the working directory.
    """
    if checkout is None:
        checkout = Path(os.environ.get(VARIABLE) or os.getcwd())
    checkout = Path(checkout)
    if not is_checkout(checkout):
        return None  # run from elsewhere: nothing to compare with
    own = (checkout / "src" / "tashkent_report").resolve()
    if own == Path(package).resolve():
        return None
    venv = checkout / ".venv"
    if venv.is_symlink():
        how = f"{venv} is a link to {os.readlink(venv)}"
    else:
        how = f"{venv} was set up for another checkout (copied or moved with it)"
    return (f"this checkout's environment runs another checkout's code: it imports tashkent_report from "
            f"{Path(package).resolve()}, not from {own} ({how}).\n"
            "Run make clean-venv, then make report (or make test): make sets .venv up for this checkout.")

