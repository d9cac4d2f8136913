"""The report on any screen: tables without pandas' furniture, in boxes that scroll with their
captions outside, charts as SVG, and number links that lead back (report.py, exporters.py, pdf.py).

The whole report is checked in tests/test_report.py, and by axe-core in a browser in
tests/test_accessibility.py (slow).
"""

import base64

import nbformat
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from tashkent_report.analysis.tables import captioned
from tashkent_report.render import pipeline as build
from tashkent_report.render.exporters import FigureError, ReportHTMLExporter, figure_svg
from tashkent_report.render.html import finish, link_back, tidy_header, wrap_tables
from tashkent_report.render.pdf import for_print


def tidied(frame: pd.DataFrame) -> BeautifulSoup:
    soup = BeautifulSoup(captioned(frame, "t", "A table.")._repr_html_(), "html.parser")
    tidy_header(soup.find("table"))
    return soup


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


def test_a_plain_table_is_left_as_pandas_wrote_it():
    frame = pd.DataFrame({"a": [1], "b": [2]})
    before = captioned(frame, "t", "A table.")._repr_html_()
    assert str(tidied(frame)) == str(BeautifulSoup(before, "html.parser"))


def test_a_table_scrolls_in_a_named_focusable_box_its_caption_outside():
    html = '<p><a href="#tab-t">Table</a></p>' + captioned(
        pd.DataFrame({"a": [1]}, index=pd.Index(["x"], name="row")), "t", "A table.")._repr_html_()
    soup = BeautifulSoup(finish(html)[0], "html.parser")
    block = soup.find(id="tab-t")
    assert block.name == "div" and "table-block" in block["class"]
    caption, scroll = block.find_all(recursive=False)
    assert caption.get_text() == "Table 1. A table." and caption["id"] == "tab-t-caption"
    assert scroll["role"] == "region" and scroll["tabindex"] == "0"
    assert scroll["aria-labelledby"] == "tab-t-caption"
    table = scroll.find("table", recursive=False)
    assert table["aria-labelledby"] == "tab-t-caption" and table.find("caption") is None
    assert not table.get("id")  # the id is the block's: a link lands on the caption
    assert soup.find("a").get_text() == "Table 1"  # cross-reference still numbered


def test_the_pdf_gets_the_caption_back_inside_its_table():
    html = finish(captioned(pd.DataFrame({"a": [1]}), "t", "A table.")._repr_html_())[0]
    soup = BeautifulSoup(for_print(html), "html.parser")
    table = soup.find("table")
    assert table.find("caption", recursive=False).get_text() == "Table 1. A table."
    assert table.find_parent("div")["id"] == "tab-t" and not soup.select(".table-scroll, .table-caption")
    assert not table.get("aria-labelledby")
    assert for_print("<p>no table</p>") == "<p>no table</p>"


def test_short_tables_are_marked_to_stay_whole_on_a_page_long_ones_not():
    short = captioned(pd.DataFrame({"a": range(3)}), "s", "Short.")._repr_html_()
    long = captioned(pd.DataFrame({"a": range(40)}), "l", "Long.")._repr_html_()
    soup = BeautifulSoup(short + long, "html.parser")
    wrap_tables(soup)
    assert "short" in soup.find(id="tab-s")["class"] and "short" not in soup.find(id="tab-l")["class"]


def test_number_links_get_ids_and_their_quote_links_back_to_each():
    soup = BeautifulSoup(
        '<h1>Key findings</h1><p><a class="num" href="#q-d">47</a> and <a class="num" href="#q-d">47</a></p>'
        '<h2 id="sec-1.3">1.3 Entities</h2><p><a class="num" href="#q-d">47</a>'
        '<a class="num" href="#q-s">20</a> <a href="#q-d">not a number link</a></p>'
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


PNG = b"\x89PNG\r\n\x1a\n fake"


def shown(png: bytes = PNG) -> str:
    return base64.b64encode(png).decode("ascii")


def test_the_svg_is_taken_when_the_png_beside_it_is_the_chart_shown(tmp_path):
    (tmp_path / "c.png").write_bytes(PNG)
    (tmp_path / "c.svg").write_bytes(b"<svg/>")
    assert base64.b64decode(figure_svg("c", shown(), tmp_path)) == b"<svg/>"


@pytest.mark.parametrize("case, message", [
    ("no svg", "c.svg: cannot read it"),
    ("other png", "is not the chart the notebook shows"),
    ("bad name", "names no figure file"),
])
def test_a_missing_or_stale_svg_is_refused(tmp_path, case, message):
    (tmp_path / "c.png").write_bytes(PNG if case != "other png" else PNG + b"!")
    if case != "no svg":
        (tmp_path / "c.svg").write_bytes(b"<svg/>")
    with pytest.raises(FigureError, match=message):
        figure_svg("../c" if case == "bad name" else "c", shown(), tmp_path)


def chart_notebook(name: str, png: bytes) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    meta = {"image/png": {"caption": "A chart.", "alt": "Bars.", "figure": name}}
    cell = nbformat.v4.new_code_cell("chart")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": shown(png)}, metadata=meta)]
    nb.cells = [nbformat.v4.new_markdown_cell("# 1. A chapter"), cell]
    return nb


def test_a_chart_renders_as_svg_with_its_alt_text_and_caption():
    from tashkent_report.config import FIGURES

    png = (FIGURES / "state-pool.png").read_bytes()
    html, _ = ReportHTMLExporter().from_notebook_node(chart_notebook("state-pool", png))
    soup = BeautifulSoup(html, "html.parser")
    figure = soup.find(id="fig-state-pool")
    img = figure.find("img")
    assert img["src"].startswith("data:image/svg+xml;base64,") and img["alt"] == "Bars."
    assert base64.b64decode(img["src"].split(",", 1)[1]) == (FIGURES / "state-pool.svg").read_bytes()
    region = img.find_parent("div")
    assert region["role"] == "region" and region["tabindex"] == "0"
    assert soup.find(id=region["aria-labelledby"]).get_text() == "Figure 1. A chart."


def test_a_stale_chart_stops_the_build_one_chapter_shows_its_png(caplog):
    nb = chart_notebook("state-pool", PNG)
    with pytest.raises(build.BuildError, match="figures/state-pool.png is not the chart") as caught:
        build.to_html(nb, build.report_meta({"sources": [{"title": "t", "path": "p"}]}, "0" * 64))
    assert "make execute" in caught.value.hint
    html, _ = ReportHTMLExporter().from_notebook_node(nb)
    assert f'src="data:image/png;base64,{shown()}"' in html
    assert "shown as PNG" in caplog.text
