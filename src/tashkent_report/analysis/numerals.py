"""The numeral audit: every number in the article is a figure row or a listed exclusion.

Numbers written in French words and ordinals are recognised by ``text2num``; numbers in
digits by a regular expression. Nothing here parses French numerals by hand.
"""

from __future__ import annotations

import re

import pandas as pd
from text_to_num import find_numbers

from tashkent_report.analysis.model import DataError, Facts, paragraph_of

# Words (hyphenated compounds such as "vingt-deux" kept whole) and single punctuation marks,
# so that text2num sees sentence boundaries.
_TOKEN = re.compile(r"\w+(?:-\w+)*|[^\w\s]")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)?")


class _Token:
    """A regex match wrapped in text2num's Token protocol."""

    def __init__(self, match: re.Match):
        self.match = match

    def text(self) -> str:
        return self.match.group()

    def nt_separated(self, previous) -> bool:
        return False

    def not_a_number_part(self) -> bool:
        return False


def find_numerals(text: str, lang: str = "fr") -> pd.DataFrame:
    """Every number in the text: digits, number words and ordinals (French, or ``lang``), with offsets."""
    rows = []
    tokens = [_Token(m) for m in _TOKEN.finditer(text)]
    # threshold=0: report every number, even those text2num leaves as words by default.
    for occ in find_numbers(tokens, lang, 0):
        start = tokens[occ.start].match.start()
        end = tokens[occ.end - 1].match.end()
        words = text[start:end]
        if _DIGITS.fullmatch(words):
            continue  # digits are found below, in one place
        rows.append(
            {
                "numeral": words,
                "start": start,
                "end": end,
                "value": int(occ.value) if float(occ.value).is_integer() else occ.value,
                "written_as": "ordinal" if occ.is_ordinal else "words",
            }
        )
    for m in _DIGITS.finditer(text):
        raw = m.group()
        value = float(raw.replace(",", ".")) if re.search(r"[.,]", raw) else int(raw)
        rows.append(
            {"numeral": raw, "start": m.start(), "end": m.end(), "value": value, "written_as": "digits"}
        )
    frame = pd.DataFrame(rows, columns=["numeral", "start", "end", "value", "written_as"])
    frame = frame.sort_values("start", kind="stable").reset_index(drop=True)
    frame["paragraph"] = [paragraph_of(text, s) for s in frame["start"]]
    return frame


def _covering(table: pd.DataFrame, start: int, end: int, value) -> list[int]:
    """Positions of rows whose quote span holds [start, end) and whose value equals value."""
    hits = (table["start"] <= start) & (table["end"] >= end) & (table["value"] == value)
    return [i for i, hit in enumerate(hits.fillna(False)) if hit]


def numeral_audit(facts: Facts) -> pd.DataFrame:
    """One row per number in the article, with the figure or exclusion that accounts for it."""
    numerals = find_numerals(facts.text)
    figures, exclusions = facts.figures, facts.numeral_exclusions
    accounted, status = [], []
    for n in numerals.itertuples(index=False):
        fig = _covering(figures, n.start, n.end, n.value)
        exc = _covering(exclusions, n.start, n.end, n.value)
        if len(fig) + len(exc) > 1:
            accounted.append("; ".join([f"figure {figures['id'].iloc[i]}" for i in fig]
                                       + [f"exclusion (line {i + 2})" for i in exc]))
            status.append("ambiguous")
        elif fig:
            accounted.append(f"figure {figures['id'].iloc[fig[0]]}")
            status.append("figure")
        elif exc:
            accounted.append(f"excluded: {exclusions['reason'].iloc[exc[0]]}")
            status.append("excluded")
        else:
            accounted.append("")
            status.append("UNACCOUNTED")
    return numerals.assign(accounted_by=accounted, status=status)


def check_numeral_audit(facts: Facts) -> pd.DataFrame:
    """Raise DataError on any number left unaccounted, and on any figure no number supports."""
    audit = numeral_audit(facts)
    article_path = facts.paths["article"]
    for n in audit.itertuples(index=False):
        if n.status == "UNACCOUNTED":
            raise DataError(
                article_path,
                f"the number {n.numeral!r} (= {n.value}) at offsets {n.start}:{n.end} is captured by "
                "no row of the figures table and no row of the numeral exclusions; add one",
                line=n.paragraph,
                field="text",
            )
        if n.status == "ambiguous":
            raise DataError(
                article_path,
                f"the number {n.numeral!r} at offsets {n.start}:{n.end} is claimed by several rows: "
                f"{n.accounted_by}",
                line=n.paragraph,
                field="text",
            )
    for label, table in (("figures", facts.figures), ("numeral_exclusions", facts.numeral_exclusions)):
        for i, row in enumerate(table.itertuples(index=False)):
            inside = audit[(audit["start"] >= row.start) & (audit["end"] <= row.end)]
            if not (inside["value"] == row.value).any():
                found = ", ".join(f"{w!r} = {v}" for w, v in zip(inside["numeral"], inside["value"],
                                                                  strict=True)) or "none"
                raise DataError(
                    facts.paths[label],
                    f"value {row.value} is not a number written in its quote {row.quote!r} "
                    f"(numbers there: {found})",
                    line=i + 2,
                    field="value",
                )
    return audit
