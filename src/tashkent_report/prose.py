"""Prose that states numbers by name: the analysis returns values, a template states them.

``say(template, **values)`` renders a Jinja template with strict undefined handling: a name
the template uses but the analysis did not give stops the notebook. Every number inserted is
wrapped in a marked element (``<span class="num" data-value="name">``, or a link to its
evidence when one is given), so the build can check that no number in the report's prose was
typed by hand (see ``audit.py``). Templates state values; they do not compute them.
"""

from __future__ import annotations

import html
import numbers
from dataclasses import dataclass

from IPython.display import Markdown
from jinja2 import Environment, StrictUndefined
from markupsafe import Markup

_ENV = Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


@dataclass(frozen=True)
class Value:
    """A number with its name and, where there is one, the anchor of its evidence."""

    name: str
    value: object
    href: str | None = None
    fmt: str = "{}"

    def __html__(self) -> str:
        shown = html.escape(self.fmt.format(self.value))
        name = html.escape(self.name, quote=True)
        if self.href:
            href = html.escape(self.href, quote=True)
            return f'<a class="num" href="{href}" data-value="{name}">{shown}</a>'
        return f'<span class="num" data-value="{name}">{shown}</span>'

    def __str__(self) -> str:
        return self.__html__()


def _wrap(name: str, value):
    """Numbers marked with their name (nested: ``parent.key``), strings escaped, recursively."""
    if isinstance(value, Value):
        return Markup(value.__html__())
    if isinstance(value, dict):
        return {k: _wrap(f"{name}.{k}", v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_wrap(f"{name}.{i}", v) for i, v in enumerate(value)]
    if isinstance(value, str):
        return html.escape(value, quote=False)
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        return value
    return Markup(Value(name, value).__html__())


def text(template: str, **values) -> str:
    """The rendered Markdown, numbers marked; strings are escaped as text, never markup."""
    wrapped = {name: _wrap(name, value) for name, value in values.items()}
    return _ENV.from_string(template).render(**wrapped)


def say(template: str, **values) -> Markdown:
    """The rendered Markdown, for display as a notebook cell's output."""
    return Markdown(text(template, **values))


def figure(facts, figure_id: str, name: str | None = None) -> Value:
    """An article figure, linked to its highlighted quote in Appendix A."""
    row = facts.figures.set_index("id").loc[figure_id]
    return Value(name or figure_id, int(row["value"]), href=f"#q-{figure_id}")


def _date(value) -> str:
    """'2024-09-04' -> '4 September 2024'."""
    import datetime as dt

    day = dt.date.fromisoformat(str(value))
    return f"{day.day} {day:%B %Y}"


def cite(sources, *ids: str) -> Markup:
    """Short citations, 'Outlet, date', each linked to its full entry (outlet, title, date, URL)."""
    table = sources.set_index("id")
    links = []
    for source_id in ids:
        row = table.loc[source_id]
        outlet = str(row["cite_as"])
        when = "" if pd_isna(row["published"]) else f", {_date(row['published'])}"
        links.append(f"[{html.escape(outlet, quote=False)}{when}](#src-{source_id})")
    return Markup("; ".join(links))


def pd_isna(value) -> bool:
    import pandas as pd

    return bool(pd.isna(value))
