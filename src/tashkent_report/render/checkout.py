"""The environment belongs to its checkout: a ``.venv`` linked from another checkout, or copied or moved
with it, imports the *other* checkout's package, data and ``reports/`` (make's editable install records
the path). The build and ``conftest.py`` call :func:`foreign_package` before anything else."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]  # not from config, which finds the project from the package


def foreign_package(checkout: Path | None = None) -> str | None:
    """None if the package is ``checkout``'s own (default: $TASHKENT_REPORT_CHECKOUT, else the working
    directory) or ``checkout`` is no checkout; else the message."""
    checkout = Path(checkout or os.environ.get("TASHKENT_REPORT_CHECKOUT") or os.getcwd())
    own = (checkout / "src" / "tashkent_report").resolve()
    if not (own / "__init__.py").is_file() or own == PACKAGE:
        return None
    venv = checkout / ".venv"
    how = (f"{venv} is a link to {os.readlink(venv)}" if venv.is_symlink()
           else f"{venv} was set up for another checkout (copied or moved with it)")
    return (f"this checkout's environment runs another checkout's code: it imports tashkent_report from "
            f"{PACKAGE}, not from {own} ({how}).\n"
            "Run make clean-venv, then make report (or make test): make sets .venv up for this checkout.")
