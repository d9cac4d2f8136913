"""The report where readers look: the readers' PDF committed as docs/report.pdf (the README's first
link), and the code host's workflow that publishes both editions and the PDF on Pages.

The committed copy is checked twice: here, fast, that it was built from the project's inputs as
they are now (any change to a notebook, data/ or the package makes it stale); in make test-slow,
that a fresh build in another folder is the committed copy byte for byte."""

import hashlib
import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tashkent_report.config import ROOT
from tashkent_report.render.meta import fingerprint

from .test_pipeline import build_command, copy_project
from .test_repository import apt_installs, lines, runs

PAGES = ROOT / ".github" / "workflows" / "pages.yml"


def report_copy():
    """docs/report_copy.py as a module (docs/ is not a package)."""
    spec = importlib.util.spec_from_file_location("report_copy", ROOT / "docs" / "report_copy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_report_is_built_from_the_current_inputs():
    module = report_copy()
    problems = module.stale(fingerprint())
    assert not problems, "; ".join(problems) + ". " + module.REFRESH


def test_a_stale_or_replaced_copy_is_named(tmp_path, monkeypatch):
    module = report_copy()
    record = json.loads(module.RECORD.read_text(encoding="utf-8"))
    assert [p for p in module.stale("f" * 64) if "so it is stale" in p and "now ffffffffffff" in p]

    copy, saved = tmp_path / "report.pdf", tmp_path / "report.json"
    shutil.copyfile(module.COPY, copy)
    saved.write_text(json.dumps({**record, "sha256": "0" * 64}), encoding="utf-8")
    monkeypatch.setattr(module, "COPY", copy)
    monkeypatch.setattr(module, "RECORD", saved)
    assert [p for p in module.stale(record["inputs"]) if "not the file make publish-docs copied" in p]
    saved.unlink()
    assert [p for p in module.stale(record["inputs"]) if "is missing" in p]


def test_the_readme_first_screen_links_to_the_committed_copy():
    first_screen = "\n".join((ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:40])
    assert "[`docs/report.pdf`](docs/report.pdf)" in first_screen
    assert "Pages site" in first_screen and ".github/workflows/pages.yml" in first_screen


@pytest.mark.slow
def test_a_fresh_build_elsewhere_is_the_committed_copy_byte_for_byte(tmp_path):
    """Builds are byte-identical wherever the project sits: a fresh build of a copy of the project
    in a temporary folder gives docs/report.pdf byte for byte."""
    root = copy_project(tmp_path / "project")
    for name in ("requirements.txt", "pyproject.toml"):  # inputs of the build too (render/meta.py)
        shutil.copy2(ROOT / name, root / name)
    command, env = build_command(root)
    result = subprocess.run(command + ["--force"], env=env, cwd=root, capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    fresh = (root / "reports" / "report.pdf").read_bytes()
    committed = (ROOT / "docs" / "report.pdf").read_bytes()
    assert hashlib.sha256(fresh).hexdigest() == hashlib.sha256(committed).hexdigest(), \
        "docs/report.pdf is not what a fresh build writes. " + report_copy().REFRESH


def pages() -> dict:
    # PyYAML reads the key `on` as True (YAML 1.1).
    return yaml.safe_load(PAGES.read_text(encoding="utf-8"))


def steps(job: str) -> list[dict]:
    return pages()["jobs"][job]["steps"]


def test_pages_workflow_builds_on_main_and_publishes_with_pinned_actions():
    workflow = pages()
    assert workflow[True]["push"] == {"branches": ["main"]}
    uses = [step["uses"] for job in workflow["jobs"].values() for step in job["steps"] if "uses" in step]
    assert uses and all(re.fullmatch(r"actions/[\w-]+@v\d+", use) for use in uses), uses
    names = {use.split("@")[0] for use in uses}
    assert {"actions/upload-pages-artifact", "actions/deploy-pages", "actions/upload-artifact"} <= names
    assert runs(workflow["jobs"]["build"]).count('make PYTHON="$PYTHON_PATH" report') == 1
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build" and deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"


def test_pages_workflow_installs_binders_system_packages():
    installed = set().union(*map(apt_installs, runs(pages()["jobs"]["build"])))
    assert installed == set(lines(ROOT / "binder" / "apt.txt"))


@pytest.mark.skipif(not shutil.which("bash"), reason="the workflow's steps are bash")
def test_the_pages_site_step_assembles_both_editions_and_the_pdf(tmp_path):
    """The workflow's own site step, run here on a reports/ link as a build leaves it; what it
    gives is what the upload steps upload."""
    build = tmp_path / ".reports.d" / "v-1"
    build.mkdir(parents=True)
    for name in ("report.html", "report-analyst.html", "report.pdf", ".inputs.sha256"):
        (build / name).write_text(f"the {name}\n", encoding="utf-8")
    (tmp_path / "reports").symlink_to(Path(".reports.d") / "v-1")
    site_step = next(step for step in steps("build") if step.get("name") == "The site")
    subprocess.run(["bash", "-euo", "pipefail", "-c", site_step["run"]], cwd=tmp_path, check=True)
    site = tmp_path / "_site"
    assert sorted(p.name for p in site.iterdir()) == ["index.html", "report-analyst.html", "report.html",
                                                      "report.pdf"]
    assert not [p for p in site.iterdir() if p.is_symlink()], "Pages refuses links in its artefact"
    assert (site / "index.html").read_text(encoding="utf-8") == "the report.html\n"
    with_ = {step["uses"].split("@")[0]: step.get("with", {}) for step in steps("build") if "uses" in step}
    assert with_["actions/upload-pages-artifact"]["path"] == "_site"
    assert with_["actions/upload-artifact"]["path"] == "_site/report.pdf"
