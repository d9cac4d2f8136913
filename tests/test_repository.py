"""What the repository carries besides the report: the code host's CI workflow, nbdime, the citation,
Binder's configuration, the licence files, the changelog and the README's pictures.

Tests that exercise other projects' tools (actionlint, shellcheck, nbdime through git, jsonschema,
pdftoppm) or check the wording of files (licence texts, Makefile lines) are marked ``slow``: they
guard the repository, not the report, and `make test-slow` (CI) runs them."""

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import jsonschema
import pytest
import yaml
from packaging.specifiers import SpecifierSet

from tashkent_report.config import ROOT

BIN = Path(sys.executable).parent
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
slow = pytest.mark.slow


def supported_pythons() -> list[str]:
    spec = SpecifierSet(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"])
    return [f"3.{minor}" for minor in range(8, 16) if f"3.{minor}" in spec]


def workflow() -> dict:
    # PyYAML reads the key `on` as True (YAML 1.1); the tests below do not need it.
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def runs(job: dict) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def actionlint(path: Path) -> subprocess.CompletedProcess:
    command = [str(BIN / "actionlint"), f"-shellcheck={BIN / 'shellcheck'}", "-pyflakes=", str(path)]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT)


def test_ci_runs_the_readme_test_command_on_every_supported_python():
    jobs = workflow()["jobs"]
    matrix_jobs = [job for job in jobs.values() if "matrix" in job.get("strategy", {})]
    assert len(matrix_jobs) == 1, "one job runs make test on each Python"
    job = matrix_jobs[0]
    assert job["strategy"]["matrix"]["python"] == supported_pythons() == ["3.11", "3.12", "3.13"]
    setup = next(step for step in job["steps"] if step.get("uses", "").startswith("actions/setup-python@"))
    assert setup["with"]["python-version"] == "${{ matrix.python }}"
    # The Python that setup-python installed is the one make uses, and the command is the README's.
    assert "make test" in (ROOT / "README.md").read_text(encoding="utf-8")
    make = [run for run in runs(job) if run.startswith("make ")]
    assert make == ['make PYTHON="$PYTHON_PATH" test']
    step = next(step for step in job["steps"] if step.get("run") == make[0])
    assert step["env"]["PYTHON_PATH"] == f"${{{{ steps.{setup['id']}.outputs.python-path }}}}"


def test_ci_runs_the_slow_cases_too():
    commands = [run for job in workflow()["jobs"].values() for run in runs(job)]
    assert any(run.startswith("make ") and run.endswith(" test-slow") for run in commands)


@slow
def test_make_lint_runs_actionlint_on_the_workflows():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    lint = makefile[makefile.index("\nlint:"):].split("\n\n")[0]
    assert "$(BIN)/actionlint" in lint and ".github/workflows/*.yml" in lint
    test_rule = next(line for line in makefile.splitlines() if line.startswith("test:"))
    assert "lint" in test_rule.split(":", 1)[1].split()


@slow
def test_the_workflow_passes_actionlint():
    result = actionlint(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


@slow
@pytest.mark.parametrize("old, new, rule", [
    ("python-version: ${{ matrix.python }}", "python-version: ${{ matrix.pyhton }}", "expression"),
    ('make PYTHON="$PYTHON_PATH" test', "make PYTHON=$PYTHON_PATH test", "shellcheck"),
    ("runs-on: ubuntu-24.04", "runs-on: ubuntu-24.4", "runner-label"),
], ids=["misspelt-matrix-key", "unquoted-variable", "unknown-runner"])
def test_actionlint_finds_what_breaks_a_workflow(tmp_path, old, new, rule):
    text = WORKFLOW.read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / "ci.yml"
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    result = actionlint(broken)
    assert result.returncode == 1 and f"[{rule}]" in result.stdout, result.stdout + result.stderr



def git(repo: Path, *args: str) -> subprocess.CompletedProcess:
    """git in a repository of the test's own, with no user or system configuration."""
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(repo.parent), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True)


