"""Reader-facing tables built from the facts: provenance, source paragraphs, audits."""

from __future__ import annotations

import html

import pandas as pd

from .config import relative
from .dataset import Facts, paragraphs, quote_spans, sha256


def show_all() -> None:
    """Pandas display options for the report: full quotes, no truncated columns."""
    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.max_columns", None)
    pd.set_option("display.max_rows", 200)


def source_record(facts: Facts) -> pd.DataFrame:
    """What we know of the source, and whether the file still matches its recorded hash."""
    meta, path = facts.article, facts.paths["article"]
    recorded = meta["hash"].removeprefix("sha256:")
    computed = sha256(path)
    rows = [
        ("File", relative(path)),
        ("Publisher", meta["publisher"]),
        ("Language", meta["language"]),
        ("Date", meta["date"] or f"none: {meta['dateNote']}"),
        ("Characters", f"{len(facts.text):,}"),
        ("Paragraphs", str(len(paragraphs(facts.text)))),
        ("sha256 recorded", recorded),
        ("sha256 computed", computed),
        ("Unchanged", "yes" if recorded == computed else "NO"),
    ]
    return pd.DataFrame(rows, columns=["", "value"]).set_index("")


def source_paragraphs(facts: Facts) -> pd.DataFrame:
    """The article, one numbered paragraph per row."""
    return paragraphs(facts.text).set_index("paragraph")[["text"]]


def provenance(facts: Facts) -> pd.DataFrame:
    """For every table and quote column: how many quotes, and how many sit at their offsets."""
    rows = []
    for name, frame in facts.tables.items():
        for prefix in quote_spans(frame.columns):
            q, s, e = (frame[f"{prefix}{k}"] for k in ("quote", "start", "end"))
            present = q.notna()
            exact = sum(
                facts.text[a:b] == quote
                for quote, a, b in zip(q[present], s[present], e[present], strict=True)
            )
            rows.append(
                {
                    "file": relative(facts.paths[name]),
                    "column": f"{prefix}quote",
                    "rows": len(frame),
                    "quotes": int(present.sum()),
                    "at their offsets": int(exact),
                }
            )
    return pd.DataFrame(rows)


class Captioned:
    """A table shown with its caption: numbered 'Table N' in the report, linkable as #tab-name."""

    def __init__(self, frame: pd.DataFrame, name: str, caption: str):
        self.frame, self.name, self.caption = frame, name, caption

    def _repr_html_(self) -> str:
        frame = self.frame.astype(object).where(self.frame.notna(), "")
        plain_index = frame.index.name is None and isinstance(self.frame.index, pd.RangeIndex)
        body = frame.to_html(escape=True, border=0, index=not plain_index)
        opening = body[: body.index(">") + 1]
        return body.replace(
            opening,
            f'<table class="dataframe" id="tab-{html.escape(self.name)}">\n'
            f"<caption>{html.escape(self.caption, quote=False)}</caption>",
            1,
        )

    def __repr__(self) -> str:
        frame = self.frame.astype(object).where(self.frame.notna(), "")
        return f"Table ({self.name}): {self.caption}\n{frame.to_string()}"


def captioned(frame: pd.DataFrame, name: str, caption: str) -> Captioned:
    return Captioned(frame, name, caption)
