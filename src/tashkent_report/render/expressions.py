"""MyST inline expressions: numbers in Markdown prose as ``{eval}`name```, computed by the kernel.

A Markdown cell states a number by naming a value that a code cell above it computed:
``{eval}`fig.delegations` delegations``. JupyterLab with jupyterlab-myst evaluates each
expression in the notebook's kernel and stores the results in the cell's metadata,
``user_expressions``: one ``{"expression": ..., "result": {"status", "data", "metadata"}}`` per
occurrence, in order, each result as the kernel returned it (jupyterlab-myst 2.7.0 sends them as
``user_expressions`` keyed "0", "1", … and stores the reply's in that order); Jupyter Book 2 and
mystmd render from that metadata.

The build does the same through the same protocol (an ``execute_request`` with
``user_expressions``, sent as the cell's turn comes, so every expression sees what the cells
above it defined, as after Run All), stores the results exactly as jupyterlab-myst stores them, and
substitutes them when it renders (stock nbconvert would print the role's raw text; the
environment's nbconvert configuration adds :class:`ShowExpressions` to the stock exporters).

An expression only reads a value (``myst.refusal``): one that would compute is refused before
anything is sent to the kernel. A result shows short text or the report's own links
(``myst.result_refusal``). A refused expression or result, one that raised, or one with no stored
result stops the build naming the cell.
"""

from __future__ import annotations

import html
import re

from nbclient import NotebookClient
from nbconvert.preprocessors import ExecutePreprocessor, Preprocessor
from traitlets import Bool, HasTraits, default

from tashkent_report.analysis.myst import METADATA, expressions, refusal, result_refusal, shown, stored


class ExpressionError(Exception):
    """An ``{eval}`` expression that is refused, raised, or has no stored result."""

    def __init__(self, index: int, cell_id: str, expression: str, detail: str):
        self.index, self.cell_id, self.expression, self.detail = index, cell_id, expression, detail
        super().__init__(f"cell {index + 1} (id {cell_id}): the expression {{eval}}`{expression}` {detail}")


def result_failure(result: dict | None) -> str | None:
    """Why a stored result is missing or failed, or None."""
    if result is None:
        return "has no result: run the notebook (make execute, or Run All in JupyterLab and save)"
    if result.get("status") != "ok":
        return f"failed: {result.get('ename', 'Error')}: {result.get('evalue', '')}"
    return None


def problem(expression: str, result: dict | None, strict: bool = True) -> str | None:
    """Why an expression's stored result is not shown, or None: the expression is not a value to
    read, its result is not one prose shows, or (``strict``) it has no result or a failed one.
    Not strict, a missing or failed result is no problem: it is shown as the expression, as code."""
    reason = refusal(expression)
    if reason:
        return reason
    failed = result_failure(result)
    if failed:
        return failed if strict else None
    return result_refusal(result)


class EvaluatesExpressions(HasTraits):
    """A mixin for nbclient's NotebookClient (and nbconvert's ExecutePreprocessor): nbclient's
    public ``on_cell_start`` hook, which fires for every cell before Markdown ones are skipped,
    evaluates a Markdown cell's expressions in the kernel and stores their results in its metadata.
    """

    @default("on_cell_start")
    def _evaluate_on_cell_start(self):
        return self.evaluate_expressions

    async def evaluate_expressions(self, cell, cell_index: int) -> None:
        if cell.cell_type != "markdown":
            return
        found = expressions(cell.source)
        if not found:
            cell.metadata.pop(METADATA, None)
            return
        for expression in found:  # nothing reaches the kernel that is not a value to read
            reason = refusal(expression)
            if reason:
                raise ExpressionError(cell_index, cell.get("id", "?"), expression, reason)
        asked = {str(i): expression for i, expression in enumerate(found)}  # as jupyterlab-myst keys them
        msg_id = self.kc.execute("", silent=True, store_history=False, user_expressions=asked)
        reply = await self.async_wait_for_reply(msg_id, cell)
        results = reply["content"].get(METADATA, {}) if reply else {}
        cell.metadata[METADATA] = [
            {"expression": expression, "result": results.get(key)} for key, expression in asked.items()
        ]
        for item in cell.metadata[METADATA]:
            reason = problem(item["expression"], item["result"])
            if reason:
                raise ExpressionError(cell_index, cell.get("id", "?"), item["expression"], reason)