@slow
def test_git_diffs_notebooks_through_nbdime_once_enabled(tmp_path):
    """The README's `nbdime config-git --enable` with the repository's .gitattributes: git diff
    shows the changed cell; without .gitattributes the same change is a diff of JSON text."""
    import nbformat

    repo = tmp_path / "clone"
    repo.mkdir()
    git(repo, "init", "-q")
    shutil.copy(ROOT / ".gitattributes", repo / ".gitattributes")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("count = 47", id="cell-1")])
    nbformat.write(notebook, repo / "chapter.ipynb")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "one notebook")
    subprocess.run([str(BIN / "nbdime"), "config-git", "--enable"], cwd=repo, check=True, capture_output=True,
                   env={"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1"})
    assert not (repo / ".git" / "info" / "attributes").exists(), "the repository's .gitattributes sufficed"
    notebook.cells[0].source = "count = 63"
    nbformat.write(notebook, repo / "chapter.ipynb")

    assert git(repo, "check-attr", "diff", "merge", "--", "chapter.ipynb").stdout.split() == [
        "chapter.ipynb:", "diff:", "jupyternotebook", "chapter.ipynb:", "merge:", "jupyternotebook"]
    through_nbdime = git(repo, "diff", "--", "chapter.ipynb").stdout
    assert "## modified /cells/0/source" in through_nbdime and '"source"' not in through_nbdime

    git(repo, "rm", "-q", ".gitattributes")  # from the index too, where git would still read it
    as_text = git(repo, "diff", "--", "chapter.ipynb").stdout
    assert "## modified" not in as_text and '"source": [' in as_text and '-    "count = 47"' in as_text



# The CFF 1.2.0 schema, copied unchanged from the cffconvert 2.0.0 wheel (cffconvert/schemas/1.2.0/
# schema.json; the schema is the Citation File Format project's, CC BY 4.0). cffconvert itself
# needs jsonschema < 4, which the environment's Jupyter packages cannot use, so the check is
# cffconvert's own: jsonschema with format checks, dates read as strings.
CFF_SCHEMA = ROOT / "tests" / "schemas" / "citation-file-format-1.2.0.json"


class CFFLoader(yaml.SafeLoader):
    """YAML as cffconvert reads CITATION.cff: a date stays the string it was written as."""


CFFLoader.add_constructor("tag:yaml.org,2002:timestamp", CFFLoader.construct_yaml_str)


def citation(text: str | None = None) -> dict:
    return yaml.load(text if text is not None else (ROOT / "CITATION.cff").read_text(encoding="utf-8"),
                     Loader=CFFLoader)


def cff_errors(data: dict) -> list[str]:
    schema = json.loads(CFF_SCHEMA.read_text(encoding="utf-8"))
    assert schema["$id"].endswith(f"/{data.get('cff-version')}/schema.json"), "the schema of its cff-version"
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
            for error in validator.iter_errors(data)]


@slow
def test_citation_cff_is_valid():
    assert cff_errors(citation()) == []


@slow
@pytest.mark.parametrize("edit, where", [
    (lambda cff: cff.pop("authors"), "(top)"),
    (lambda cff: cff.update({"licence": "MIT"}), "(top)"),
    (lambda cff: cff.update({"license": "MIT OR CC-BY-4.0"}), "license"),
    (lambda cff: cff.update({"date-released": "2024-09-31"}), "date-released"),
    (lambda cff: cff["authors"].append({"given-names": ""}), "authors/1"),
], ids=["no-authors", "misspelt-key", "not-an-spdx-id", "no-such-date", "empty-name"])
def test_the_schema_check_rejects_a_broken_citation(edit, where):
    data = citation()
    edit(data)
    assert [error for error in cff_errors(data) if error.startswith(f"{where}:")]


@slow
def test_an_unquoted_date_is_read_as_cffconvert_reads_it():
    data = citation("cff-version: 1.2.0\nmessage: m\ntitle: t\nauthors: [{name: n}]\n"
                    "date-released: 2024-09-05\n")
    assert data["date-released"] == "2024-09-05" and cff_errors(data) == []


def test_citation_agrees_with_the_project():
    from tashkent_report import __version__
    from tashkent_report.render.meta import report_meta

    data = citation()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert data["version"] == pyproject["version"] == __version__, "CITATION.cff's version is the package's"
    meta = report_meta({"sources": [{"title": ""}]}, "0" * 64)
    assert data["title"] == meta["title"], "CITATION.cff's title is the report's (build.report_meta)"
    for licence in ("LICENSE", "LICENSE-CC-BY-4.0"):
        assert f"({licence})" in data["message"] and (ROOT / licence).is_file()


BINDER = ROOT / "binder"
PINNED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*==[0-9][0-9A-Za-z.+!-]*")


def lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def test_binder_installs_the_pinned_environment():
    requirements = lines(BINDER / "requirements.txt")
    # pip reads -r relative to the file that holds it.
    included = [(BINDER / line.split(None, 1)[1]).resolve()
                for line in requirements if line.startswith("-r ")]
    assert included == [ROOT / "requirements.txt"]
    extra = [line for line in requirements if not line.startswith("-r ")]
    assert [line for line in extra if not PINNED.fullmatch(line)] == []
    project = {line.split("==")[0].lower().replace("_", "-") for line in lines(ROOT / "requirements.txt")}
    assert [line for line in extra if line.split("==")[0].lower().replace("_", "-") in project] == [], \
        "a package of requirements.txt pinned again for Binder"


def test_binder_python_is_the_one_the_pins_were_frozen_on():
    runtime = (BINDER / "runtime.txt").read_text(encoding="utf-8").strip()
    assert re.fullmatch(r"python-3\.\d+", runtime), runtime
    assert runtime.removeprefix("python-") == supported_pythons()[0]
    assert f"for p in python{supported_pythons()[0]} " in (ROOT / "Makefile").read_text(encoding="utf-8")


@slow
def test_binder_post_build_installs_the_package_and_passes_shellcheck():
    post_build = BINDER / "postBuild"
    assert os.access(post_build, os.X_OK), "repo2docker runs binder/postBuild as a program"
    commands = lines(post_build)
    installs = [c for c in commands if re.search(r"\bpip install\b", c)]
    assert len(installs) == 1 and installs[0].endswith(" -e .") and "--no-deps" in installs[0]
    result = subprocess.run([str(BIN / "shellcheck"), str(post_build)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def apt_installs(script: str) -> set[str]:
    words = script.replace("\\\n", " ").split()
    found = set()
    for i, word in enumerate(words):
        if word == "install" and i and words[i - 1] == "apt-get":
            for arg in words[i + 1:]:
                if arg in ("&&", ";", "||"):
                    break
                if not arg.startswith("-"):
                    found.add(arg)
    return found


def test_binder_and_ci_install_the_same_system_packages():
    binder = set(lines(BINDER / "apt.txt"))
    assert binder
    for name, job in workflow()["jobs"].items():
        assert set().union(*map(apt_installs, runs(job))) == binder, name


def test_apt_installs_reads_a_continued_command():
    script = "sudo apt-get update\nsudo apt-get install -y \\\n  libpango-1.0-0 fonts-x && echo done\n"
    assert apt_installs(script) == {"libpango-1.0-0", "fonts-x"}


@slow
def test_licence_files_hold_the_licences_the_readme_names():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = " ".join(readme[readme.index("## Licences"):].split())
    assert "MIT, in [`LICENSE`](LICENSE)" in section
    assert "CC BY 4.0, whose legal code is in [`LICENSE-CC-BY-4.0`](LICENSE-CC-BY-4.0)" in section
    mit = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert mit.startswith("MIT License\n\nCopyright (c) ")
    assert "Permission is hereby granted, free of charge" in mit
    cc = (ROOT / "LICENSE-CC-BY-4.0").read_text(encoding="utf-8")
    assert cc.startswith("Attribution 4.0 International\n")
    assert [n for n in range(1, 9) if f"\nSection {n} -- " not in cc] == [], "the whole legal code"
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"] == {"text": "MIT"}


RECORD = ROOT / "docs" / "readme-images.json"
RERUN = ("Run `make readme-images` (it rebuilds the report first if its inputs changed, and needs "
         "pdftoppm from poppler-utils), then commit docs/.")


def readme_images():
    """docs/readme_images.py as a module (docs/ is not a package)."""
    spec = importlib.util.spec_from_file_location("readme_images", ROOT / "docs" / "readme_images.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stale_readme_images(record: dict) -> list[str]:
    """Pictures that are not what make readme-images wrote, and a chart that no longer shows what
    its chart in figures/ shows. Page 1 is compared with a fresh build by a slow test below."""
    problems = []
    for image in record["images"]:
        path = ROOT / image["path"]
        if not path.is_file() or sha256(path) != image["sha256"]:
            problems.append(f"{image['path']} is not the image make readme-images wrote")
        elif "copy_of" in image:
            source = ROOT / image["copy_of"]
            if not source.is_file() or sha256(source) != sha256(path):
                problems.append(f"{image['copy_of']} no longer shows what {image['path']} shows")
    return problems


def test_readme_images_are_current():
    problems = stale_readme_images(json.loads(RECORD.read_text(encoding="utf-8")))
    assert not problems, "; ".join(problems) + ". " + RERUN


def test_readme_shows_the_recorded_images_and_no_other():
    record = json.loads(RECORD.read_text(encoding="utf-8"))
    recorded = [image["path"] for image in record["images"]]
    assert sorted(recorded) == sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.png"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = re.findall(r'<img src="([^"]+)"[^>]* alt="[^"]{20,}"', readme)
    assert shown == recorded, "the README shows each picture, with an alternative text"
    assert [image for image in record["images"] if "copy_of" in image], "one is a chart of figures/"


@pytest.mark.parametrize("change, problem", [
    (lambda record: record["images"][0].update(sha256="0" * 64), "is not the image make readme-images wrote"),
    (lambda record: record["images"][1].update(copy_of="figures/message-coverage.png"),
     "figures/message-coverage.png no longer shows what docs/chart-"),
    (lambda record: record["images"][1].update(path="docs/gone.png"), "docs/gone.png is not the image"),
], ids=["page-image", "chart-source", "missing-image"])
def test_stale_readme_images_are_named(change, problem):
    record = json.loads(RECORD.read_text(encoding="utf-8"))
    assert "copy_of" not in record["images"][0] and "copy_of" in record["images"][1]
    change(record)
    assert [p for p in stale_readme_images(record) if problem in p]


def fresh_pdf() -> Path:
    """reports/report.pdf as `make report` leaves it: built now if its inputs changed since the last
    build, as is (in a second) if not, as in CI after make axe has built it."""
    result = subprocess.run([sys.executable, "-m", "tashkent_report.render"], cwd=ROOT, capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return ROOT / "reports" / "report.pdf"


@slow
def test_readme_page_picture_shows_page_1_of_a_fresh_build(tmp_path):
    """Page 1's words are the recorded ones; drawn by the same pdftoppm, the picture is page 1 pixel
    for pixel, but for the inputs hash it prints (which any edit of the package changes). One test,
    so that one build serves every check."""
    from PIL import Image, ImageDraw

    module = readme_images()
    pdf = fresh_pdf()
    page = json.loads(RECORD.read_text(encoding="utf-8"))["images"][0]
    assert module.page_1_text(pdf) == page["text"], "page 1 says something else now. " + RERUN
    pdftoppm = shutil.which("pdftoppm")
    if not pdftoppm or not shutil.which("pdftotext") or module.pdftoppm_version(pdftoppm) != page["pdftoppm"]:
        pytest.skip(f"the pixels are compared with {page['pdftoppm']} only (poppler-utils)")
    box = module.differences(pdftoppm, pdf, ROOT / page["path"])
    assert box is None, f"page 1 looks different now, in the box {box} of the picture. " + RERUN

    # The comparison itself: a change in the title is found, one where the hash is printed is not.
    left, top, _, bottom = module.inputs_hash_box(pdf)
    for painted, found in [((60, 60, 120, 80), True), ((left + 4, top + 4, left + 40, bottom - 4), False)]:
        picture = tmp_path / "page.png"
        module.draw_page_1(pdftoppm, pdf, picture)
        with Image.open(picture) as image:
            ImageDraw.Draw(image).rectangle(painted, fill="red")
            image.save(picture)
        assert (module.differences(pdftoppm, pdf, picture) is not None) == found, painted


@slow
def test_readme_images_says_what_to_install_without_pdftoppm(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "docs" / "readme_images.py")], capture_output=True,
                            text=True, cwd=tmp_path, env={"PATH": str(tmp_path), "HOME": str(tmp_path)})
    assert result.returncode == 1
    assert "pdftoppm is missing: install poppler-utils" in result.stderr
    assert not (tmp_path / "docs").exists()


def test_the_fixtures_that_make_tests_slow_exist():
    """tests/conftest.py marks slow every test using one of these fixtures, by its name."""
    from tests.conftest import SLOW_FIXTURES

    for name, module in SLOW_FIXTURES.items():
        assert f"\ndef {name}(" in (ROOT / module).read_text(encoding="utf-8"), \
            f"{module} no longer defines the fixture {name}: update SLOW_FIXTURES"


KEEP_A_CHANGELOG = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


def changelog_dates(text: str) -> list[str]:
    """The milestones' dates, newest first, after the Unreleased section; Keep a Changelog's headings."""
    headings = re.findall(r"^(#{2,3}) (.+)$", text, re.MULTILINE)
    releases = [title for level, title in headings if level == "##"]
    assert releases[0] == "[Unreleased]", "the Unreleased section comes first"
    assert {title for level, title in headings if level == "###"} <= KEEP_A_CHANGELOG
    dates = [re.search(r" - (\d{4}-\d{2}-\d{2})$", title) for title in releases[1:]]
    assert all(dates), "every milestone ends with its date"
    found = [date.group(1) for date in dates]
    assert found == sorted(found, reverse=True), "newest first"
    return found


def test_changelog_dates_are_commit_dates():
    dates = changelog_dates((ROOT / "CHANGELOG.md").read_text(encoding="utf-8"))
    assert dates
    shallow = subprocess.run(["git", "rev-parse", "--is-shallow-repository"], cwd=ROOT,
                             capture_output=True, text=True)
    if shallow.returncode != 0 or shallow.stdout.strip() != "false":
        pytest.skip("not a git checkout with its whole history (the CI workflow fetches it all)")
    log = subprocess.run(["git", "log", "--format=%ad", "--date=short"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.split()
    assert [date for date in dates if date not in set(log)] == [], "a date on which no commit was made"


@pytest.mark.parametrize("text", [
    "# Changelog\n\n## First - 2026-11-27\n\n## [Unreleased]\n",
    "# Changelog\n\n## [Unreleased]\n\n## First\n",
    "# Changelog\n\n## [Unreleased]\n\n## Older - 2026-11-27\n\n## Newer - 2026-11-29\n",
    "# Changelog\n\n## [Unreleased]\n\n### Improved\n\n## First - 2026-11-27\n",
], ids=["unreleased-last", "undated", "oldest-first", "unknown-heading"])
def test_changelog_check_rejects(text):
    with pytest.raises(AssertionError):
        changelog_dates(text)


# What `jupyter nbconvert --to FORMAT notebooks/NN-x.ipynb` writes beside the notebook (measured with
# nbconvert 7: each stock format, the project's report and reportPDF), pictures in NN-x_files/.
EXPORTS = ["00-key-findings.html", "00-key-findings.slides.html", "00-key-findings.pdf", "00-key-findings.md",
           "00-key-findings.tex", "00-key-findings.rst", "00-key-findings.asciidoc", "00-key-findings.py",
           "00-key-findings.txt", "00-key-findings.nbconvert.ipynb", "00-key-findings.report.html",
           "00-key-findings.report.pdf", "01-participation_files/01-participation_3_0.svg"]


def test_exports_beside_a_notebook_are_ignored_and_the_notebooks_are_not():
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    paths = [f"notebooks/{name}" for name in [*EXPORTS, "00-key-findings.ipynb"]]
    result = subprocess.run(["git", "check-ignore", "--no-index", "--stdin"], input="\n".join(paths) + "\n",
                            cwd=ROOT, capture_output=True, text=True)
    assert result.stdout.split() == paths[:-1], "an export git would offer to commit, or an ignored notebook"


def lab_links():
    """tools/lab_links.py as a module (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location("lab_links", ROOT / "tools" / "lab_links.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("spot, scroll_top, expected", [
    ({"top": 0, "height": 120, "view": 779, "scrollTop": 1909}, None, True),      # scrolled to the top
    ({"top": 689, "height": 120, "view": 779, "scrollTop": 0}, None, False),      # its bottom below the view
    ({"top": -10, "height": 120, "view": 779, "scrollTop": 500}, None, False),    # its top above the view
    ({"top": 0, "height": 30, "view": 779, "scrollTop": 377}, 0, True),           # in view at the top already
    ({"top": 0, "height": 120, "view": 779, "scrollTop": 1634}, 0, False),        # far below at the top
    ({"top": 150, "height": 2000, "view": 779, "scrollTop": 900}, None, True),  # a tall cell, top high
    ({"top": 400, "height": 2000, "view": 779, "scrollTop": 900}, None, False),
    ({"top": 0, "height": 0, "view": 0, "scrollTop": 0}, None, False),            # a hidden tab
    (None, None, False),
], ids=["landed", "cut-off", "above", "was-in-view", "was-out-of-view", "tall", "tall-low", "hidden", "none"])
def test_lab_links_counts_a_target_in_view_only_inside_the_view(spot, scroll_top, expected):
    assert lab_links().in_view(spot, scroll_top) is expected
