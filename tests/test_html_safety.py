"""Nothing in a notebook runs or fetches anything in the report: raw HTML in Markdown and every
output's HTML go through an allow-list (html.SANITISER), the page's Content-Security-Policy
forbids scripts and remote loads, WeasyPrint fetches nothing, and a widget output shows its
static fallback, the same bytes every time."""

import base64
import http.server
import io
import re
import threading

import nbformat
import pytest
from bs4 import BeautifulSoup

from tashkent_report.render import pipeline as build
from tashkent_report.render.exporters import ReportHTMLExporter, ReportPDFExporter
from tashkent_report.render.pdf import write_pdf
from tests.test_report import external_refs

REMOTE = "https://tracker.example/pixel.png"
HOSTILE = (
    "# A chapter\n\n"
    "Prose <script>alert(document.domain)</script> and <img src=\"x\" onerror=\"alert(1)\"> "
    "a [link](javascript:alert(1)), <a href=\"JaVaScRiPt:alert(2)\">another</a>, "
    "<a href=\"data:text/html,<script>alert(3)</script>\">a data link</a>, "
    f"<img src=\"{REMOTE}\" alt=\"remote\"> ![remote]({REMOTE}) and a [source](https://uza.uz/fr).\n\n"
    "<div onmouseover=\"alert(4)\" style=\"background:url(https://tracker.example/bg)\">hover</div>\n\n"
    "<iframe src=\"https://tracker.example/\"></iframe><form action=\"https://tracker.example/\">"
    "<input name=\"q\"></form><style>@import url(https://tracker.example/x.css);</style>"
    "<meta http-equiv=\"refresh\" content=\"0;url=https://tracker.example/\"><base href=\"https://tracker.example/\">\n"
)
SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(5)</script>'
       f'<image href="{REMOTE}" width="10" height="10"/></svg>')


def hostile_notebook() -> nbformat.NotebookNode:
    """A chapter whose Markdown and outputs (HTML, Markdown, JavaScript, SVG) carry hostile HTML."""
    cell = nbformat.v4.new_code_cell("show()")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={
            "text/html": "<b onclick=\"alert(6)\">bold</b><script src=\"https://tracker.example/x.js\"></script>"
                         f"<object data=\"{REMOTE}\"></object><svg onload=\"alert(7)\"></svg>",
            "text/plain": "bold"}),
        nbformat.v4.new_output("display_data", data={"text/markdown": "<img src=x onerror=alert(8)> *md*"}),
        nbformat.v4.new_output("display_data", data={"application/javascript": "alert(9)",
                                                     "text/plain": "js"}),
        nbformat.v4.new_output("display_data", data={"image/svg+xml": SVG}),
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(HOSTILE), cell]
    return nb


def unsafe(html: str) -> list[str]:
    """Whatever in the page could run a script or load something from elsewhere."""
    soup = BeautifulSoup(html, "html.parser")
    found = [f"<{t.name}>" for t in soup.find_all(
        ["script", "iframe", "object", "embed", "form", "base", "link", "svg"])]
    found += ["<style> in body" for t in soup.select("body style")]
    found += [f"{t.name} {name}" for t in soup.find_all(True) for name in t.attrs if name.startswith("on")]
    for t in soup.find_all(True):
        for name in ("href", "src", "action", "style"):
            value = str(t.get(name, ""))
            if re.search(r"^\s*(javascript|data|vbscript):", value, re.I) and not (
                    name == "src" and value.startswith("data:image/")):
                found.append(f"{t.name} {name}={value[:40]}")
            if name in ("src", "style") and re.search(r"https?:|url\(", value):
                found.append(f"{t.name} {name}={value[:40]}")
    return found + external_refs(html)


def test_the_check_finds_what_a_hostile_notebook_holds():
    assert len(unsafe(HOSTILE + SVG)) >= 10


META = {"title": "t", "subtitle": "s", "source": "x", "date_note": "d", "version": "v", "author": "a",
        "subject": "s"}


