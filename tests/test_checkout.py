"""The environment belongs to its checkout: another checkout's .venv (linked or copied) is
refused by the build and by the test run, and make sets .venv up again for this checkout."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tashkent_report.config import ROOT
from tashkent_report.render import pipeline as build

slow = pytest.mark.slow
TRACKED = ["Makefile", "conftest.py", "pyproject.toml", "requirements.txt", "requirements.in", "src", "data",
           "notebooks", "tests", "tools/jupyterlab", "tools/jupyter"]


def other_checkout(dest: Path) -> Path:
    """A second checkout of the project (its tracked files), without an environment."""
    dest.mkdir(parents=True)
    for name in TRACKED:
        source = ROOT / name
        if source.is_dir():
            junk = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
            shutil.copytree(source, dest / name, ignore=junk)
        else:
            shutil.copy2(source, dest / name)
    return dest


@pytest.fixture(scope="module")
def second(tmp_path_factory):
    root = other_checkout(tmp_path_factory.mktemp("second") / "checkout")
    os.symlink(ROOT / ".venv", root / ".venv")  # this checkout's environment, linked
    return root


def test_the_build_refuses_another_checkouts_package_before_anything_else(second, monkeypatch, capsys):
    monkeypatch.setenv("TASHKENT_REPORT_CHECKOUT", str(second))
    assert build.main(["--timeout", "ten", "--out", str(second / "reports")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("Build stopped: this checkout's environment runs another checkout's code")
    assert err.count("Build stopped") == 1 and "Traceback" not in err
    assert f"{second / '.venv'} is a link to {ROOT / '.venv'}" in err
    assert "make clean-venv, then make report" in err
    assert not (second / "reports").exists()


@slow
def test_the_build_run_as_make_runs_it_stops_and_builds_nothing_elsewhere(second):
    """`make report` in the second checkout runs its .venv/bin/python -m tashkent_report.render."""
    reports = ROOT / "reports"
    before = os.readlink(reports) if reports.is_symlink() else None
    ran = subprocess.run([str(second / ".venv" / "bin" / "python"), "-m", "tashkent_report.render",
                          "--force"],
                         cwd=second, capture_output=True, text=True, timeout=120,
                         env={k: v for k, v in os.environ.items() if not k.startswith("TASHKENT_")})
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert ran.stderr.strip().startswith("Build stopped: this checkout's environment runs another checkout's")
    assert "Building" not in ran.stdout and not (second / "reports").exists()
    assert (os.readlink(reports) if reports.is_symlink() else None) == before


@slow
def test_the_test_run_refuses_another_checkouts_package(second):
    ran = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "tests/test_habits.py"],
                         cwd=second, capture_output=True, text=True, timeout=120)
    assert ran.returncode != 0
    out = ran.stdout + ran.stderr
    assert "this checkout's environment runs another checkout's code" in out and "make clean-venv" in out
    assert "Traceback" not in out and " passed" not in out and "error" not in out.lower().replace(
        "errors", ""), out


def test_this_checkouts_own_package_passes():
    from tashkent_report.render.checkout import foreign_package

    assert foreign_package(ROOT) is None
    assert foreign_package(ROOT / "data") is None  # not a checkout: nothing to compare with


def make(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "VIRTUAL_ENV") and not k.startswith("TASHKENT_")}
    return subprocess.run(["make", "--no-print-directory", *args], cwd=root, capture_output=True, text=True,
                          env=env, timeout=900)


def test_this_checkouts_own_environment_is_trusted():
    assert (ROOT / ".venv" / ".installed").read_text().strip() == str(ROOT)
    assert make(ROOT, "-q", "venv").returncode == 0  # up to date: nothing to set up


@pytest.mark.parametrize("state, says", [
    ("interrupted", ".venv is incomplete (its setup was interrupted): setting it up again"),
    ("copied", ".venv was set up for /elsewhere/checkout: setting it up again for "),
])
def test_an_interrupted_or_copied_setup_is_never_trusted(tmp_path, state, says):
    """Ctrl-C while `python -m venv` ran ensurepip leaves a .venv without pip and without the
    stamp; a copied checkout's stamp names the other folder. Make starts again from nothing
    (here with a Python that fails at once, to stop right after the clean-up)."""
    root = other_checkout(tmp_path / "checkout")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / ".venv")], check=True)
    if state == "copied":
        (root / ".venv" / ".installed").write_text("/elsewhere/checkout\n")
        os.utime(root / ".venv" / ".installed")  # now: newer than requirements.txt
    ran = make(root, "venv", "PYTHON=false")
    assert ran.returncode != 0
    assert ran.stdout.splitlines()[0].startswith(says), ran.stdout + ran.stderr
    assert not os.path.lexists(root / ".venv")


@slow
def test_a_linked_environment_is_replaced_by_this_checkouts_own(tmp_path):
    root = other_checkout(tmp_path / "checkout")
    os.symlink(ROOT / ".venv", root / ".venv")
    theirs = (ROOT / ".venv" / ".installed").read_bytes(), sorted(os.listdir(ROOT / ".venv"))
    ran = make(root, "venv")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert ran.stdout.startswith(f".venv is a link to {ROOT / '.venv'}, another checkout's environment")
    assert not (root / ".venv").is_symlink()
    assert (root / ".venv" / ".installed").read_text().strip() == str(root)
    where = subprocess.run([str(root / ".venv" / "bin" / "python"), "-c",
                            "import tashkent_report; print(tashkent_report.__file__)"],
                           capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where).resolve() == (root / "src" / "tashkent_report" / "__init__.py").resolve()
    assert ((ROOT / ".venv" / ".installed").read_bytes(), sorted(os.listdir(ROOT / ".venv"))) == theirs
    assert make(root, "-q", "venv").returncode == 0


@slow
def test_cleared_or_stale_saved_outputs_are_named_once_each_before_any_test(tmp_path):
    """JupyterLab's Clear All Outputs then save, or cells run out of order: one line per notebook,
    and make execute named, instead of a failure per cell and an error per test."""
    import json

    from .test_pipeline import copy_project

    root = copy_project(tmp_path / "project")
    cleared, stale = root / "notebooks" / "02-message.ipynb", root / "notebooks" / "04-methods.ipynb"
    nb = json.loads(cleared.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    cleared.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    nb = json.loads(stale.read_text(encoding="utf-8"))
    code = [cell for cell in nb["cells"] if cell["cell_type"] == "code"]
    code[0]["execution_count"], code[1]["execution_count"] = 2, 1
    stale.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    ran = subprocess.run([sys.executable, "-m", "pytest", "-q", "--co", "tests", "notebooks", "--nbval"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "TASHKENT_REPORT_ROOT": str(root)})
    out = ran.stdout + ran.stderr
    assert ran.returncode == 4, out
    lines = [line for line in out.splitlines() if line.startswith("notebooks/")]
    counts = [2, 1, *range(3, len(code) + 1)]
    shown = ", ".join(map(str, counts[:8])) + (", ..." if len(counts) > 8 else "")
    assert lines == ["notebooks/02-message.ipynb: its saved outputs are missing (cleared): run make execute",
                     f"notebooks/04-methods.ipynb: its saved outputs are stale (execution counts {shown}, "
                     f"not 1 to {len(code)} in order: not run top to bottom in a fresh kernel): run make "
                     "execute"], out
    assert "Traceback" not in out and "make execute re-runs every notebook" in out
