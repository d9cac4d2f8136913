"""The report's nbconvert exporters where Jupyter users look for them: `jupyter nbconvert --to
report|reportPDF` and JupyterLab's export menu.

The command-line tests run the real `jupyter` of this environment in a subprocess, from a
working directory outside the project, as a user would.
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from traitlets.config import Config

from tashkent_report.config import NOTEBOOKS, ROOT
from tashkent_report.render import pipeline as build
from tashkent_report.render.exporters import HTML_NAME, PDF_NAME, ReportHTMLExporter, ReportPDFExporter
from tests.test_report import external_refs

BIN = Path(sys.executable).parent
CHAPTER = NOTEBOOKS / "01-participation.ipynb"
NAMES = {HTML_NAME: ReportHTMLExporter, PDF_NAME: ReportPDFExporter}
# JupyterLab's own labels for the stock formats (@jupyterlab/notebook-extension, getFormatLabels).
STOCK_LABELS = {"html": "HTML", "latex": "LaTeX", "markdown": "Markdown", "pdf": "PDF",
                "rst": "ReStructured Text", "script": "Executable Script", "slides": "Reveal.js Slides"}


def menu_label(name: str) -> str:
    """What JupyterLab's export menu shows for a format name: its own label, or the name capitalised."""
    return STOCK_LABELS.get(name, name[:1].upper() + name[1:])


def jupyter(*args: str, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    result = subprocess.run([str(BIN / "jupyter"), *args], cwd=cwd, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_the_exporters_are_in_nbconvert_registry():
    """What `jupyter nbconvert --to` accepts and JupyterLab's menu lists (GET /api/nbconvert)."""
    from nbconvert.exporters import get_export_names, get_exporter

    assert {HTML_NAME, PDF_NAME} <= set(get_export_names())
    for name, cls in NAMES.items():
        assert get_exporter(name) is cls
    assert ReportHTMLExporter().output_mimetype == "text/html"
    assert ReportPDFExporter().output_mimetype == "application/pdf"
    assert ReportHTMLExporter().file_extension == ".report.html"  # never stock html's x.html
    assert ReportPDFExporter().file_extension == ".report.pdf"


@pytest.fixture(scope="module")
def chapter(tmp_path_factory):
    """01-participation rendered by `jupyter nbconvert`, run from a folder outside the project."""
    out = tmp_path_factory.mktemp("elsewhere")
    runs = [  # side by side: most of each run is starting Python and nbconvert
        subprocess.Popen([str(BIN / "jupyter"), "nbconvert", "--to", name, "--output-dir", str(out),
                          str(CHAPTER)], cwd=out, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for name in NAMES
    ]
    for run in runs:
        output, _ = run.communicate(timeout=300)
        assert run.returncode == 0, output[-3000:]
    return out


def test_nbconvert_renders_one_chapter_as_offline_html(chapter):
    html = (chapter / "01-participation.report.html").read_text(encoding="utf-8")
    assert external_refs(html) == []
    assert "require.js" not in html and "mathjax" not in html.lower() and "mermaid" not in html
    # The report's template: title block, numbered captions, alt text from the data.
    assert "one chapter: 01-participation" in html
    assert 'id="fig-participation-by-type"' in html and "<strong>Figure 1. </strong>" in html
    assert "No description has been provided for this image" not in html
    assert 'alt="Horizontal bar chart, largest first: 22 institutions' in html
    assert "hl-ipython3" not in html  # readers' edition: no code
    # Links into other chapters have no target here: they become text, not dead links.
    targets = {part.split('"', 1)[0] for part in html.split('href="#')[1:]}
    assert {t for t in targets if f'id="{t}"' not in html} == set()


def test_nbconvert_renders_one_chapter_as_pdf(chapter):
    from pypdf import PdfReader

    pdf = chapter / "01-participation.report.pdf"
    reader = PdfReader(pdf)
    text = "".join(page.extract_text() for page in reader.pages)
    assert "1. Who came to Tashkent" in reader.pages[0].extract_text()  # page 1 starts the chapter
    assert "1. Who came to Tashkent" in text and "Figure 1." in text
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=1)  # A4
    assert "/CreationDate" not in reader.metadata


def test_the_whole_report_fails_on_a_dangling_reference_one_chapter_does_not():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# A chapter\n\nAs [Table](#cell-id=tab-elsewhere) shows.")]
    with pytest.raises(build.BuildError, match="#cell-id=tab-elsewhere"):
        build.to_html(nb, build.report_meta({"sources": [{"title": "t", "path": "p"}]}, "0" * 64))
    html, _ = ReportHTMLExporter().from_notebook_node(nb)
    assert "As Table shows." in html and "tab-elsewhere" not in html


@pytest.mark.parametrize(("cell_id", "source", "message"), [
    ("sec-two", "# Two\n\nSee [Table](#cell-id=tab-gone).",
     "cross-references point nowhere: #cell-id=tab-gone in {}"),
    ("sec-one", "# Again", "{}: the label sec-one is given to two cells; the other is "
     "notebooks/01-one.ipynb, cell 1 (id sec-one)"),
    ("sec-two", "# Two\n\n{eval}`n` delegations.", "{}: the expression {{eval}}`n` has no result: run the "
     "notebook (make execute, or Run All in JupyterLab and save)"),
])
def test_a_rendering_failure_names_the_notebook_and_cell_as_jupyterlab_numbers_them(cell_id, source, message):
    one = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# One", id="sec-one")])
    two = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("Intro", id="intro"),
                                          nbformat.v4.new_markdown_cell(source, id=cell_id)])
    book = build.combine([(NOTEBOOKS / "01-one.ipynb", one), (NOTEBOOKS / "02-two.ipynb", two)])
    with pytest.raises(build.BuildError) as caught:
        build.to_html(book, build.report_meta({"sources": [{"title": "t", "path": "p"}]}, "0" * 64))
    assert str(caught.value) == message.format(f"notebooks/02-two.ipynb, cell 2 (id {cell_id})")
    assert "make lab" in caught.value.hint  # what to do, not only what is wrong


