"""The whole build in a temporary copy of the project: hostile data, no network, permissions.

Each test builds in a subprocess with TASHKENT_REPORT_ROOT pointing at the copy, so the
notebooks' kernels read the copy's data and nothing of the real project is touched. Failed,
killed and interrupted builds are in tests/test_faults.py.
"""

import csv
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tashkent_report.config import ROOT
from tashkent_report.render import pipeline as build

from .test_report import external_refs

HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(2)>']


def copy_project(dest: Path, notebooks: list[str] | None = None) -> Path:
    dest.mkdir(parents=True)
    shutil.copytree(ROOT / "data", dest / "data")
    (dest / "notebooks").mkdir()
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb")):
        if notebooks is None or nb.name[:2] in notebooks:
            shutil.copy2(nb, dest / "notebooks" / nb.name)
    return dest


def offline_prefix() -> tuple[list[str], str]:
    """A command prefix that runs without any network but loopback, or why there is none."""
    if not shutil.which("unshare") or not shutil.which("ip"):
        return [], "unshare or ip (util-linux, iproute2) is not installed"
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return [], f"cannot create a network namespace here: {probe.stderr.strip() or probe.returncode}"
    # Kernels talk to the build over loopback, which a new namespace starts with down.
    return ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh"], ""


def build_command(root: Path, offline: bool = False) -> tuple[list[str], dict]:
    prefix, _ = offline_prefix() if offline else ([], "")
    env = {**os.environ, "TASHKENT_REPORT_ROOT": str(root)}
    return prefix + [sys.executable, "-m", "tashkent_report.render", "--out", str(root / "reports")], env


def set_cell(path: Path, row_id: str, column: str, value: str) -> None:
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    for row in rows[1:]:
        if row[0] == row_id:
            row[rows[0].index(column)] = value
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    """The full report built, offline where the platform allows, from data holding markup."""
    root = copy_project(tmp_path_factory.mktemp("hostile") / "project")
    facts = root / "data" / "facts"
    set_cell(facts / "figures.csv", "delegations", "translation", HOSTILE[0])
    set_cell(facts / "statements.csv", "s2_joint_exercises", "text_en", HOSTILE[1])
    set_cell(facts / "organisations.csv", "un", "name_en", HOSTILE[0])
    set_cell(facts / "participation.csv", "cis_bodies", "label_en", f"CIS bodies {HOSTILE[1]}")
    set_cell(root / "data" / "codebook.csv", "threats", "label_en", f"Threats {HOSTILE[0]}")
    _, why_not = offline_prefix()
    command, env = build_command(root, offline=not why_not)
    result = subprocess.run(command, env=env, cwd=root, capture_output=True, text=True, timeout=900)
    return root, result, why_not


def test_hostile_data_appears_as_text_never_as_markup(hostile_build):
    root, result, _ = hostile_build
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("report.html", "report-analyst.html"):
        html = (root / "reports" / name).read_text(encoding="utf-8")
        assert "<script" not in html.lower(), name
        assert "<img src=x" not in html and "onerror=alert" not in html.replace("onerror=alert(2)&gt;", "")
        assert "&lt;img src=x onerror=alert(2)&gt;" in html  # the chart's alt text, in both editions
        assert external_refs(html) == []
    # The tables that show the other cells (the codebook, the fact tables) are the analysts' only.
    analyst = (root / "reports" / "report-analyst.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in analyst


def test_build_needs_no_network(hostile_build):
    root, result, why_not = hostile_build
    if why_not:
        pytest.skip(f"build not isolated from the network: {why_not}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (root / "reports" / "report.pdf").stat().st_size > 10_000


def test_reports_are_readable_by_everyone(hostile_build):
    """Written with the usual umask (022): files 0644, their folder 0755, never 0600."""
    root, result, _ = hostile_build
    assert result.returncode == 0, result.stdout + result.stderr
    out = root / "reports"
    assert out.is_symlink()  # to the build's own folder; see publish.py
    modes = {p.name: oct(p.stat().st_mode & 0o777) for p in out.iterdir()}
    assert modes == {name: oct(0o644) for name in build.OUTPUT_NAMES}
    assert oct(out.resolve().stat().st_mode & 0o777) == oct(0o755)


@pytest.mark.slow
def test_make_execute_on_the_committed_notebooks_changes_no_byte(tmp_path):
    """The committed notebooks are what make execute writes: outputs, ids and {eval} results."""
    root = copy_project(tmp_path / "project")
    env = {**os.environ, "TASHKENT_REPORT_ROOT": str(root)}
    result = subprocess.run([sys.executable, "-m", "tashkent_report.render", "--execute-in-place"],
                            env=env, cwd=root, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    changed = [nb.name for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
               if (root / "notebooks" / nb.name).read_bytes() != nb.read_bytes()]
    assert changed == []
