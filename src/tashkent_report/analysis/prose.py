"""Values for the prose: what a Markdown cell's ``{eval}`` expressions name.

The report's paragraphs are Markdown cells; each number in them is a MyST inline expression
naming a value computed in a code cell above (``{eval}`fig.delegations```, see
``expressions.py``). This module makes those values display as a reader should see them:

- :class:`Value`: a number that links to the French words it rests on (HTML ``<a class="num">``,
  plain text the number itself);
- :func:`cite`: short citations linked to their full entry in the sources table, and
  :func:`citer`, the one ``cite("id", …)`` every notebook names in its prose;
- :class:`Phrase` and :func:`names`: short phrases and groups of values with attribute access,
  so that a sentence that varies with the data names one value instead of holding a template.

Their HTML carries a mark in its metadata (``myst.MARK``): the build shows an expression's HTML
only if it is marked and of their form (``myst.result_refusal``); any other HTML is refused.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
from dataclasses import dataclass
from types import SimpleNamespace

import pandas as pd

from tashkent_report.analysis.myst import MARK
from tashkent_report.config import APPENDIX

OURS = {MARK: "prose"}  # the HTML's metadata: what the build recognises as the report's own


@dataclass(frozen=True)
class Value:
    """A number with, where there is one, the anchor of its evidence."""

    value: object
    href: str | None = None
    fmt: str = "{}"

    def __str__(self) -> str:
        return self.fmt.format(self.value)

    def __repr__(self) -> str:  # text/plain: what a reader without HTML sees
        return str(self)

    def _repr_html_(self) -> tuple[str, dict]:
        shown = html.escape(str(self), quote=False)
        if self.href:
            return f'<a class="num" href="{html.escape(self.href, quote=True)}">{shown}</a>', dict(OURS)
        return f'<span class="num">{shown}</span>', dict(OURS)


class Phrase(str):
    """A short phrase computed from the data; shown as its text, without a string's quotes."""

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> tuple[str, dict]:
        return html.escape(str(self), quote=False), dict(OURS)


class Markup(Phrase):
    """An HTML fragment built by the package from escaped data (links): shown as HTML as it is."""

    def _repr_html_(self) -> tuple[str, dict]:
        return str(self), dict(OURS)


def names(values: dict) -> SimpleNamespace:
    """A dict of values as attributes (``listing.entities``), nested dicts too."""
    return SimpleNamespace(**{k: names(v) if isinstance(v, dict) else v for k, v in values.items()})


def figures(facts) -> SimpleNamespace:
    """Every article figure by id (``fig.delegations``), each linked to its highlighted quote.

    The link names the appendix's notebook, so that JupyterLab opens it there; the report's HTML
    keeps only the fragment (``html.localise``).
    """
    return SimpleNamespace(**{
        row.id: Value(int(row.value), href=f"{APPENDIX}#q-{row.id}") for row in facts.figures.itertuples()
    })


def _date(value) -> str:
    """'2024-09-04' -> '4 September 2024'."""
    day = dt.date.fromisoformat(str(value))
    return f"{day.day} {day:%B %Y}"


def cite(sources: pd.DataFrame, *ids: str) -> Markup:
    """Short citations, 'Outlet, date', each linked to its full entry (outlet, title, date, URL)."""
    table = sources.set_index("id")
    links = []
    for source_id in ids:
        row = table.loc[source_id]
        when = "" if pd.isna(row["published"]) else f", {_date(row['published'])}"
        text = html.escape(f"{row['cite_as']}{when}", quote=False)
        href = html.escape(f"{APPENDIX}#src-{source_id}", quote=True)
        links.append(f'<a href="{href}">{text}</a>')
    return Markup("; ".join(links))


def citer(sources: pd.DataFrame):
    """``cite("id", …)`` over these sources: what a notebook's prose names (``{eval}`cite("uza_en")```)."""
    return functools.partial(cite, sources)


def joined(items, last: str = "and") -> Phrase:
    """'a', 'a and b', 'a, b and c'."""
    items = [str(i) for i in items]
    if len(items) < 2:
        return Phrase("".join(items))
    return Phrase(f"{', '.join(items[:-1])} {last} {items[-1]}")
