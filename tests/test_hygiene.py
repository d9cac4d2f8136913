"""Dependency hygiene: everything pinned, a consistent environment, licences stated."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tashkent_report.config import ROOT

slow = pytest.mark.slow  # pip's check and the Makefile's wording: make test-slow
PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[a-z0-9,_-]+\])?==[0-9][0-9A-Za-z.+!-]*$")


@pytest.mark.parametrize("name", ["requirements.txt", "requirements.in"])
def test_every_requirement_is_pinned(name):
    lines = [line.strip() for line in (ROOT / name).read_text(encoding="utf-8").splitlines()]
    requirements = [line for line in lines if line and not line.startswith("#")]
    assert requirements
    assert [r for r in requirements if not PIN.match(r)] == []


def test_direct_requirements_are_in_the_full_pin_list():
    def pins(name):
        text = (ROOT / name).read_text(encoding="utf-8").lower().replace("_", "-")
        return {line.split("==")[0]: line.split("==")[1] for line in text.splitlines()
                if "==" in line and not line.startswith("#")}

    full, direct = pins("requirements.txt"), pins("requirements.in")
    assert {k: v for k, v in direct.items() if full.get(k) != v} == {}


@slow
def test_environment_is_consistent():
    # make's .venv has pip; nox's environments (made by uv) have the pinned uv but no pip.
    if importlib.util.find_spec("pip"):
        command = [sys.executable, "-m", "pip", "check"]
    else:
        command = [str(Path(sys.executable).parent / "uv"), "pip", "check", "--python", sys.executable]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_readme_states_the_licences():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Licences"):]
    for licence in ("LICENSE", "LICENSE-CC-BY-4.0"):  # each licence the section names is a file here
        assert f"]({licence})" in section and (ROOT / licence).is_file()



@slow
def test_supported_pythons_are_stated_alike():
    """pyproject's requires-python, the nox matrix, the Makefile's choice and the README agree."""
    import ast
    import tomllib

    from packaging.specifiers import SpecifierSet

    nox_module = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    nox_pythons = next(ast.literal_eval(node.value) for node in nox_module.body
                       if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "PYTHONS")
    spec = SpecifierSet(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"])
    allowed = [f"3.{minor}" for minor in range(8, 16) if f"3.{minor}" in spec]
    assert allowed == nox_pythons == ["3.11", "3.12", "3.13"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "for p in python3.11 python3.12 python3.13 python3" in makefile
    assert "(3, 11) <= sys.version_info[:2] < (3, 14)" in makefile
    assert "Python 3.11, 3.12 or 3.13" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_an_export_beside_a_chapter_is_no_chapter_and_no_input(tmp_path, monkeypatch):
    """jupyter nbconvert --to notebook writes NN-name.nbconvert.ipynb beside the chapter: the build
    neither runs it as a chapter nor lets it change the inputs' hash."""
    import shutil

    from tashkent_report.config import NOTEBOOKS, chapters
    from tashkent_report.render import meta

    folder = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, folder, ignore=shutil.ignore_patterns(".*", "*.*.ipynb"))
    monkeypatch.setattr(meta, "INPUT_GLOBS", [("notebooks", folder, meta.CHAPTERS)])
    before = meta.fingerprint()
    shutil.copy(folder / "00-key-findings.ipynb", folder / "00-key-findings.nbconvert.ipynb")
    assert "00-key-findings.nbconvert.ipynb" not in [p.name for p in chapters(folder)]
    assert meta.fingerprint() == before
