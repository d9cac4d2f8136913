"""Links that work in JupyterLab as in the report.

In JupyterLab every chapter is its own notebook, so a link names what JupyterLab can find:
- a heading, a table or a chart by its cell's id, which is its label (``#cell-id=sec-event``,
  ``#cell-id=tab-sources``, ``#cell-id=fig-series``), with the chapter's file in front when it is
  in another chapter (``03-context.ipynb#cell-id=sec-event``): JupyterLab opens the notebook there;
- a quote or a source by the id its output carries (``05-appendix.ipynb#q-delegations``).
The link's text (``§``, ``Table``, ``Figure``) becomes the computed label in the report ("§3.1",
"Table 4"), which is one page: each link becomes the id of what it points to (html.Numbering,
html.RenderMarkdown, html.finish). What JupyterLab does with these links was measured in a
browser (tools/lab_links.py, docs/notebooks.md "Links").
"""

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

from tashkent_report.analysis.myst import options, stored
from tashkent_report.config import APPENDIX, ROOT, chapters
from tashkent_report.render.exporters import BrokenReferences, ReportHTMLExporter

LINK = re.compile(r"\]\(([^)\s]*#[^)\s]+)\)")  # a Markdown link with a fragment
HREF = re.compile(r'href="([^"]*#[^"]+)"')
OUTPUT_ID = re.compile(r'\bid="([^"]+)"')
CAPTIONS = {"fig-": "fig-cap", "tab-": "tbl-cap"}


def anchors(nb) -> dict[str, set[str]]:
    """What JupyterLab can find in a notebook: cell ids, and ids in outputs."""
    found = {"id": set(), "cell": set()}
    for cell in nb.cells:
        found["cell"].add(cell.id)
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
                elif fragment.startswith(("sec-", "fig-", "tab-")):
                    wrong.append(f"{where}: a heading, table or chart is found by its cell (#cell-id=…)")
                elif fragment not in found[home]["id"]:
                    wrong.append(f"{where}: no output of {home} has the id {fragment}")
    return wrong


@pytest.fixture(scope="module")
def books():
    return {path.name: nbformat.read(path, as_version=4) for path in chapters()}


def test_every_link_in_the_notebooks_finds_its_target_as_jupyterlab_looks_for_it(books):
    assert sum(len(links(c)) for nb in books.values() for c in nb.cells if c.cell_type == "markdown") > 100
    assert problems(books) == []


def test_every_label_is_a_cell_id_typed_once_and_every_number_is_computed(books):
    headings = floats = 0
    for name, nb in books.items():
        for cell in nb.cells:
            found, _ = options(cell.source) if cell.cell_type == "code" else ({}, "")
            if cell.cell_type == "markdown" and cell.id.startswith("sec-"):
                headings += 1
                first = cell.source.split("\n", 1)[0]
                assert re.match(r"^#{1,2} [^\d\s]", first), (name, cell.id, first)  # no typed number
                assert not first.startswith("# Appendix"), (name, cell.id)
            for prefix, option in CAPTIONS.items():
                assert (option in found) == cell.id.startswith(prefix), (name, cell.id)
                floats += option in found
            if any("image/svg+xml" in output.get("data", {}) for output in cell.get("outputs", [])):
                assert cell.id.startswith("fig-"), (name, cell.id)
    assert headings >= 30 and floats >= 35


def tiny_books(source: str) -> dict[str, object]:
    one = nbformat.v4.new_notebook()
    heading = nbformat.v4.new_markdown_cell("## A heading")
    heading.id = "sec-a"
    table = nbformat.v4.new_code_cell("#| tbl-cap: A table.\nt")
    table.id = "tab-t"
    table.outputs = [nbformat.v4.new_output("display_data", data={"text/html": '<mark id="q-x">x</mark>'})]
    link = nbformat.v4.new_markdown_cell(source)
    link.id = "prose"
    one.cells = [heading, table, link]
    return {"01-one.ipynb": one}


@pytest.mark.parametrize("source", [
    "[§](#cell-id=sec-a), [Table](#cell-id=tab-t), [§](01-one.ipynb#cell-id=sec-a), [x](#q-x)",
    "",
])
def test_links_jupyterlab_can_follow_pass(source):
    assert problems(tiny_books(source)) == []


