"""The numeral audit of the report itself: no number in its prose is typed by hand.

Every number in the report's prose (Markdown cells, prose rendered by ``prose.say``, table and
figure captions, alt texts), in digits or English words, outside verbatim French quotations and
code, must be one of:

- *named*: inserted by ``prose`` from a value the analysis computed (a marked element);
- *data*: in a caption or alt text written by code from a table, equal to a value the report
  states by name or to one of the article's figures;
- *allowed*: matched by an entry of ``data/audit/report_numbers.csv``, each with its reason
  (section numbers, dates of sources, names such as "Vostok-Antiterror 2024").

Anything else stops the build, naming the notebook and the cell.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from bs4 import BeautifulSoup

from .config import DATA, relative
from .numerals import find_numerals

ALLOWED = DATA / "audit" / "report_numbers.csv"
FRENCH = re.compile(r"«[^«»]*»")
MD_LINK_TARGET = re.compile(r"\]\([^)]*\)")
INLINE_CODE = re.compile(r"`[^`]*`")
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
    """Blank out what the audit does not read (quotes, code, link targets), keeping offsets."""
    for pattern in (FRENCH, INLINE_CODE, MD_LINK_TARGET):
        text = pattern.sub(lambda m: " " * len(m.group()), text)
    return text


def _named(html: str) -> tuple[str, list[str]]:
    """The text with marked values blanked out, and the marked values themselves."""
    soup = BeautifulSoup(html, "html.parser")
    values = []
    for element in soup.select(".num"):
        values.append(element.get_text())
        element.replace_with(" ")
    for element in soup.select('[lang="fr"], code, pre'):
        element.replace_with(" ")
    return soup.get_text(" "), values


def numbers_in(text: str, rules: list[Allowed]) -> list[tuple[str, str | None]]:
    """Each number in ``text`` with the reason it is allowed, or None."""
    text = _strip(text)
    spans = [(m.start(), m.end(), rule.reason) for rule in rules for m in rule.pattern.finditer(text)]
    found = []
    for row in find_numerals(text, "en").itertuples(index=False):
        reason = next((r for s, e, r in spans if s <= row.start and row.end <= e), None)
        found.append((row.numeral, reason, row.value))
    return found


def _pieces(cell) -> list[tuple[str, str]]:
    """(kind, text) for everything a reader sees of a cell: Markdown, prose, captions, alt texts."""
    if cell.cell_type == "markdown":
        return [("markdown", cell.source)]
    pieces = []
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if "text/markdown" in data:
            pieces.append(("prose", data["text/markdown"]))
        meta = output.get("metadata", {}).get("image/png", {})
        for key in ("caption", "alt"):
            if meta.get(key):
                pieces.append((key, meta[key]))
        if "text/html" in data:
            soup = BeautifulSoup(data["text/html"], "html.parser")
            for caption in soup.find_all("caption"):
                pieces.append(("caption", caption.get_text()))
    return pieces


def audit(executed: list[tuple[Path, object]], figures: pd.DataFrame, rules: list[Allowed] | None = None,
          ) -> pd.DataFrame:
    """Every number in the report's prose, with how it is accounted for (or 'unaccounted')."""
    rules = allowed() if rules is None else rules
    rows, known = [], {str(v) for v in figures["value"]}
    pending = []
    for path, nb in executed:
        for index, cell in enumerate(nb.cells):
            for kind, text in _pieces(cell):
                if kind == "prose":
                    text, values = _named(text)
                    known.update(values)
                    cell_id = cell.get("id", "?")
                    rows += [(path, index, cell_id, kind, v, "named", "inserted by name") for v in values]
                elif kind == "markdown":
                    text = HTML_TAG.sub(" ", text)
                pending.append((path, index, cell.get("id", "?"), kind, text))
    for path, index, cell_id, kind, text in pending:
        for numeral, reason, value in numbers_in(text, rules):
            if reason:
                status = "allowed"
            elif kind in ("caption", "alt") and (numeral in known or str(value) in known):
                status, reason = "data", "written by code from the data"
            else:
                status, reason = "unaccounted", "typed by hand?"
            rows.append((path, index, cell_id, kind, numeral, status, reason))
    return pd.DataFrame(rows, columns=["notebook", "cell", "id", "where", "number", "status", "reason"])


def check(executed: list[tuple[Path, object]], figures: pd.DataFrame) -> pd.DataFrame:
    """The audit, or AuditError naming the first notebook and cell with an unaccounted number."""
    result = audit(executed, figures)
    bad = result[result["status"] == "unaccounted"]
    if not bad.empty:
        first = bad.iloc[0]
        others = f" ({len(bad) - 1} more)" if len(bad) > 1 else ""
        raise AuditError(
            f"{relative(first['notebook'])}, cell {first['cell'] + 1} (id {first['id']}): the number "
            f"{first['number']!r} in its {first['where']} is not inserted from the data{others}. State it "
            "with prose.say and a named value, or add a pattern with its reason to "
            f"{relative(ALLOWED)}."
        )
    return result


def french_quotes(executed: list[tuple[Path, object]], article: str) -> pd.DataFrame:
    """Every « … » quotation in the report's prose, and whether the article holds it verbatim.

    Line breaks in the prose's source count as spaces; apostrophes must match (’ is not ').
    """
    rows = []
    for path, nb in executed:
        for index, cell in enumerate(nb.cells):
            for kind, text in _pieces(cell):
                if kind not in ("markdown", "prose"):
                    continue
                for match in FRENCH.finditer(text):
                    quote = " ".join(match.group()[1:-1].split())
                    quote = HTML_TAG.sub("", quote)
                    rows.append((path, index, cell.get("id", "?"), quote, quote in article))
    return pd.DataFrame(rows, columns=["notebook", "cell", "id", "quote", "verbatim"])


def check_quotes(executed: list[tuple[Path, object]], article: str) -> pd.DataFrame:
    """The quotations, or AuditError naming the first that the article does not hold verbatim."""
    result = french_quotes(executed, article)
    bad = result[~result["verbatim"]]
    if not bad.empty:
        first = bad.iloc[0]
        near = " (check apostrophes: the article uses ’)" if "'" in first["quote"] else ""
        raise AuditError(
            f"{relative(first['notebook'])}, cell {first['cell'] + 1} (id {first['id']}): the quotation "
            f"« {first['quote']} » is not in the article verbatim{near}. Quote the article exactly, "
            "or use English quotation marks for words that are not the article's."
        )
    return result


def summary(result: pd.DataFrame) -> pd.DataFrame:
    """How many numbers the report's prose holds, by how each is accounted for."""
    counts = result.groupby(["status", "reason"]).size().rename("numbers").reset_index()
    return counts.sort_values(["status", "numbers"], ascending=[True, False]).set_index(["status", "reason"])
