"""The README and the docs/ pages it links to work as written: every make target, path, link and
cell they name exists, and the README stays a front page."""

import re

import nbformat
import pytest

from tashkent_report.config import ROOT

PAGES = {path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8")
         for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]}
README = PAGES["README.md"]
BLOCKS = {name: re.findall(r"(?ms)^```[^\n]*\n(.*?)^```", text) for name, text in PAGES.items()}
GENERATED = ("reports", ".reports.d", ".cache", "mutants", ".nox", ".venv")


def make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"(?m)^([\w-]+):", makefile))


def named_paths(block: str) -> list[str]:
    """Paths in commands, and the entries of a map: a name at the start of a line followed by its
    description; an entry indented by two spaces sits in the folder entry above it."""
    paths = re.findall(r"(?<![\w/.])((?:\.venv/bin/|notebooks/|src/|data/|bench/|tests/)[\w./-]+)", block)
    folder = ""
    for indent, name, gap in re.findall(r"(?m)^( {0,2})([\w.-]+(?:/[\w.-]*)*)( +|$)", block):
        if not (len(gap) >= 2 or gap == "" or name.endswith("/")):
            continue  # a command or a sentence, not a map entry
        if indent:
            paths.append(folder + name)
        else:
            folder = name if name.endswith("/") else ""
            paths.append(name)
    return paths


def test_named_paths_reads_a_map_and_commands():
    block = ("data/               the facts\n  raw/               the article\n"
             "src/tashkent_report/ the package\n  analysis/          what notebooks import\n"
             "                     (a description carried over)\nMakefile            the front door\n"
             "make report   # writes reports/\n.venv/bin/jupyter nbconvert notebooks/01-x.ipynb\n")
    assert set(named_paths(block)) == {".venv/bin/jupyter", "notebooks/01-x.ipynb", "data/", "data/raw/",
                                       "src/tashkent_report/", "src/tashkent_report/analysis/", "Makefile"}


def test_the_readme_has_a_map_of_the_repository():
    assert any(block.startswith("README.md ") for block in BLOCKS["README.md"])


@pytest.mark.parametrize("page", PAGES)
def test_every_make_target_named_exists(page):
    named = {t for block in BLOCKS[page] for t in re.findall(r"\bmake ([a-z][\w-]*)", block)}
    named |= set(re.findall(r"`make ([a-z][\w-]*)", PAGES[page]))
    assert named <= make_targets(), named - make_targets()


def test_the_readme_names_make_targets():
    assert {"report", "test", "lab", "execute"} <= {
        t for block in BLOCKS["README.md"] for t in re.findall(r"\bmake ([a-z][\w-]*)", block)}


@pytest.mark.parametrize("page", PAGES)
def test_every_path_in_the_code_blocks_exists(page):
    missing = []
    for block in BLOCKS[page]:
        for path in named_paths(block):
            top = path.split("/")[0]
            if top in GENERATED and top != ".venv":
                continue
            if not (ROOT / path).exists():
                missing.append(path)
    assert missing == []


@pytest.mark.parametrize("page", PAGES)
def test_every_relative_link_resolves(page):
    """Links and pictures point at files of the repository (built reports once make report ran)."""
    prose = re.sub(r"(?ms)^```.*?^```|(`+).+?\1", "", PAGES[page])  # links in code are examples
    targets = re.findall(r"\]\(([^)\s]+)\)", prose) + re.findall(r'<img src="([^"]+)"', prose)
    here = (ROOT / page).parent
    missing = []
    for target in targets:
        if re.match(r"[a-z]+:|#", target):
            continue
        path = (here / target.split("#")[0]).resolve()
        if path.relative_to(ROOT).parts[0] in GENERATED:
            continue
        if not path.exists():
            missing.append(target)
    assert missing == []


def test_the_readme_is_a_front_page():
    """At most 2,000 words; the two commands, each with its time, on the first screen; every page
    of docs/ linked from it."""
    assert len(README.split()) <= 2000
    first_screen = "\n".join(README.splitlines()[:40])
    for command in ("make report", "make test"):
        assert re.search(rf"(?m)^{command} +# [^\n]*\d+ s", first_screen), command
    linked = set(re.findall(r"\]\((docs/[\w-]+\.md)\)", README))
    assert linked == {page for page in PAGES if page.startswith("docs/")}


def test_the_failure_example_names_a_real_cell_by_its_number():
    examples = [re.search(r"Build stopped: (notebooks/\S+\.ipynb), cell (\d+) \(id ([\w-]+)\)", text)
                for text in PAGES.values()]
    examples = [example for example in examples if example]
    assert examples, "a page shows what a failed build says"
    for example in examples:
        path, number, cell_id = example.groups()
        cells = nbformat.read(ROOT / path, as_version=4).cells
        assert cells[int(number) - 1]["id"] == cell_id
