"""The numeral audit of the report itself: no number in its prose is typed by hand.

Every number a reader sees in the report's prose (Markdown cells; table and figure captions,
the cells' ``#| tbl-cap:`` / ``#| fig-cap:``; alt texts; the title block), in digits or English
words, outside verbatim French quotations and code, must be one of:

- *named*: a MyST ``{eval}`` expression's result, computed by the kernel from the data; only an
  expression that reads a value and a result that prose shows count (``myst.refusal``,
  ``myst.result_refusal``): ``{eval}`open(...).write(...)``` prints a number that is not data, and
  its result is audited as typed prose;
- *data*: in an alt text or the title block, written by code from the data and equal to a
  value the report states by name or to one of the article's figures;
- *allowed*: matched by an entry of ``data/audit/report_numbers.csv``, each with its reason
  (the dates the prose names, names such as "Vostok-Antiterror 2024").

Markdown is read as markdown-it reads it: list numbers, link targets and code are markup, not
prose; section, figure and table numbers are computed when the report is rendered, never typed.
Anything else stops the build, naming the notebook and the cell.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from bs4 import BeautifulSoup

from tashkent_report.analysis.myst import options, prose, refusal, result_refusal, shown, stored
from tashkent_report.analysis.numerals import find_numerals
from tashkent_report.config import DATA, EXECUTED_VARIABLE, chapters, relative

ALLOWED = DATA / "audit" / "report_numbers.csv"
FRENCH = re.compile(r"«[^«»]*»")
HTML_TAG = re.compile(r"<[^>]+>")


class AuditError(Exception):
    """A number in the report's prose that nothing accounts for."""


@dataclass(frozen=True)
class Allowed:
    pattern: re.Pattern
    reason: str


def allowed(path: Path = ALLOWED) -> list[Allowed]:
    with open(path, encoding="utf-8", newline="") as handle:
        return [Allowed(re.compile(row["pattern"]), row["reason"]) for row in csv.DictReader(handle)]


def _strip(text: str) -> str:
    """Blank out what the audit does not read (French quotations, and in printed prose, tags)."""
    text = HTML_TAG.sub(lambda m: " " * len(m.group()), text)
    return FRENCH.sub(lambda m: " " * len(m.group()), text)


def numbers_in(text: str, rules: list[Allowed]) -> list[tuple[str, str | None]]:
    """Each number in ``text`` with the reason it is allowed, or None."""
    text = _strip(text)
    spans = [(m.start(), m.end(), rule.reason) for rule in rules for m in rule.pattern.finditer(text)]
    found = []
    for row in find_numerals(text, "en").itertuples(index=False):
        reason = next((r for s, e, r in spans if s <= row.start and row.end <= e), None)
        found.append((row.numeral, reason, row.value))
    return found


def _markdown(cell) -> tuple[str, list[str]]:
    """What a reader reads of a Markdown cell (markdown-it: no markup, list numbers, link targets
    or code; each expression a space), and the values of the expressions that read a value.

    The result of an expression the build refuses is read as typed text: its numbers are audited
    as if typed by hand."""
    lines, roles = prose(cell.source)
    results = stored(cell)
    values = []
    for expression in roles:
        result = results.get(expression)
        if result is None or result.get("status") != "ok":
            values.append("")  # not yet evaluated (a notebook saved without running it)
            continue
        _, text = shown(result)
        text = " ".join(BeautifulSoup(text, "html.parser").get_text(" ").split())
        if refusal(expression) or result_refusal(result):
            lines.append(text)
        else:
            values.append(text)
    return "\n".join(lines), values


def _pieces(cell) -> list[tuple[str, str]]:
    """(kind, text) for what a reader sees of a code cell: its caption (typed, ``#| fig-cap:`` or
    ``#| tbl-cap:``), printed prose, and alt texts (computed by the kernel from the data)."""
    found, _ = options(cell.source)
    pieces = [("caption", str(found[key])) for key in ("fig-cap", "tbl-cap") if key in found]
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if "text/markdown" in data:
            pieces.append(("printed prose", data["text/markdown"]))
        for meta in output.get("metadata", {}).values():
            if isinstance(meta, dict) and meta.get("alt"):
                pieces.append(("alt", meta["alt"]))
    return pieces


def report_notebooks() -> list[tuple[Path, object]]:
    """The chapters as this build executed them, where the build hands them over; else as saved.

    The build executes the chapter that runs this audit after the others and names their folder
    in $TASHKENT_EXECUTED_NOTEBOOKS; that chapter itself, and every chapter when JupyterLab or
    nbval runs it, is read as saved (its Markdown is current; its captions are its last run's).
    """
    import os

    import nbformat

    handed = os.environ.get(EXECUTED_VARIABLE)
    result = []
    for path in chapters():
        executed = Path(handed) / path.name if handed else None
        source = executed if executed is not None and executed.is_file() else path
        result.append((path, nbformat.read(source, as_version=4)))
    return result