@pytest.mark.parametrize("analyst", [False, True], ids=["readers", "analysts"])
def test_no_script_handler_or_remote_resource_survives_in_either_edition(analyst):
    nb = hostile_notebook()
    for html in (build.to_html(nb, META, analyst=analyst),  # the whole report (make report)
                 ReportHTMLExporter(analyst=analyst).from_notebook_node(nb)[0]):  # --to report
        assert unsafe(html) == []
        text = BeautifulSoup(html, "html.parser").get_text()
        assert "Prose" in text and "hover" in text and "bold" in text  # the prose stays, inert
        soup = BeautifulSoup(html, "html.parser")
        assert soup.find("a", href="https://uza.uz/fr")  # an ordinary link stays a link
        [csp] = soup.find_all("meta", attrs={"http-equiv": "Content-Security-Policy"})
        assert "default-src 'none'" in csp["content"] and "script-src" not in csp["content"]


class Counting(http.server.BaseHTTPRequestHandler):
    asked: list = []

    def do_GET(self):  # noqa: N802 (the standard library's name)
        Counting.asked.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_weasyprint_fetches_nothing_from_elsewhere():
    """Even unsanitised HTML: WeasyPrint's fetcher takes data: URLs only (no http, no file)."""
    server = http.server.HTTPServer(("127.0.0.1", 0), Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    svg = base64.b64encode(f'<svg xmlns="http://www.w3.org/2000/svg"><image href="{url}/svg.png" width="9" '
                           'height="9"/></svg>'.encode()).decode()
    try:
        write_pdf(f'<html><head><link rel="stylesheet" href="{url}/a.css"></head><body>'
                  f'<img src="{url}/b.png"><p style="background:url({url}/c.png)">x</p>'
                  f'<img src="data:image/svg+xml;base64,{svg}"><img src="figure.png"></body></html>')
    finally:
        server.shutdown()
    assert Counting.asked == []


def test_the_pdf_export_carries_no_script_and_links_only_to_the_web():
    from pypdf import PdfReader

    nb = hostile_notebook()
    pdf, _ = ReportPDFExporter().from_notebook_node(nb)
    reader = PdfReader(io.BytesIO(pdf))
    assert "/JavaScript" not in reader.trailer["/Root"].get("/Names", {})
    uris = [a.get_object()["/A"]["/URI"] for page in reader.pages for a in page.get("/Annots", [])
            if "/URI" in a.get_object().get("/A", {})]
    assert uris == ["https://uza.uz/fr"]
    assert "Prose" in reader.pages[0].extract_text()


def widget_notebook() -> nbformat.NotebookNode:
    """As JupyterLab saves an ipywidgets slider: a widget view output with its text fallback, and
    the widgets' state in the notebook's metadata."""
    cell = nbformat.v4.new_code_cell("IntSlider(3)")
    view = {"model_id": "4a1e", "version_major": 2, "version_minor": 0}
    cell.outputs = [nbformat.v4.new_output("execute_result", execution_count=1, data={
        "application/vnd.jupyter.widget-view+json": view, "text/plain": "IntSlider(value=3)"})]
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {
        "state": {"4a1e": {"model_name": "IntSliderModel", "model_module": "@jupyter-widgets/controls",
                           "model_module_version": "2.0.0", "state": {"value": 3}}},
        "version_major": 2, "version_minor": 0}}
    nb.cells = [nbformat.v4.new_markdown_cell("# Widgets"), cell]
    return nb


@pytest.mark.parametrize("analyst", [False, True], ids=["readers", "analysts"])
def test_a_widget_output_shows_its_fallback_the_same_bytes_every_time(analyst):
    nb = widget_notebook()
    first, second = (ReportHTMLExporter(analyst=analyst).from_notebook_node(nb)[0]
                     for _ in range(2))
    assert first == second
    assert "<script" not in first and "widget-view" not in first and "jupyter-widgets" not in first
    assert "IntSlider(value=3)" in first


def test_a_page_without_its_main_is_refused_not_published_unsanitised():
    from tashkent_report.render.html import finish

    with pytest.raises(ValueError, match="no <main>"):
        finish("<html><body><script>alert(1)</script></body></html>")