@pytest.mark.parametrize(("source", "says"), [
    ("[§](#sec-a)", "a heading, table or chart is found by its cell (#cell-id=…)"),
    ("[Figure](#fig-chart)", "a heading, table or chart is found by its cell (#cell-id=…)"),
    ("[x](#q-gone)", "no output of 01-one.ipynb has the id q-gone"),
    ("[x](09-none.ipynb#q-x)", "no notebook 09-none.ipynb"),
    ("[§](#cell-id=sec-9)", "no cell with that id in 01-one.ipynb"),
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


def book(*chapters: list) -> object:
    """The combined report: each chapter's cells with ids prefixed nNN- (pipeline.combine)."""
    nb = nbformat.v4.new_notebook()
    for number, cells in enumerate(chapters, 1):
        for cell_id, cell in cells:
            cell.id = f"n{number:02d}-{cell_id}"
            nb.cells.append(cell)
    return nb


def md(source: str, **metadata):
    return nbformat.v4.new_markdown_cell(source, metadata=metadata)


def chart():
    cell = nbformat.v4.new_code_cell("#| fig-cap: A *chart*.\nchart()")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/svg+xml": "<svg/>"},
                                           metadata={"image/svg+xml": {"alt": "Bars."}})]
    return cell


def rendered(nb, **traits) -> tuple[BeautifulSoup, object]:
    body, resources = ReportHTMLExporter(**traits).from_notebook_node(nb, resources={"report": {}})
    return BeautifulSoup(body, "html.parser"), resources


def test_the_report_numbers_headings_and_floats_and_links_each_to_its_id():
    nb = book(
        [("intro", md("# Key findings\n\nSee [§](02-two.ipynb#cell-id=sec-two-a), [Figure](#cell-id=fig-c) "
                      "and [Appendix](02-two.ipynb#cell-id=sec-app).")),
         ("sec-one", md("# One")), ("sec-one-a", md("## First")), ("fig-c", chart())],
        [("sec-two", md("# Two")), ("sec-two-a", md("## Second, [§](#cell-id=sec-one-a)")),
         ("sec-app", md("# Sources", tags=["appendix"]))],
    )
    soup, resources = rendered(nb, strict_references=True)
    headings = [(h["id"], h.get_text(" ", strip=True)) for h in soup.select("h1[id], h2[id]")
                if h["id"] != "toc-title"]
    assert headings == [("sec-one", "1. One"), ("sec-one-a", "1.1 First"), ("sec-two", "2. Two"),
                        ("sec-two-a", "2.1 Second, §1.1"), ("sec-app", "Appendix A. Sources")]
    prose = soup.select_one(".jp-RenderedMarkdown p")
    assert prose.get_text() == "See §2.1, Figure 1 and Appendix A."
    links = [(a["href"], a.get_text()) for a in prose.find_all("a")]
    assert links == [("#sec-two-a", "§2.1"), ("#fig-c", "Figure 1"), ("#sec-app", "Appendix A")]
    figure = soup.find("figure", id="fig-c")
    assert figure.find("figcaption").decode_contents() == "<strong>Figure 1. </strong>A <em>chart</em>."
    assert figure.find("img")["alt"] == "Bars."
    toc = soup.find("nav", id="toc")
    assert toc.find_next("div", class_="jp-Cell")["id"] == "cell-id=n01-sec-one"  # after the findings
    assert [a.get_text() for a in toc.find_all("a")] == ["1. One", "1.1 First", "2. Two", "2.1 Second, §",
                                                         "Appendix A. Sources"]


def test_a_link_that_finds_nothing_stops_the_report_and_one_chapter_alone_unlinks_it():
    nb = book([("sec-one", md("# One\n\n[§](03-context.ipynb#cell-id=sec-gone) and [x](#q-gone)"))])
    in_cell = r" \(cell n01-sec-one\)"
    with pytest.raises(BrokenReferences, match=f"#cell-id=sec-gone{in_cell}, #q-gone{in_cell}"):
        rendered(nb, strict_references=True)
    soup, _ = rendered(nb)
    assert soup.select_one(".jp-RenderedMarkdown p").decode_contents() == "§ and x"


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


def test_one_chapter_alone_that_opens_with_its_heading_has_no_contents():
    nb = nbformat.v4.new_notebook()
    nb.cells = [md("# Sources", tags=["appendix"]), md("Text."), md("# Tables", tags=["appendix"])]
    for cell, label in zip(nb.cells, ("sec-sources", "text", "sec-tables"), strict=True):
        cell.id = label
    soup, _ = rendered(nb)
    assert soup.find("nav") is None
    assert [h.get_text(" ", strip=True) for h in soup.select("h1[id]")] == ["Appendix A. Sources",
                                                                          "Appendix B. Tables"]
