"""MyST inline expressions, ``{eval}`name```: evaluated in the kernel as jupyterlab-myst evaluates
them (``user_expressions`` of an ``execute_request``, as each Markdown cell's turn comes), stored in
the cell's metadata as it stores them, and shown by nbconvert's stock exporters (ShowExpressions)."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup
from nbclient import NotebookClient
from nbconvert.preprocessors import ExecutePreprocessor, Preprocessor
from traitlets import Bool, HasTraits, default

from tashkent_report.analysis.myst import METADATA, expressions, refusal, result_refusal, shown, stored


class ExpressionError(Exception):
    """An ``{eval}`` expression that is refused, raised, or has no stored result."""

    def __init__(self, index: int, cell_id: str, expression: str, detail: str):
        self.index, self.cell_id, self.expression, self.detail = index, cell_id, expression, detail
        self.what = f"the expression {{eval}}`{expression}` {detail}"  # without the cell: callers locate it
        super().__init__(f"cell {index + 1} (id {cell_id}): {self.what}")


def checked(expression: str, result: dict | None, index: int, cell, strict: bool = True) -> dict | None:
    """An expression's stored result to show, or None if it has none or a failed one and not
    ``strict`` (shown as the expression, as code); else why not, as an ExpressionError."""
    if result is None:
        failed = "has no result: run the notebook (make execute, or Run All in JupyterLab and save)"
    elif result.get("status") != "ok":
        failed = f"failed: {result.get('ename', 'Error')}: {result.get('evalue', '')}"
    else:
        failed = None
    reason = refusal(expression)
    if not reason:
        reason = (failed if strict else None) if failed else result_refusal(result)
    if reason:
        raise ExpressionError(index, cell.get("id", "?"), expression, reason)
    return None if failed else result


class EvaluatesExpressions(HasTraits):
    """nbclient's public ``on_cell_start`` hook (it fires for Markdown cells too) evaluates and stores
    a Markdown cell's expressions."""

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
            if reason := refusal(expression):
                raise ExpressionError(cell_index, cell.get("id", "?"), expression, reason)
        # keyed "0", "1", … as jupyterlab-myst 2.7.0 sends them, stored in that order as it stores them
        asked = {str(i): expression for i, expression in enumerate(found)}
        msg_id = self.kc.execute("", silent=True, store_history=False, user_expressions=asked)
        reply = await self.async_wait_for_reply(msg_id, cell)
        results = reply["content"].get(METADATA, {}) if reply else {}
        cell.metadata[METADATA] = [{"expression": e, "result": results.get(k)} for k, e in asked.items()]
        for item in cell.metadata[METADATA]:
            checked(item["expression"], item["result"], cell_index, cell)


class ReportClient(EvaluatesExpressions, NotebookClient):
    """nbclient's client, evaluating the Markdown cells' expressions as it goes."""


class ReportExecutePreprocessor(EvaluatesExpressions, ExecutePreprocessor):
    """``--execute`` for the report's exporters: code cells run, Markdown expressions evaluated."""


# A role ({eval}, then a run of backticks) closes at the next run of as many, as markdown-it's
# myst_role rule reads it; a code span (where a role is only text) at a run of exactly as many.
_SPAN = re.compile(r"\{eval\}(`++)(.+?)\1|(`++)(?:.*?(?<!`)\3(?!`))?", re.DOTALL)
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # ASCII punctuation: CommonMark escapes it with \


def role_spans(source: str) -> list[tuple[int, int, str]]:
    """(start, end, expression) of each ``{eval}`` role in a Markdown source, in order."""
    return [(m.start(), m.end(), m[2].replace("\n", " ")) for m in _SPAN.finditer(source) if m[1]]


def as_markdown(result: dict) -> str:
    """A shown result as Markdown: its text escaped, the report's links as Markdown links."""
    kind, text = shown(result)
    if kind == "text":
        return _escaped(text)
    return "".join(f"[{_escaped(node.get_text())}]({node['href']})" if node.name == "a"
                   else _escaped(node.get_text()) for node in BeautifulSoup(text, "html.parser").contents)


def _escaped(text: str) -> str:
    return _PUNCTUATION.sub(r"\\\1", re.sub(r"\s+", " ", text))


class ShowExpressions(Preprocessor):
    """For nbconvert's stock exporters (the environment's configuration adds it, enabled, from
    ``tools/jupyter/``): each ``{eval}`` role replaced by its stored result as Markdown, under the
    build's rules; one without a result yet is shown as code, unless ``strict``."""

    strict = Bool(False, help="Stop on an expression with no result or a failed one.").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "markdown" or cell.metadata.get("rendered"):
            return cell, resources
        spans, results, source = role_spans(cell.source), stored(cell), cell.source
        if [expression for _, _, expression in spans] != expressions(source):
            raise ExpressionError(index, cell.get("id", "?"), "…", "could not be placed in the cell's "
                                  "Markdown: write each role on one line, outside code and quotes")
        for start, end, expression in reversed(spans):
            result = checked(expression, results.get(expression), index, cell, self.strict)
            source = source[:start] + (as_markdown(result) if result else f"`{expression}`") + source[end:]
        cell.source = source
        return cell, resources