class ReportClient(EvaluatesExpressions, NotebookClient):
    """nbclient's client, evaluating the Markdown cells' expressions as it goes."""


class ReportExecutePreprocessor(EvaluatesExpressions, ExecutePreprocessor):
    """``--execute`` for the report's exporters: code cells run, Markdown expressions evaluated."""


# A role's opening ({eval} and a run of backticks) or a code span's: markdown-it's myst_role rule
# closes a role at the next run of as many backticks; a code span (where a role is only text)
# closes at a run of exactly as many.
_OPENING = re.compile(r"(\{eval\})?(`+)")
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # ASCII punctuation: CommonMark escapes it with \
_PIECE = re.compile(r'<a (?:class="num" )?href="(?P<href>[^"]*)">(?P<link>[^<>]*)</a>'
                    r'|<span class="num">(?P<number>[^<>]*)</span>|(?P<text>[^<>]+)')


def role_spans(source: str) -> list[tuple[int, int, str]]:
    """(start, end, expression) of each ``{eval}`` role in a Markdown source, in order."""
    spans, pos = [], 0
    while match := _OPENING.search(source, pos):
        ticks = match.group(2)
        if match.group(1):
            end = source.find(ticks, match.end() + 1)
            if end < 0:
                pos = match.end()
                continue
            spans.append((match.start(), end + len(ticks), source[match.end():end].replace("\n", " ")))
            pos = end + len(ticks)
        else:
            close = re.compile(rf"(?<!`){ticks}(?!`)").search(source, match.end())
            pos = close.end() if close else match.end()
    return spans


def as_markdown(result: dict) -> str:
    """A shown result as Markdown: its text escaped, the report's links as Markdown links."""
    kind, text = shown(result)
    if kind == "text":
        return _escaped(text)
    pieces = []
    for piece in _PIECE.finditer(text):
        if piece["href"] is not None:
            pieces.append(f"[{_escaped(html.unescape(piece['link']))}]({html.unescape(piece['href'])})")
        else:
            pieces.append(_escaped(html.unescape(piece["number"] or piece["text"])))
    return "".join(pieces)


def _escaped(text: str) -> str:
    return _PUNCTUATION.sub(r"\\\1", re.sub(r"\s+", " ", text))


class ShowExpressions(Preprocessor):
    """For nbconvert's stock exporters (HTML, WebPDF, Markdown, LaTeX…): each ``{eval}`` role in a
    Markdown cell's source replaced by its stored result, as Markdown (escaped text, the report's
    links as links), under the build's rules: an expression that is not a value, or a result that
    prose does not show, stops the export naming the cell. An expression without a result (a
    notebook saved before it was run) is shown as code, unless ``strict``.

    The environment's configuration adds it to every template exporter (``tools/jupyter/``,
    installed by ``make venv`` and Binder's postBuild), so ``jupyter nbconvert --to html`` and
    JupyterLab's File > Save and Export Notebook As show the numbers.
    """

    enabled = Bool(True).tag(config=True)
    strict = Bool(False, help="Stop on an expression with no result or a failed one.").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "markdown" or cell.metadata.get("rendered"):
            return cell, resources
        spans = role_spans(cell.source)
        if [expression for _, _, expression in spans] != expressions(cell.source):
            raise ExpressionError(index, cell.get("id", "?"), "…", "could not be placed in the cell's "
                                  "Markdown: write each role on one line, outside code and quotes")
        results, source = stored(cell), cell.source
        for start, end, expression in reversed(spans):
            result = results.get(expression)
            reason = problem(expression, result, self.strict)
            if reason:
                raise ExpressionError(index, cell.get("id", "?"), expression, reason)
            shown_as = f"`{expression}`" if result_failure(result) else as_markdown(result)
            source = source[:start] + shown_as + source[end:]
        cell.source = source
        return cell, resources
