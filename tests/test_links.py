"""Links that work in JupyterLab as in the report.

In JupyterLab every chapter is its own notebook, so a link names what JupyterLab can find:
- within a notebook, a heading by its MyST label (``[§1.4](#sec-1.4)``, the line ``(sec-1.4)=``
  above the heading; jupyterlab-myst makes it a cross-reference), a table, quote or source by the
  id its output carries (``#tab-…``), a chart by its cell's id (``#cell-id=fig-…``: a chart is a
  PNG output, which carries no id);
- in another chapter, the same with the chapter's file in front, and a heading by its cell's id
  (``03-context.ipynb#cell-id=sec-3-1``: JupyterLab looks a heading up in another notebook only
  by cell).

The report, one page, turns each into the id of what it points to (html.localise). What
JupyterLab does with these links was measured in a browser (tools/lab_links.py,
docs/notebooks.md "Links").
"""

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

from tashkent_report.analysis.myst import stored, targets, without_targets
from tashkent_report.config import APPENDIX, ROOT, chapters
from tashkent_report.render.exporters import ReportHTMLExporter
from tashkent_report.render.html import finish, section_number

LINK = re.compile(r"\]\(([^)\s]*#[^)\s]+)\)")  # a Markdown link with a fragment
HREF = re.compile(r'href="([^"]*#[^"]+)"')
OUTPUT_ID = re.compile(r'\bid="([^"]+)"')
HEADING = re.compile(r"^#+\s+(.*)$")


def heading_number(cell) -> str | None:
    """The section number of the heading a Markdown cell opens with, as the report numbers it."""
    match = HEADING.match(without_targets(cell.source).split("\n", 1)[0])
    return section_number(match.group(1)) if match else None


def anchors(nb) -> dict[str, set[str]]:
    """What JupyterLab can find in a notebook: MyST labels, output ids, cell ids."""
    found = {"label": set(), "id": set(), "cell": set()}
    for cell in nb.cells:
        found["cell"].add(cell.id)
        if cell.cell_type == "markdown":
            found["label"].update(targets(cell.source))
        for output in cell.get("outputs", []):
            found["id"].update(OUTPUT_ID.findall(output.get("data", {}).get("text/html", "")))
    return found


def links(cell) -> list[str]:
    """The links of a Markdown cell: in its source, and in its {eval} results' HTML."""
    found = LINK.findall(cell.source)
    for result in stored(cell).values():
        found += HREF.findall(result.get("data", {}).get("text/html", ""))
    return found


def problems(books: dict[str, object]) -> list[str]:
    """Every link that JupyterLab could not follow, named by notebook, cell and link."""
    found = {name: anchors(nb) for name, nb in books.items()}
    wrong = []
    for name, nb in books.items():
        for index, cell in enumerate(nb.cells, 1):
            if cell.cell_type != "markdown":
                continue
            for link in links(cell):
                file, _, fragment = link.partition("#")
                home = file or name
                where = f"{name}, cell {index} (id {cell.id}): {link}"
                if home not in found:
                    wrong.append(f"{where}: no notebook {home}")
                elif fragment.startswith("cell-id="):
                    if fragment.removeprefix("cell-id=") not in found[home]["cell"]:
                        wrong.append(f"{where}: no cell with that id in {home}")
                elif fragment.startswith("sec-"):
                    if file:
                        wrong.append(f"{where}: a heading in another notebook is found by its cell "
                                     "(#cell-id=sec-…)")
                    elif fragment not in found[home]["label"]:
                        wrong.append(f"{where}: no MyST target ({fragment})= in {home}")
                elif fragment.startswith("fig-"):
                    wrong.append(f"{where}: a chart is found by its cell (#cell-id=fig-…)")
                elif fragment not in found[home]["id"]:
                    wrong.append(f"{where}: no output of {home} has the id {fragment}")
    return wrong


@pytest.fixture(scope="module")
def books():
    return {path.name: nbformat.read(path, as_version=4) for path in chapters()}


def test_every_link_in_the_notebooks_finds_its_target_as_jupyterlab_looks_for_it(books):
    assert sum(len(links(c)) for nb in books.values() for c in nb.cells if c.cell_type == "markdown") > 100
    assert problems(books) == []


def test_every_numbered_heading_has_its_label_and_its_cells_id_every_chart_its_cells_id(books):
    headings = charts = 0
    for name, nb in books.items():
        for cell in nb.cells:
            number = heading_number(cell) if cell.cell_type == "markdown" else None
            if number:
                headings += 1
                assert targets(cell.source) == [f"sec-{number}"], (name, cell.id)
                assert cell.id == "sec-" + number.replace(".", "-"), (name, number)
            for output in cell.get("outputs", []):
                figure = output.get("metadata", {}).get("image/png", {}).get("figure")
                if figure:
                    charts += 1
                    assert cell.id == f"fig-{figure}", (name, figure)
    assert headings >= 30 and charts >= 6


def tiny_books(source: str) -> dict[str, object]:
    one = nbformat.v4.new_notebook()
    heading = nbformat.v4.new_markdown_cell("(sec-1.1)=\n## 1.1 A heading")
    heading.id = "sec-1-1"
    table = nbformat.v4.new_code_cell("t")
    table.outputs = [nbformat.v4.new_output("display_data", data={"text/html": '<table id="tab-t"></table>'})]
    link = nbformat.v4.new_markdown_cell(source)
    link.id = "prose"
    one.cells = [heading, table, link]
    return {"01-one.ipynb": one}