def audit(executed: list[tuple[Path, object]], figures: pd.DataFrame, rules: list[Allowed] | None = None,
          title: list[str] = ()) -> pd.DataFrame:
    """Every number in the report's prose, with how it is accounted for (or 'unaccounted')."""
    rules = allowed() if rules is None else rules
    rows, known = [], {str(v) for v in figures["value"]}
    pending = []
    for path, nb in executed:
        for index, cell in enumerate(nb.cells):
            cell_id = cell.get("id", "?")
            if cell.cell_type == "markdown":
                text, values = _markdown(cell)
                known.update(values)
                rows += [(path, index, cell_id, "markdown", v, "named", "an {eval} expression's result")
                         for v in values]
                pending.append((path, index, cell_id, "markdown", text))
            else:
                pending += [(path, index, cell_id, kind, text) for kind, text in _pieces(cell)]
    pending += [(None, None, "", "title block", text) for text in title]
    written_by_code = ("alt", "title block")
    for path, index, cell_id, kind, text in pending:
        for numeral, reason, value in numbers_in(text, rules):
            if reason:
                status = "allowed"
            elif kind in written_by_code and (numeral in known or str(value) in known):
                status, reason = "data", "written by code from the data"
            else:
                status, reason = "unaccounted", "typed by hand?"
            rows.append((path, index, cell_id, kind, numeral, status, reason))
    return pd.DataFrame(rows, columns=["notebook", "cell", "id", "where", "number", "status", "reason"])


def counts(result: pd.DataFrame):
    """How many numbers: ``total``, and by status ``named``, ``data``, ``allowed``, ``unaccounted``."""
    from types import SimpleNamespace

    by_status = result["status"].value_counts()
    return SimpleNamespace(total=len(result), **{
        status: int(by_status.get(status, 0)) for status in ("named", "data", "allowed", "unaccounted")})


def check(executed: list[tuple[Path, object]], figures: pd.DataFrame, title: list[str] = ()) -> pd.DataFrame:
    """The audit, or AuditError naming the first notebook and cell with an unaccounted number."""
    result = audit(executed, figures, title=title)
    bad = result[result["status"] == "unaccounted"]
    if not bad.empty:
        first = bad.iloc[0]
        others = f" ({len(bad) - 1} more)" if len(bad) > 1 else ""
        where = ("the report's title block (build.report_meta)" if first["notebook"] is None else
                 f"{relative(first['notebook'])}, cell {int(first['cell']) + 1} (id {first['id']})")
        raise AuditError(
            f"{where}: the number {first['number']!r} in its {first['where']} is not inserted from "
            f"the data{others}. Compute it in a code cell and name it in the Markdown as "
            "{eval}`name`, or add a pattern with its reason to "
            f"{relative(ALLOWED)}."
        )
    return result


def french_quotes(executed: list[tuple[Path, object]], article: str) -> pd.DataFrame:
    """Every « … » quotation in the report's prose, and whether the article holds it verbatim.

    Line breaks in the prose's source count as spaces, and HTML entities are read as their
    characters; apostrophes must match (’ is not '). ``straight`` marks a Markdown quotation
    that types a straight apostrophe: jupyterlab-myst's smart quotes would show it curled.
    """
    import html

    rows = []
    for path, nb in executed:
        for index, cell in enumerate(nb.cells):
            markdown = cell.cell_type == "markdown"
            texts = [cell.source] if markdown else [
                text for kind, text in _pieces(cell) if kind == "printed prose"]
            for text in texts:
                for match in FRENCH.finditer(text):
                    typed = HTML_TAG.sub("", " ".join(match.group()[1:-1].split()))
                    quote = html.unescape(typed)
                    rows.append((path, index, cell.get("id", "?"), quote, quote in article,
                                 markdown and "'" in typed))
    return pd.DataFrame(rows, columns=["notebook", "cell", "id", "quote", "verbatim", "straight"])


def check_quotes(executed: list[tuple[Path, object]], article: str) -> pd.DataFrame:
    """The quotations, or AuditError naming the first that the article does not hold verbatim."""
    result = french_quotes(executed, article)
    bad = result[~result["verbatim"] | result["straight"]]
    if not bad.empty:
        first = bad.iloc[0]
        where = f"{relative(first['notebook'])}, cell {first['cell'] + 1} (id {first['id']})"
        if first["verbatim"]:
            raise AuditError(
                f"{where}: the quotation « {first['quote']} » types a straight apostrophe, which "
                "JupyterLab's MyST renderer shows curled. Write it as &#39; (the article's own ' "
                "then reaches every reader as it is)."
            )
        near = " (check apostrophes: the article uses ’)" if "'" in first["quote"] else ""
        raise AuditError(
            f"{where}: the quotation « {first['quote']} » is not in the article verbatim{near}. Quote "
            "the article exactly, or use English quotation marks for words that are not the article's."
        )
    return result


def summary(result: pd.DataFrame) -> pd.DataFrame:
    """How many numbers the report's prose holds, by how each is accounted for."""
    counts = result.groupby(["status", "reason"]).size().rename("numbers").reset_index()
    return counts.sort_values(["status", "numbers"], ascending=[True, False]).set_index(["status", "reason"])
