"""The package's layout holds: import-linter's contracts pass here and fail on a circle or on the
analysis importing the build (each shown on a copy of the package with one import added)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tashkent_report.config import ROOT

LINT = str(Path(sys.executable).parent / "lint-imports")


def lint(src: Path) -> subprocess.CompletedProcess:
    """lint-imports with the project's contracts, on the package under ``src``."""
    env = {"PYTHONPATH": str(src), "PATH": str(Path(sys.executable).parent), "HOME": str(src)}
    return subprocess.run([LINT, "--config", str(ROOT / "pyproject.toml"), "--no-cache"], cwd=src,
                          capture_output=True, text=True, timeout=120, env=env)


def copy_with(tmp_path: Path, module: str, line: str) -> Path:
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "tashkent_report", src / "tashkent_report",
                    ignore=shutil.ignore_patterns("__pycache__"))
    path = src / "tashkent_report" / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    return src


@pytest.mark.slow  # make lint runs lint-imports on the package too
def test_the_contracts_hold_on_the_package():
    result = lint(ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


@pytest.mark.slow  # import-linter's own behaviour, on copies of the package
@pytest.mark.parametrize(("module", "line", "broken"), [
    ("analysis/prose.py", "from tashkent_report.analysis import findings  # noqa",
     "No circles between the analysis"),
    ("render/meta.py", "from tashkent_report.render import pipeline  # noqa",
     "No circles between the render"),
    ("analysis/dataset.py", "from tashkent_report.render import meta  # noqa", "Layers:"),
])
def test_a_circle_or_an_upward_import_breaks_a_contract(tmp_path, module, line, broken):
    result = lint(copy_with(tmp_path, module, line))
    assert result.returncode != 0
    summary = " ".join(result.stdout.split("Broken contracts")[0].split())  # contract lines wrap
    assert "2 kept, 1 broken" in summary
    name_of_broken = summary.split(" BROKEN")[0].rsplit(" KEPT", 1)[-1]
    assert broken in name_of_broken


@pytest.mark.slow  # a fresh interpreter checks the data from scratch (no cache): seconds
def test_the_analysis_leaves_an_analysts_kernel_as_it_found_it():
    """Loading the facts and drawing a chart change no global option: the matplotlib backend and
    style, pandas' display options, and rfc3987_syntax importable again after the data check."""
    code = (
        "import sys, matplotlib, pandas as pd\n"
        "backend, rc = matplotlib.get_backend(), dict(matplotlib.rcParams)\n"
        "rows = pd.get_option('display.max_rows')\n"
        "from tashkent_report.analysis import participation, plots\n"
        "from tashkent_report.analysis.dataset import load_facts\n"
        "facts = load_facts()\n"
        "plots.participation_chart(participation.participation_table(facts))\n"
        "assert matplotlib.get_backend() == backend, matplotlib.get_backend()\n"
        "assert dict(matplotlib.rcParams) == rc\n"
        "assert pd.get_option('display.max_rows') == rows\n"
        "assert sys.modules.get('rfc3987_syntax', 'absent') is not None\n"
        "print('unchanged')\n"
    )
    env = {"PATH": str(Path(sys.executable).parent), "TASHKENT_REPORT_NO_CACHE": "1",
           "MPLBACKEND": "module://x", "HOME": "/nonexistent"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                            env=env)
    assert result.stdout.strip() == "unchanged", result.stderr[-2000:]