def test_executed_removed_cells_still_run_before_they_are_removed():
    """remove-cell drops a cell from the page, not from the run (`--execute` with our exporter)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("hidden = 6 * 7", metadata={"tags": ["remove-cell"]}),
        nbformat.v4.new_code_cell("print(f'answer {hidden}')"),
    ]
    exporter = ReportHTMLExporter(config=Config({"ExecutePreprocessor": {"enabled": True}}), analyst=True)
    html, _ = exporter.from_notebook_node(nb, resources={"metadata": {"path": str(ROOT)}})
    assert "answer 42" in html
    assert "6 * 7" not in html


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str):
        super().__init__("localhost", timeout=120)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def test_jupyterlab_export_menu_route(tmp_path, chapter):
    """JupyterLab's File > Save and Export Notebook As lists GET /api/nbconvert and downloads
    GET /nbconvert/<format>/<path> (a format name of [A-Za-z0-9_] only): both, from a real
    Jupyter Server on a Unix socket."""
    sock = str(tmp_path / "server.sock")
    token = "test-token"
    server = subprocess.Popen(
        [str(BIN / "jupyter"), "server", "--no-browser", "--allow-root", f"--ServerApp.sock={sock}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={ROOT}"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        # No server extensions (JupyterLab's own included): the export routes are the server's.
        env={**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "JUPYTER_NO_CONFIG": "1"},
    )
    try:
        deadline = time.monotonic() + 60
        while not os.path.exists(sock):
            assert server.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)

        def get(url: str):
            connection = UnixHTTPConnection(sock)
            connection.request("GET", url, headers={"Authorization": f"token {token}"})
            response = connection.getresponse()
            return response.status, response.getheader("Content-Type", ""), response.read()

        status, _, body = get("/api/nbconvert")
        assert status == 200
        formats = json.loads(body)
        labels = {menu_label(name): name for name in formats}
        assert labels["Report"] == HTML_NAME and labels["ReportPDF"] == PDF_NAME
        assert len(labels) == len(formats)  # no two formats under one label
        ours = [label for label, name in labels.items() if name in NAMES]
        assert all("_" not in label for label in ours)
        assert formats[HTML_NAME]["output_mimetype"] == "text/html"
        assert formats[PDF_NAME]["output_mimetype"] == "application/pdf"
        path = CHAPTER.relative_to(ROOT).as_posix()
        status, kind, body = get(f"/nbconvert/{HTML_NAME}/{path}?download=true")
        assert (status, kind.split(";")[0]) == (200, "text/html")
        assert body == (line := (chapter / "01-participation.report.html").read_bytes()), (
            f"the menu's export differs from the command line's: {first_difference(body, line)}")
    finally:
        server.terminate()
        server.wait(timeout=30)


def first_difference(one: bytes, other: bytes) -> str:
    """Where two exports part, with some context from each: what a bare assertion would not say."""
    at = next((i for i, (a, b) in enumerate(zip(one, other, strict=False)) if a != b),
              min(len(one), len(other)))
    return (f"at byte {at} of {len(one)} and {len(other)}: {one[max(at - 80, 0):at + 80]!r} "
            f"against {other[max(at - 80, 0):at + 80]!r}")


def test_first_difference_says_where_and_shows_both():
    assert first_difference(b"abc-id=12-x", b"abc-id=98-x") == (
        "at byte 7 of 11 and 11: b'abc-id=12-x' against b'abc-id=98-x'")
    assert first_difference(b"ab", b"abc").startswith("at byte 2 of 2 and 3")


def test_each_edition_is_numbered_on_its_own_and_links_across_them_become_text():
    """Cells tagged analyst-only leave the readers' edition, reader-only the analysts'; each is
    numbered without the other's cells; a link to a cell only the other edition has is its label
    there, as text, naming that edition once for two side by side; a cell's ``stands_for``
    receives the links to a cell its edition leaves out."""
    import pandas as pd
    from bs4 import BeautifulSoup

    from tashkent_report.analysis.tables import shown

    def table(label, caption, *tags, stands_for=()):
        cell = nbformat.v4.new_code_cell(f"#| tbl-cap: {caption}\nshown(frame)")
        cell.id, cell.metadata["tags"] = label, list(tags)
        if stands_for:
            cell.metadata["stands_for"] = list(stands_for)
        frame = shown(pd.DataFrame({"a": [1]}))
        data = {"text/html": frame._repr_html_(), "text/plain": repr(frame)}
        cell.outputs = [nbformat.v4.new_output("execute_result", data=data, execution_count=1)]
        return cell

    def markdown(label, source, *tags):
        cell = nbformat.v4.new_markdown_cell(source)
        cell.id, cell.metadata["tags"] = label, list(tags)
        return cell

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        markdown("n01-sec-a", "# A\n\nSee [Table](#cell-id=tab-audit), [Appendix](#cell-id=sec-b); "
                 "[Table](#cell-id=tab-full) and [Table](#cell-id=tab-short)."),
        table("n01-tab-audit", "The audit.", "analyst-only"),
        markdown("n01-sec-b", "# B", "appendix", "analyst-only"),
        table("n01-tab-full", "Full notes.", "analyst-only"),
        table("n01-tab-short", "Short list.", "reader-only", stands_for=["tab-full"]),
        table("n01-tab-both", "In both."),
    ]
    meta = {"title": "t", "subtitle": "s", "source": "x", "date_note": "d", "version": "v",
            "author": "a", "subject": "s"}
    readers = BeautifulSoup(build.to_html(nb, meta), "html.parser")
    analysts = BeautifulSoup(build.to_html(nb, meta, analyst=True), "html.parser")
    assert [c.get_text() for c in readers.find_all("caption")] == [
        "Table 1. Short list.", "Table 2. In both."]
    assert [c.get_text() for c in analysts.find_all("caption")] == [
        "Table 1. The audit.", "Table 2. Full notes.", "Table 3. In both."]
    text = readers.find(id="sec-a").find_next("p").get_text()
    assert "See Table 1, Appendix A in the analysts' edition; Table 1 and Table 1." in text
    assert [a["href"] for a in readers.select("main p a")] == ["#tab-short", "#tab-short"]
    text = analysts.find(id="sec-a").find_next("p").get_text()
    assert "See Table 1, Appendix A; Table 2 and Table 1 in the readers' edition." in text


def test_a_markdown_table_takes_the_caption_line_above_it_and_only_that_one():
    from tashkent_report.analysis.myst import parser
    from tashkent_report.render.html import captioned_tables

    source = ("Table: Indicators to watch.\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
              "Table: a paragraph with no table below it.\n\nText.\n")
    tokens = parser().parse(source)
    assert captioned_tables(tokens, 7) == 1
    html = parser().renderer.render(tokens, parser().options, {})
    assert html.startswith('<table class="dataframe" tabindex="0">\n<caption><strong>Table 7. </strong>'
                           "Indicators to watch.</caption>")
    assert "<p>Table: a paragraph with no table below it.</p>" in html