@pytest.mark.parametrize("source", [
    "[§1.1](#sec-1.1), [Table](#tab-t), [§1.1](01-one.ipynb#cell-id=sec-1-1)",
    "",
])
def test_links_jupyterlab_can_follow_pass(source):
    assert problems(tiny_books(source)) == []


@pytest.mark.parametrize(("source", "says"), [
    ("[§1.2](#sec-1.2)", "no MyST target (sec-1.2)= in 01-one.ipynb"),
    ("[§1.1](01-one.ipynb#sec-1.1)", "a heading in another notebook is found by its cell (#cell-id=sec-…)"),
    ("[Figure](#fig-chart)", "a chart is found by its cell (#cell-id=fig-…)"),
    ("[Table](#tab-gone)", "no output of 01-one.ipynb has the id tab-gone"),
    ("[x](09-none.ipynb#q-x)", "no notebook 09-none.ipynb"),
    ("[x](#cell-id=sec-9)", "no cell with that id in 01-one.ipynb"),
])
def test_a_link_jupyterlab_cannot_follow_is_named_with_its_cell(source, says):
    link = source[source.index("(") + 1:-1]
    assert problems(tiny_books(source)) == [f"01-one.ipynb, cell 3 (id prose): {link}: {says}"]


def test_number_and_citation_links_name_the_appendix_which_holds_their_targets(books):
    appendix = anchors(books[APPENDIX])["id"]
    hrefs = [h for nb in books.values() for c in nb.cells if c.cell_type == "markdown"
             for h in links(c) if re.search(r"#(q|src)-", h)]
    assert len(hrefs) > 50
    assert {h.partition("#")[0] for h in hrefs} == {APPENDIX}
    assert {h.partition("#")[2] for h in hrefs} <= appendix


def page(*cells: tuple[str, str]) -> str:
    """nbconvert's HTML for the combined report: each cell a <div id="cell-id=…">."""
    return "".join(f'<div class="jp-Cell" id="cell-id={cid}">{body}</div>' for cid, body in cells)


def hrefs(html: str) -> list[str]:
    return [a["href"] for a in BeautifulSoup(html, "html.parser").find_all("a")]


def test_the_report_turns_each_jupyterlab_link_into_the_id_of_its_target():
    html = page(
        ("n01-prose", '<p><a href="03-context.ipynb#cell-id=sec-3-1">§3.1</a> '
                      '<a href="#cell-id=fig-chart">Figure</a> '
                      '<a href="05-appendix.ipynb#q-states">20</a> <a href="#sec-1.1">§1.1</a></p>'),
        ("n01-sec-1-1", "<h2>1.1 Here</h2>"),
        ("n01-fig-chart", '<figure id="fig-chart"><figcaption>A chart.</figcaption></figure>'),
        ("n03-sec-3-1", "<h2>3.1 There</h2>"),
        ("n05-c", '<mark id="q-states">vingt</mark>'),
    )
    done, broken = finish(html)
    assert broken == []
    assert hrefs(done)[:4] == ["#sec-3.1", "#fig-chart", "#q-states", "#sec-1.1"]
    texts = [a.get_text() for a in BeautifulSoup(done, "html.parser").find_all("a")]
    assert texts[:2] == ["§3.1", "Figure 1"]


def test_a_cell_link_that_finds_nothing_is_reported_and_one_chapter_alone_unlinks_it():
    html = page(("n01-prose", '<p><a href="03-context.ipynb#cell-id=sec-3-9">§3.9</a></p>'))
    assert finish(html)[1] == ["cell-id=sec-3-9"]
    alone = ('<div class="jp-Cell" id="cell-id=prose"><a href="#cell-id=fig-c">Figure</a> '
             '<a href="03-context.ipynb#cell-id=sec-3-1">§3.1</a></div>'
             '<div class="jp-Cell" id="cell-id=fig-c">'
             '<figure id="fig-c"><figcaption>C.</figcaption></figure></div>'
             '<div class="jp-Cell" id="cell-id=sec-3-1"><h2>3.1 Not this chapter</h2></div>')
    done, broken = finish(alone, unlink_broken=True, chapter="01-participation")
    assert broken == ["cell-id=sec-3-1"]  # a cell of that name here is not 03-context's
    assert hrefs(done) == ["#fig-c"]


def test_myst_targets_are_left_out_of_the_rendered_report():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("(sec-1.1)=\n## 1.1 A heading\n\nText (a)= here.")]
    body, _ = ReportHTMLExporter().from_notebook_node(nb)
    soup = BeautifulSoup(body, "html.parser")
    assert "(sec-1.1)=" not in soup.get_text() and "(a)= here" in soup.get_text()
    assert soup.find("h2", id="sec-1.1")


def test_the_environments_jupyterlab_draws_notebooks_whole():
    """A JupyterLab that draws only the cells in view scrolls to estimated places: links missed
    (measured, docs/notebooks.md "Links"). The setting must be one JupyterLab knows, with a value it
    allows."""
    settings = json.loads((ROOT / "tools" / "jupyterlab" / "overrides.json").read_text(encoding="utf-8"))
    mode = settings["@jupyterlab/notebook-extension:tracker"]["windowingMode"]
    schema_file = Path(sys.prefix, "share", "jupyter", "lab", "schemas", "@jupyterlab",
                       "notebook-extension", "tracker.json")
    schema = json.loads(schema_file.read_text(encoding="utf-8"))["properties"]["windowingMode"]
    assert mode == "none" and mode in [choice["const"] for choice in schema["oneOf"]]
