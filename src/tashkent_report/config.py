"""Project paths, found from the package's location rather than the working directory."""

import os
from pathlib import Path


def _find_root() -> Path:
    # A test or a second checkout can point the package at another copy of the project.
    if os.environ.get("TASHKENT_REPORT_ROOT"):
        return Path(os.environ["TASHKENT_REPORT_ROOT"]).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "data" / "datapackage.json").is_file():
            return parent
    raise RuntimeError(f"cannot find the project root (data/datapackage.json) above {here}")


PACKAGE = Path(__file__).resolve().parent  # tashkent_report/, every subpackage
ROOT = _find_root()
DATA = ROOT / "data"
DATAPACKAGE = DATA / "datapackage.json"
# The data step's output: data/ checked, as plain CSV tables and a manifest (not committed; any
# load makes it again when data/ or the checking code changed). Beside data/, named the same way
# for any copy of data/ (a test's, a second checkout's).
PROCESSED = ROOT / "processed"
FIGURES = ROOT / "figures"
NOTEBOOKS = ROOT / "notebooks"
REPORTS = ROOT / "reports"
# The chapter that holds the French source (each figure's quote, #q-…) and the sources table
# (#src-…): the numbers and citations of every chapter link there, by file, so that a link opens
# that notebook in JupyterLab; the built report, one page, links to the same ids (html.localise).
APPENDIX = "05-appendix.ipynb"


def relative(path: Path) -> str:
    """Path as shown in messages: relative to the project root when possible."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)
# The build hands the notebooks it has executed to the one that audits them (04), by folder.
EXECUTED_VARIABLE = "TASHKENT_EXECUTED_NOTEBOOKS"


def chapters(folder: Path = NOTEBOOKS) -> list[Path]:
    """The report's chapters, in the order their numbers give (NN-name.ipynb; never an export such as
    nbconvert's NN-name.nbconvert.ipynb beside them)."""
    return sorted(p for p in folder.glob("[0-9][0-9]-*.ipynb") if "." not in p.stem)
