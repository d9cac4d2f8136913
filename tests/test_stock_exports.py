"""Numbers in every stock export, and a save in JupyterLab that changes nothing (issue 27.2-3).

- The environment's nbconvert configuration (tools/jupyter/jupyter_nbconvert_config.json, which
  make venv and Binder's postBuild install as the environment's jupyter_nbconvert_config.json and
  jupyter_server_config.json) adds ShowExpressions to the stock exporters: the file itself is
  loaded here, as nbconvert and the server load it.
- jupyterlab-myst 2.7.0 stores a Markdown cell's results as its source ``actions.ts``
  (executeUserExpressions) does: every ``inlineExpression`` node of the cell in order, sent to the
  kernel as ``user_expressions`` keyed "0", "1", …, and stored as ``[{"expression", "result"}]`` in
  the reply's key order, each result as the kernel returned it; no expression, no metadata. The
  server saves with ``nbformat.write(nb, f, version=NO_CONVERT)``. The slow test re-creates that
  from a kernel's replies, without the project's code, and compares bytes.
"""

import io
import json
import sys

import nbformat
import pytest
from markdown_it import MarkdownIt
from mdit_py_plugins.myst_role import myst_role_plugin
from nbconvert import HTMLExporter, LatexExporter, MarkdownExporter, WebPDFExporter
from traitlets.config.loader import JSONFileConfigLoader

from tashkent_report.config import NOTEBOOKS, ROOT
from tashkent_report.render.expressions import ExpressionError, ShowExpressions, as_markdown, role_spans
from tests.test_expression_guards import ok, stored_cell

CONFIG = ROOT / "tools" / "jupyter" / "jupyter_nbconvert_config.json"
FINDINGS = NOTEBOOKS / "00-key-findings.ipynb"


def installed_config():
    return JSONFileConfigLoader(CONFIG.name, path=str(CONFIG.parent)).load_config()


def shown_numbers(nb) -> list[str]:
    """Each result a reader should see in a stock export, as text (links' text, without markup)."""
    import re

    found = []
    for cell in nb.cells:
        for item in cell.get("metadata", {}).get("user_expressions", []):
            data = item["result"]["data"]
            text = data.get("text/html") or data["text/plain"].strip("'")
            found += [piece for piece in re.split(r"<[^>]+>|; ", text) if piece.strip()]
    return found


def test_the_stock_html_export_shows_every_number_and_no_role():
    nb = nbformat.read(FINDINGS, as_version=4)
    html, _ = HTMLExporter(config=installed_config()).from_notebook_node(nb)
    assert "{eval}" not in html
    assert "(sec-" not in html
    numbers = shown_numbers(nb)
    assert len(numbers) >= 25
    missing = [number for number in numbers if number not in html]
    assert not missing
    assert 'Some <a href="05-appendix.ipynb#q-representatives">250</a> representatives' in html


def test_the_stock_markdown_export_shows_numbers_as_text_and_links():
    nb = nbformat.read(FINDINGS, as_version=4)
    markdown, _ = MarkdownExporter(config=installed_config()).from_notebook_node(nb)
    assert "{eval}" not in markdown
    assert "Some [250](05-appendix.ipynb#q-representatives) representatives" in markdown


def test_every_stock_exporter_takes_the_preprocessor_from_the_file():
    """LaTeX (and PDF) need pandoc, WebPDF a Playwright Chromium: their preprocessors are checked."""
    config = installed_config()
    for exporter in (HTMLExporter, WebPDFExporter, MarkdownExporter, LatexExporter):
        assert exporter(config=config).preprocessors == ["tashkent_report.render.expressions.ShowExpressions"]


@pytest.mark.skipif(sys.prefix != str(ROOT / ".venv"), reason="the environment make venv sets up")
def test_make_venv_installs_the_file_for_nbconvert_and_for_jupyterlabs_export_menu():
    for name in ("jupyter_nbconvert_config.json", "jupyter_server_config.json"):
        assert (ROOT / ".venv" / "etc" / "jupyter" / name).read_bytes() == CONFIG.read_bytes(), name


