"""The README works as written: every make target, path and cell its code blocks name exists."""

import re

import nbformat

from tashkent_report.config import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"(?ms)^```[^\n]*\n(.*?)^```", README)
GENERATED = ("reports", ".reports.d", ".cache", "mutants", ".nox", ".venv")


def make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"(?m)^([\w-]+):", makefile))


def named_paths(block: str) -> list[str]:
    """Paths in commands, and the first word of each line of the layout map."""
    paths = re.findall(r"(?<![\w/.])((?:\.venv/bin/|notebooks/|src/|data/|bench/|tests/)[\w./-]+)", block)
    paths += re.findall(r"(?m)^ {0,2}([\w.-]+(?:/[\w.-]*)*)\s{2,}", block)
    return paths


def test_every_make_target_in_the_readme_exists():
    named = {t for block in BLOCKS for t in re.findall(r"\bmake ([a-z][\w-]*)", block)}
    assert named, "the README's code blocks name no make target"
    assert named <= make_targets(), named - make_targets()


def test_every_path_in_the_readme_code_blocks_exists():
    layout = next(b for b in BLOCKS if b.startswith("README.md"))
    missing = []
    for block in BLOCKS:
        for path in named_paths(block):
            top = path.split("/")[0]
            if block is layout and "/" not in path.rstrip("/") and not (ROOT / path).exists():
                # a nested entry of the map (raw/, facts/ ...) sits under the folder above it
                parents = [p for p in ("data", "src/tashkent_report") if (ROOT / p / path).exists()]
                path = f"{parents[0]}/{path}" if parents else path
            if top in GENERATED and top != ".venv":
                continue
            if not (ROOT / path).exists():
                missing.append(path)
    assert missing == []


def test_the_readmes_failure_example_names_a_real_cell_by_its_number():
    path, number, cell_id = re.search(r"Build stopped: (notebooks/\S+\.ipynb), cell (\d+) \(id ([\w-]+)\)",
                                      README).groups()
    cells = nbformat.read(ROOT / path, as_version=4).cells
    assert cells[int(number) - 1]["id"] == cell_id

