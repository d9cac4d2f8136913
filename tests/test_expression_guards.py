"""{eval} reads values, never computes; a result shows short text or the report's own links (issue 28).

The four hostile probes of issue 28, each on a small notebook in a real kernel: before, each ran
(a file written, a shell command run, 10 MB published, a script inserted) and the build exited 0;
now each stops the build with one message naming the notebook, the cell and the expression, and
the code in the prose never reaches the kernel. The probes start kernels: they are slow tests
(make test-slow, which CI runs); the rule itself is tested fast, expression by expression.
"""

import nbformat
import pandas as pd
import pytest

from tashkent_report.analysis import audit, myst
from tashkent_report.render import expressions
from tashkent_report.render import pipeline as build
from tashkent_report.render.html import RenderMarkdown


def write(tmp_path, *cells, name="09-probe.ipynb"):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    for number, cell in enumerate(nb.cells, 1):
        cell.id = f"c{number}"
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def stopped(path) -> str:
    with pytest.raises(build.BuildError) as caught:
        build.execute(path)
    return str(caught.value)


# The grammar, without a kernel.

@pytest.mark.parametrize("expression", [
    "n", "fig.delegations", "listing.entities", "table['total']", "rows[0]", 'cite("uza_en")',
    'cite("a", "b")', "cite(fig.source)", "len(matrix)",
])
def test_names_attributes_literal_subscripts_and_the_helpers_are_values(expression):
    assert myst.refusal(expression) is None


@pytest.mark.parametrize(("expression", "reason"), [
    ('open("x.txt", "w").write("a")',
     "it calls open('x.txt', 'w').write(), which is not one of the presentation helpers"),
    ('__import__("os").system("id")', "calls __import__('os').system()"),
    ("__import__", "it names __import__, a special or private name"),
    ("fig.__class__", "it names __class__"),
    ("fig._hidden", "it names _hidden"),
    ('"x" * 10_000_000', "it holds an operator"),
    ("n + 1", "it holds an operator"),
    ("-n", "it holds an operator"),
    ("n > 1", "it holds a comparison"),
    ("lambda: 1", "it holds a lambda"),
    ("[x for x in rows]", "it holds a comprehension"),
    ('f"{n}"', "it holds an f-string"),
    ("(n := 1)", "it holds an assignment (:=)"),
    ("rows[i]", "subscripts by something other than a literal"),
    ("rows[1:2]", "subscripts by something other than a literal"),
    ("print(n)", "it calls print()"),
    ("IPython.display.HTML('<script>')", "it calls IPython.display.HTML()"),
    ("cite(*ids)", "a starred argument"),
    ("cite(**ids)", "unpacks keyword arguments"),
    ("cite(open('x'))", "it calls open()"),
    ("47", "it types a literal"),
    ("n = 1", "is not a Python expression"),
])
def test_anything_that_computes_is_refused_with_its_reason(expression, reason):
    assert reason in myst.refusal(expression)


# The four probes of issue 28, in a kernel: nothing runs, one message names notebook, cell, expression.

@pytest.mark.slow  # a kernel runs the probe: fault injection, make test-slow
def test_a_file_write_in_prose_is_refused_before_it_runs(tmp_path):
    target = tmp_path / "x.txt"
    probe = f'open({str(target)!r}, "w").write("pwned")'
    path = write(tmp_path, nbformat.v4.new_code_cell("n = 1"),
                 nbformat.v4.new_markdown_cell(f"Wrote {{eval}}`{probe}` bytes."))
    message = stopped(path)
    assert f"09-probe.ipynb, cell 2 (id c2): the expression {{eval}}`{probe}` is refused: it calls" in message
    assert not target.exists()


@pytest.mark.slow  # a kernel runs the probe: fault injection, make test-slow
def test_a_shell_command_in_prose_is_refused_before_it_runs(tmp_path):
    target = tmp_path / "y.txt"
    path = write(tmp_path, nbformat.v4.new_markdown_cell(
        f'Status {{eval}}`__import__("os").system("id > {target}")`.'))
    message = stopped(path)
    assert "09-probe.ipynb, cell 1 (id c1): the expression {eval}`__import__(\"os\")" in message
    assert "is refused" in message
    assert not target.exists()


@pytest.mark.slow  # a kernel runs the probe: fault injection, make test-slow
def test_ten_megabytes_in_prose_are_refused_computed_there_or_named(tmp_path):
    path = write(tmp_path, nbformat.v4.new_markdown_cell('{eval}`"x" * 10_000_000`'))
    assert "is refused: it holds an operator" in stopped(path)
    path = write(tmp_path, nbformat.v4.new_code_cell('big = "x" * 10_000_000'),
                 nbformat.v4.new_markdown_cell("It says {eval}`big`."))
    message = stopped(path)
    assert "cell 2 (id c2): the expression {eval}`big` shows 10,000,000 characters, more than the 500" \
        in message
    assert len(message) < 1000


