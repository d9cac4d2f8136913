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


def test_the_contracts_hold_on_the_package():
    result = lint(ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(("module", "line", "broken"), [
    ("analysis/prose.py", "from tashkent_report.analysis import findings  # noqa",
     "No circles between the analysis"),
    ("build/meta.py", "from tashkent_report.build import pipeline  # noqa", "No circles between the build"),
    ("analysis/dataset.py", "from tashkent_report.build import meta  # noqa", "Layers:"),
])
def test_a_circle_or_an_upward_import_breaks_a_contract(tmp_path, module, line, broken):
    result = lint(copy_with(tmp_path, module, line))
    assert result.returncode != 0
    summary = " ".join(result.stdout.split("Broken contracts")[0].split())  # contract lines wrap
    assert "2 kept, 1 broken" in summary
    name_of_broken = summary.split(" BROKEN")[0].rsplit(" KEPT", 1)[-1]
    assert broken in name_of_broken
