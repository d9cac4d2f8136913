"""The report on any screen: tables without pandas' furniture that scroll sideways with their
captions inside, charts as SVG, and number links that lead back (html.py, the template).

The whole report is checked in tests/test_report.py, and by axe-core in a browser in
tests/test_accessibility.py (slow).
"""

import base64

import nbformat
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from tashkent_report.analysis.tables import shown, tidy_header
from tashkent_report.config import FIGURES, NOTEBOOKS
from tashkent_report.render.exporters import ReportHTMLExporter
from tashkent_report.render.html import link_back


def tidied(frame: pd.DataFrame) -> BeautifulSoup:
    """The table as a notebook shows it (tables.shown tidies its header)."""
    return BeautifulSoup(shown(frame)._repr_html_(), "html.parser")


def header(soup: BeautifulSoup) -> list[list[str]]:
    return [[f"{c.name}:{c.get_text(strip=True)}" for c in row.find_all(["th", "td"])]
            for row in soup.select("thead tr")]


def test_the_index_name_heads_the_row_headers_in_the_columns_header_row():
    frame = pd.DataFrame({"value": [1, 2], "unit": ["a", "b"]}, index=pd.Index(["x", "y"], name="figure"))
    assert header(tidied(frame)) == [["th:figure", "th:value", "th:unit"]]


def test_every_level_of_a_multiindex_keeps_its_name():
    index = pd.MultiIndex.from_tuples([("allowed", "one"), ("allowed", "two")], names=["status", "reason"])
    soup = tidied(pd.DataFrame({"numbers": [3, 4]}, index=index))
    assert header(soup) == [["th:status", "th:reason", "th:numbers"]]
    assert soup.select_one("tbody th[rowspan]")  # the body is pandas' own


def test_the_index_name_wins_over_the_columns_name_in_the_corner():
    frame = pd.DataFrame({"SCO": ["member"], "CIS": [""]}, index=pd.Index(["Russia"], name="state"))
    frame.columns.name = "organisation"
    assert header(tidied(frame)) == [["th:state", "th:SCO", "th:CIS"]]


@pytest.mark.parametrize("name", ["", None])
def test_a_corner_without_a_name_is_a_data_cell_not_an_empty_header(name):
    frame = pd.DataFrame({"value": ["UzA"]}, index=pd.Index(["Publisher"], name=name))
    soup = tidied(frame)
    assert header(soup) == [["td:", "th:value"]]
    assert [th for th in soup.find_all("th") if not th.get_text(strip=True)] == []


def test_a_plain_table_is_left_as_pandas_wrote_it_and_tidying_twice_changes_nothing():
    frame = pd.DataFrame({"a": [1], "b": [2]})
    soup = tidied(frame)
    assert header(soup) == [["th:a", "th:b"]] and not soup.select("tbody th")
    before = str(soup)
    tidy_header(soup.find("table"))
    assert str(soup) == before


