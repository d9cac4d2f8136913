"""MyST {eval} expressions: evaluated in the kernel as JupyterLab does, stored, rendered, audited.

The small notebooks here run in real kernels (a second or two each); the report's own notebooks
are checked for stale results and for prose kept in code cells.
"""

import ast
import json

import nbformat
import pytest

from tashkent_report.analysis.myst import stored as stored_results
from tashkent_report.config import NOTEBOOKS
from tashkent_report.render import expressions
from tashkent_report.render import pipeline as build
from tashkent_report.render.exporters import ReportHTMLExporter
from tashkent_report.render.html import RenderMarkdown


def substitute(cell, strict=True):
    """The one-paragraph cell as the report renders it (html.RenderMarkdown), without its <p>."""
    done, _ = RenderMarkdown(strict=strict).preprocess_cell(nbformat.from_dict(cell), {}, 0)
    return done.source.strip().removeprefix("<p>").removesuffix("</p>")


def write(tmp_path, *cells, name="09-test.ipynb"):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def code(source):
    return nbformat.v4.new_code_cell(source)


def markdown(source):
    return nbformat.v4.new_markdown_cell(source)


def test_roles_are_found_each_occurrence_but_not_mentions_in_inline_code():
    source = "There were {eval}`n` delegations; the role is written `{eval}` in MyST; {eval}`n` again."
    assert expressions.expressions(source) == ["n", "n"]  # as jupyterlab-myst sends and stores them
    assert expressions.expressions("``{eval}`n` `` is code") == []


def test_the_build_stores_results_where_jupyterlab_myst_reads_them(tmp_path):
    setup = ("n = 47\nfrom tashkent_report.analysis.prose import Value\nv = Value(20, '#q-states')\n"
             "s = 'l’OCS'")
    path = write(tmp_path, code(setup),
                 markdown("{eval}`n` delegations, {eval}`v` states, {eval}`s`, {eval}`n` again."))
    nb = build.execute(path)
    stored = nb.cells[1].metadata["user_expressions"]
    assert [item["expression"] for item in stored] == ["n", "v", "s", "n"]  # one per occurrence
    assert stored[0]["result"] == {"status": "ok", "data": {"text/plain": "47"}, "metadata": {}}
    assert stored[1]["result"]["data"]["text/html"] == '<a class="num" href="#q-states">20</a>'
    assert stored[1]["result"]["metadata"] == {"text/html": {"tashkent_report": "prose"}}
    rendered = substitute(nb.cells[1])
    assert rendered == ('<span class="eval" data-expression="n">47</span> delegations, '
                        '<a class="num" href="#q-states">20</a> states, '
                        '<span class="eval" data-expression="s">l’OCS</span>, '
                        '<span class="eval" data-expression="n">47</span> again.')


def test_each_expression_sees_the_cells_above_it_as_after_run_all(tmp_path):
    path = write(tmp_path, code("n = 1"), markdown("{eval}`n`"), code("n = 2"), markdown("{eval}`n`"))
    nb = build.execute(path)
    assert [stored_results(nb.cells[i])["n"]["data"]["text/plain"] for i in (1, 3)] == ["1", "2"]


def test_an_undefined_name_stops_the_build_naming_notebook_cell_and_expression(tmp_path):
    path = write(tmp_path, code("n = 47"), markdown("Fine: {eval}`n`."), markdown("{eval}`nope` states"))
    with pytest.raises(build.BuildError) as caught:
        build.execute(path)
    message = str(caught.value)
    assert "09-test.ipynb, cell 3 (id " in message
    assert "the expression {eval}`nope` failed: NameError" in message


def test_a_missing_result_stops_a_strict_rendering_and_shows_as_code_otherwise():
    cell = markdown("{eval}`n` delegations")
    with pytest.raises(expressions.ExpressionError, match="has no result: run the notebook"):
        substitute(cell)
    assert substitute(cell, strict=False) == "<code>n</code> delegations"


def test_nbconvert_execute_with_the_report_exporter_evaluates_expressions(tmp_path):
    nb = nbformat.read(write(tmp_path, code("n = 47"), markdown("There were {eval}`n` delegations.")), 4)
    exporter = ReportHTMLExporter(config=build_config(execute=True))
    html, _ = exporter.from_notebook_node(nb, resources={"report": {}})
    assert 'There were <span class="eval" data-expression="n">47</span> delegations.' in html
    assert "{eval}" not in html


def build_config(execute):
    from traitlets.config import Config

    return Config({"ExecutePreprocessor": {"enabled": execute}})


def test_make_execute_is_idempotent(tmp_path):
    setup = "from tashkent_report.analysis.prose import Value\nn = Value(47, '#q-delegations')"
    path = write(tmp_path, code(setup),
                 markdown("{eval}`n` delegations"), code("n"))
    build.execute_in_place(paths=[path])
    first = path.read_bytes()
    build.execute_in_place(paths=[path])
    assert path.read_bytes() == first
    assert json.loads(first)["cells"][1]["metadata"]["user_expressions"][0]["expression"] == "n"


def committed():
    return [(path, nbformat.read(path, as_version=4)) for path in build.notebooks(NOTEBOOKS)]


def test_committed_notebooks_hold_a_result_for_every_expression_and_no_other():
    for path, nb in committed():
        for index, cell in enumerate(nb.cells):
            where = f"{path.name}, cell {index + 1}: run make execute"
            if cell.cell_type != "markdown":
                continue
            entries = cell.metadata.get("user_expressions", [])
            assert [item["expression"] for item in entries] == expressions.expressions(cell.source), where
            assert all(r["status"] == "ok" for r in stored_results(cell).values()), where


def string_share(source: str) -> tuple[int, float]:
    """Characters of string literals in a code cell, and their share of its source."""
    literal = sum(len(node.value) for node in ast.walk(ast.parse(source))
                  if isinstance(node, ast.Constant) and isinstance(node.value, str))
    return literal, literal / max(len(source), 1)


def holds_prose(source: str) -> bool:
    """Mostly string literals, and a paragraph's worth of them (a caption is a sentence)."""
    literal, share = string_share(source)
    return literal >= 300 and share >= 0.5


def test_holds_prose_flags_a_paragraph_in_a_string_not_a_captioned_call():
    sentence = "The article lists many entities in several groups and states a total it does not relate. "
    assert holds_prose(f'Markdown("""\n{sentence * 4}""")')
    assert not holds_prose(f'Markdown("""\n{sentence}""")')
    assert not holds_prose('tables.captioned(frame, "sources", "The sources of this report, and '
                           'the outside pages used as context, one row each.")')


def test_no_code_cell_holds_report_prose():
    """Prose is Markdown: no code cell whose source is mostly a string literal of paragraph size."""
    for path, nb in committed():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                assert not holds_prose(cell.source), f"{path.name}, cell {index + 1}"


def test_the_methods_chapter_states_the_audit_of_the_notebooks_as_executed():
    """04 audits the chapters; what it states equals a fresh audit of the committed notebooks."""
    from tashkent_report.analysis import audit
    from tashkent_report.analysis.dataset import load_facts

    notebooks = committed()
    result = audit.counts(audit.audit(notebooks, load_facts().figures))
    methods = dict(notebooks)[NOTEBOOKS / "04-methods.ipynb"]
    stated = {e: r["data"]["text/plain"] for c in methods.cells if c.cell_type == "markdown"
              for e, r in stored_results(c).items() if e.startswith("counted.")}
    assert stated == {f"counted.{k}": str(v) for k, v in vars(result).items()}
