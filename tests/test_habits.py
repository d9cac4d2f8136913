"""A Jupyter user's own habits keep working: `jupyter nbconvert --execute` from any working
directory, and `pytest --nbval notebooks/` without the project's options."""

import subprocess
import sys

import nbformat
import pytest

from tashkent_report.config import NOTEBOOKS, ROOT
from tests.test_exporters import jupyter

pytestmark = pytest.mark.slow  # each runs a whole notebook again, through another tool


def test_nbconvert_execute_from_any_working_directory(tmp_path):
    """`jupyter nbconvert --execute` from outside the project finds the data and gives the
    committed outputs."""
    source = NOTEBOOKS / "03-context.ipynb"
    jupyter("nbconvert", "--execute", "--to", "notebook", "--output-dir", str(tmp_path), str(source),
            cwd=tmp_path)

    def outputs(path):
        return [cell.get("outputs") for cell in nbformat.read(path, as_version=4).cells]

    assert outputs(tmp_path / source.name) == outputs(source)


def test_pytest_nbval_on_the_notebooks_folder_as_users_type_it():
    """`pytest --nbval notebooks/`, the plain command without the project's options, collects
    every notebook; one is run here (-k), make test runs them all."""
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "--nbval", "notebooks/", "-k", "03-context"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert ran.returncode == 0, ran.stdout[-3000:]
    summary = ran.stdout.strip().splitlines()[-1]
    assert " passed" in summary and " deselected" in summary, summary