@pytest.mark.slow  # a kernel runs the probe: fault injection, make test-slow
def test_a_script_from_an_expression_is_refused_and_a_forged_mark_does_not_pass_it(tmp_path):
    probe = "{eval}`IPython.display.HTML('<script>alert(1)</script>')`"
    path = write(tmp_path, nbformat.v4.new_markdown_cell(probe))
    assert "is refused: it calls IPython.display.HTML()" in stopped(path)
    setup = ("from IPython.display import HTML\n"
             "page = HTML('<script>alert(document.domain)</script>')\n"
             "forged = HTML('<a href=\"#x\" onclick=\"alert(1)\">1</a>',\n"
             "              metadata={'tashkent_report': 'prose'})")
    path = write(tmp_path, nbformat.v4.new_code_cell(setup), nbformat.v4.new_markdown_cell("{eval}`page`"))
    assert ("cell 2 (id c2): the expression {eval}`page` shows HTML that is not one of the report's "
            "presentation types") in stopped(path)
    path = write(tmp_path, nbformat.v4.new_code_cell(setup), nbformat.v4.new_markdown_cell("{eval}`forged`"))
    assert "{eval}`forged` shows HTML marked as the report's own that is not of their form" in stopped(path)


# The same checks when the report renders stored results (a notebook saved from JupyterLab, which
# evaluates whatever is typed), strict or not: the result of a refused expression is never shown.

def stored_cell(source, *entries):
    cell = nbformat.v4.new_markdown_cell(source)
    cell.id = "prose"
    cell.metadata["user_expressions"] = [{"expression": e, "result": r} for e, r in entries]
    return cell


def ok(data, metadata=None):
    return {"status": "ok", "data": data, "metadata": metadata or {}}


OURS = {"text/html": {"tashkent_report": "prose"}}
SCRIPT = "<script>alert(1)</script>"


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize(("expression", "result", "reason"), [
    ('open("x.txt","w").write("a")', ok({"text/plain": "14"}), "is refused: it calls"),
    ("page", ok({"text/html": SCRIPT, "text/plain": "<HTML>"}), "not one of the report's"),
    ("page", ok({"text/html": SCRIPT, "text/plain": "x"}, OURS), "not of their form"),
    ("page", ok({"text/html": SCRIPT, "text/plain": "x"}, {"text/html": "tashkent_report"}),
     "not one of the report's"),
    ("page", ok({"text/plain": ["47"]}), "shows a list, not text"),
    ("page", ok({"text/html": "<img src=x onerror=alert(1)>", "text/plain": "x"}, OURS), "not of their form"),
    ("page", ok({"text/html": '<a href="javascript:alert(1)">1</a>', "text/plain": "1"}, OURS),
     "not of their form"),
    ("page", ok({"text/html": '<a href="https://example.org/x.png">1</a>', "text/plain": "1"}, OURS),
     "not of their form"),
    ("page", ok({"text/markdown": SCRIPT, "text/plain": "x"}), "shows text/markdown, not text"),
    ("chart", ok({"image/png": "iVBOR", "text/plain": "<Figure>"}), "shows image/png, not text"),
    ("big", ok({"text/plain": "'" + "x" * 501 + "'"}), "shows 501 characters, more than the 500"),
])
def test_the_report_refuses_a_stored_result_it_would_not_show(expression, result, reason, strict):
    cell = stored_cell(f"It is {{eval}}`{expression}`.", (expression, result))
    with pytest.raises(expressions.ExpressionError) as caught:
        RenderMarkdown(strict=strict).preprocess_cell(cell, {}, 4)
    assert str(caught.value).startswith(f"cell 5 (id prose): the expression {{eval}}`{expression}` ")
    assert reason in str(caught.value)


def test_the_report_shows_its_own_links_and_plain_text_escaped():
    link = '<a class="num" href="05-appendix.ipynb#q-states">20</a>'
    cite = '<a href="05-appendix.ipynb#src-uza_en">UzA, 5 September 2024</a>; <a href="#src-x">X &amp; Y</a>'
    cell = stored_cell("{eval}`fig.states`, {eval}`cite(\"uza_en\")`, {eval}`name`",
                       ("fig.states", ok({"text/html": link, "text/plain": "20"}, OURS)),
                       ('cite("uza_en")', ok({"text/html": cite, "text/plain": "UzA"}, OURS)),
                       ("name", ok({"text/plain": "'<b>bold</b>'"})))
    done, _ = RenderMarkdown(strict=True).preprocess_cell(cell, {}, 0)
    assert link in done.source and cite in done.source
    assert "&lt;b&gt;bold&lt;/b&gt;" in done.source and "<b>" not in done.source


# The audit counts only values as "from the data".

def test_the_audit_counts_a_refused_expressions_number_as_typed_by_hand(tmp_path):
    nb = nbformat.v4.new_notebook()
    probe = 'open("x.txt","w").write("abcdefghijklmn")'
    nb.cells = [stored_cell(f"It wrote {{eval}}`{probe}` characters and {{eval}}`n` more.",
                            (probe, ok({"text/plain": "14"})), ("n", ok({"text/plain": "3"})))]
    result = audit.audit([(tmp_path / "09-probe.ipynb", nb)], pd.DataFrame({"value": []}), rules=[])
    assert result[["number", "status"]].values.tolist() == [["3", "named"], ["14", "unaccounted"]]