def test_roles_are_placed_in_the_source_not_mentions_in_code():
    source = "A {eval}`n` and ``{eval}`n` `` and `{eval}` and {eval}`cite(\"a\")`.\n{eval}`m`"
    assert [expression for _, _, expression in role_spans(source)] == ["n", 'cite("a")', "m"]


def test_a_result_is_escaped_text_or_markdown_links():
    assert as_markdown(ok({"text/plain": "'*47* <b>'"})) == r"\*47\* \<b\>"
    link = '<a class="num" href="05-appendix.ipynb#q-states">20</a>; <a href="#src-x">X &amp; Y</a>'
    ours = {"text/html": {"tashkent_report": "prose"}}
    assert as_markdown(ok({"text/html": link}, ours)) == \
        r"[20](05-appendix.ipynb#q-states)\; [X \& Y](#src-x)"


def test_the_stock_preprocessor_refuses_what_the_build_refuses_and_shows_a_missing_result_as_code():
    cell = stored_cell("{eval}`page`", ("page", ok({"text/html": "<script>alert(1)</script>"})))
    with pytest.raises(ExpressionError, match="cell 3 .id prose.: the expression {eval}`page` shows HTML"):
        ShowExpressions().preprocess_cell(cell, {}, 2)
    cell = stored_cell('{eval}`__import__("os").system("id")`')
    with pytest.raises(ExpressionError, match="is refused"):
        ShowExpressions().preprocess_cell(cell, {}, 2)
    done, _ = ShowExpressions().preprocess_cell(stored_cell("{eval}`n` states"), {}, 0)
    assert done.source == "`n` states"


# As JupyterLab with jupyterlab-myst saves a notebook after Run All, from a kernel's replies.

def lab_expressions(source: str) -> list[str]:
    """Every {eval} role of a cell in order (MyST's role syntax, read by mdit-py-plugins)."""
    md = MarkdownIt("commonmark").use(myst_role_plugin).enable("table")
    return [token.content for block in md.parse(source) for token in block.children or ()
            if token.type == "myst_role" and token.meta.get("name") == "eval"]


def run_all_as_jupyterlab(path):
    from jupyter_client.manager import start_new_kernel

    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(path.parent))
    try:
        for cell in nb.cells:
            if cell.cell_type == "code":  # outputs stay as committed: nbval compares those
                reply = kc.execute_interactive(cell.source, timeout=120, output_hook=lambda msg: None)
                assert reply["content"]["status"] == "ok", cell.source[:80]
            elif cell.cell_type == "markdown":
                found = lab_expressions(cell.source)
                cell.metadata.pop("user_expressions", None)  # executeUserExpressions clears it first
                if not found:
                    continue
                asked = {str(i): expression for i, expression in enumerate(found)}
                reply = kc.execute_interactive("", user_expressions=asked, timeout=120,
                                               output_hook=lambda msg: None)
                results = reply["content"]["user_expressions"]
                # a JavaScript for…in visits integer-like keys in ascending order
                cell.metadata["user_expressions"] = [
                    {"expression": asked[key], "result": results[key]} for key in sorted(results, key=int)]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    saved = io.StringIO()
    nbformat.write(nb, saved, version=nbformat.NO_CONVERT)  # jupyter_server's FileContentsManager
    return saved.getvalue().encode("utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(path.name for path in NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")))
def test_run_all_and_save_in_jupyterlab_leaves_a_notebook_byte_identical(name):
    assert run_all_as_jupyterlab(NOTEBOOKS / name) == (NOTEBOOKS / name).read_bytes()


def test_a_repeated_expression_is_stored_once_per_occurrence():
    """01 states fig.delegations more than once: one entry each, as JupyterLab saves it."""
    committed = json.loads((NOTEBOOKS / "01-participation.ipynb").read_text(encoding="utf-8"))
    for cell in committed["cells"]:
        if cell["cell_type"] == "markdown":
            entries = [item["expression"] for item in cell["metadata"].get("user_expressions", [])]
            assert entries == lab_expressions("".join(cell["source"]))
    assert sum(item["expression"] == "fig.delegations" for cell in committed["cells"]
               for item in cell["metadata"].get("user_expressions", [])) > 1
