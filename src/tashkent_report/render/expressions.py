"""MyST inline expressions: numbers in Markdown prose as ``{eval}`name```, computed by the kernel.

A Markdown cell states a number by naming a value that a code cell above it computed:
``{eval}`fig.delegations` delegations``. JupyterLab with jupyterlab-myst evaluates each
expression in the notebook's kernel and stores the results in the cell's metadata,
``user_expressions``: a list of ``{"expression": ..., "result": {"status", "data",
"metadata"}}``; Jupyter Book 2 and mystmd render from that metadata.

The build does the same through the same protocol (an ``execute_request`` with
``user_expressions``, sent as the cell's turn comes, so every expression sees what the cells
above it defined, as after Run All), stores the results where jupyterlab-myst stores them, and
substitutes them when it renders (stock nbconvert would print the role's raw text). An
expression that raises, or one with no stored result, stops the build naming the cell.
"""

from __future__ import annotations

from nbclient import NotebookClient
from nbconvert.preprocessors import ExecutePreprocessor
from traitlets import HasTraits, default

from tashkent_report.analysis.myst import METADATA, expressions


class ExpressionError(Exception):
    """An ``{eval}`` expression that raised, or that has no stored result."""

    def __init__(self, index: int, cell_id: str, expression: str, detail: str):
        self.index, self.cell_id, self.expression, self.detail = index, cell_id, expression, detail
        super().__init__(f"cell {index + 1} (id {cell_id}): the expression {{eval}}`{expression}` {detail}")


def _failure(result: dict | None) -> str | None:
    if result is None:
        return "has no result: run the notebook (make execute, or Run All in JupyterLab and save)"
    if result.get("status") != "ok":
        return f"failed: {result.get('ename', 'Error')}: {result.get('evalue', '')}"
    return None


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
        asked = {f"e{i}": expression for i, expression in enumerate(found)}
        msg_id = self.kc.execute("", silent=True, store_history=False, user_expressions=asked)
        reply = await self.async_wait_for_reply(msg_id, cell)
        results = reply["content"].get(METADATA, {}) if reply else {}
        cell.metadata[METADATA] = [
            {"expression": expression, "result": _kept(results.get(key))} for key, expression in asked.items()
        ]
        for item in cell.metadata[METADATA]:
            problem = _failure(item["result"])
            if problem:
                raise ExpressionError(cell_index, cell.get("id", "?"), item["expression"], problem)


def _kept(result: dict | None) -> dict | None:
    """The result as stored: an error keeps its name and value, not its (coloured) traceback."""
    if result is None or result.get("status") == "ok":
        return result
    return {"status": "error", "ename": result.get("ename", ""), "evalue": result.get("evalue", ""),
            "traceback": []}


class ReportClient(EvaluatesExpressions, NotebookClient):
    """nbclient's client, evaluating the Markdown cells' expressions as it goes."""


class ReportExecutePreprocessor(EvaluatesExpressions, ExecutePreprocessor):
    """``--execute`` for the report's exporters: code cells run, Markdown expressions evaluated."""