def table_notebook(*frames: pd.DataFrame) -> nbformat.NotebookNode:
    """A chapter whose cells show these tables, each labelled and captioned as notebooks do."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("See [Table](#cell-id=tab-t0).")]
    for number, frame in enumerate(frames):
        cell = nbformat.v4.new_code_cell(f"#| tbl-cap: Table {number}.\nshown(frame)")
        cell.id = f"tab-t{number}"
        html = shown(frame)._repr_html_()
        cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": html})]
        nb.cells.append(cell)
    return nb


def rendered(nb) -> BeautifulSoup:
    return BeautifulSoup(ReportHTMLExporter().from_notebook_node(nb)[0], "html.parser")


def test_a_table_holds_its_caption_and_scrolls_as_its_own_focusable_box():
    frame = pd.DataFrame({"a": [1]}, index=pd.Index(["x"], name="row"))
    soup = rendered(table_notebook(frame))
    table = soup.find(id="tab-t0")
    assert table.name == "table" and table["tabindex"] == "0"
    caption = table.find("caption", recursive=False)
    assert caption == table.find(recursive=False) and caption.get_text() == "Table 1. Table 0."
    assert [th.get_text() for th in table.select("thead th")] == ["row", "a"]  # tidied
    assert soup.select_one(".jp-RenderedMarkdown a").get_text() == "Table 1"  # cross-reference numbered
    css = soup.find("style").get_text()
    assert "@media screen {\n  table.dataframe { display: block; overflow-x: auto; }" in css
    assert "table.dataframe > caption { position: sticky; left: 0;" in css  # in view as it scrolls


def test_short_tables_are_marked_to_stay_whole_on_a_page_long_ones_not():
    soup = rendered(table_notebook(pd.DataFrame({"a": range(3)}), pd.DataFrame({"a": range(40)})))
    assert "short" in soup.find(id="tab-t0")["class"] and "short" not in soup.find(id="tab-t1")["class"]


def test_number_links_get_ids_and_their_quote_links_back_to_each():
    soup = BeautifulSoup(
        '<h1>Key findings</h1><p><a class="num" href="#q-d">47</a> and <a class="num" href="#q-d">47</a></p>'
        '<h2 id="sec-entities"><span class="number">1.3</span> Entities</h2>'
        '<p><a class="num" href="#q-d">47</a><a class="num" href="#q-s">20</a> '
        '<a href="#q-d">not a number link</a></p>'
        '<table><tr><td lang="fr"><mark id="q-d">47 délégations</mark> et <mark id="q-s">20 pays</mark>'
        '</td></tr></table>', "html.parser")
    link_back(soup)
    ids = [a.get("id") for a in soup.select("a.num")]
    assert ids == ["ref-q-d-1", "ref-q-d-2", "ref-q-d-3", "ref-q-s-1"]
    backs = soup.find(id="q-d").find_next_sibling("span")
    assert backs["class"] == ["backrefs"] and backs["lang"] == "en"
    assert backs.get_text() == " ↩\u00a0Key findings a b · §1.3"
    assert [a["href"] for a in backs.find_all("a")] == ["#ref-q-d-1", "#ref-q-d-2", "#ref-q-d-3"]
    assert [a["aria-label"] for a in backs.find_all("a")] == [
        "back to Key findings, mention a", "back to Key findings, mention b", "back to §1.3"]
    assert soup.find(id="q-s").find_next_sibling("span").get_text() == " ↩\u00a0§1.3"


def test_a_quote_no_number_links_to_gets_no_back_links():
    soup = BeautifulSoup('<p><mark id="q-x">neuf</mark></p>', "html.parser")
    link_back(soup)
    assert soup.select(".backrefs") == []


def chart_notebook() -> nbformat.NotebookNode:
    """A chapter with the state-pool chart as notebook 01 shows it: an SVG output, a caption."""
    nb = nbformat.read(NOTEBOOKS / "01-participation.ipynb", as_version=4)
    nb.cells = [c for c in nb.cells if c.id in ("sec-participation", "fig-state-pool")]
    return nb


def test_a_chart_renders_as_its_svg_with_its_alt_text_and_caption():
    nb = chart_notebook()
    [output] = nb.cells[1].outputs
    soup = rendered(nb)
    figure = soup.find(id="fig-state-pool")
    img = figure.find("img")
    assert img["src"].startswith("data:image/svg+xml;base64,")
    assert img["alt"] == output.metadata["image/svg+xml"]["alt"]
    assert img["alt"].startswith("Two horizontal bars")
    svg = base64.b64decode(img["src"].split(",", 1)[1])
    assert svg == output.data["image/svg+xml"].encode("utf-8") == (FIGURES / "state-pool.svg").read_bytes()
    assert img.parent is figure  # scaled to the page's width: no box that scrolls sideways
    assert figure.find("figcaption").get_text().startswith("Figure 1. The article's count of countries")
