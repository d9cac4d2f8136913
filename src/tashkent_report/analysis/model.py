"""The data model: the verified facts, the one error bad input raises, and the article's paragraphs.

Imports nothing else of the package but its paths, so that every module that loads, checks or
reads the facts can use it without importing the loader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from tashkent_report.config import relative


class DataError(Exception):
    """Bad input: names the file, the row and the field, and what is wrong."""

    def __init__(self, file, message: str, line: int | None = None, field: str | None = None):
        self.file = relative(Path(file))
        self.line = line
        self.field = field
        self.detail = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [self.file]
        if self.line is not None and self.file.endswith(".csv"):
            row = f"data row {self.line - 1}" if self.line > 1 else "header"
            where.append(f"line {self.line} ({row})")
        elif self.line is not None:
            where.append(f"line {self.line}")
        if self.field is not None:
            where.append(f"field '{self.field}'")
        return ", ".join(where) + ": " + self.detail


@dataclass
class Facts:
    """The verified source text, its metadata and the fact tables, one DataFrame each."""

    text: str
    article: dict
    tables: dict[str, pd.DataFrame]
    paths: dict[str, Path] = field(default_factory=dict)

    def figure(self, figure_id: str) -> pd.Series:
        """One of the article's figures, by its id (its row of the figures table)."""
        return self.figures.set_index("id").loc[figure_id]

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)


def cited_as(sources: pd.DataFrame) -> dict[str, str]:
    """Each source's id and the short name the report cites it by."""
    return dict(zip(sources["id"], sources["cite_as"], strict=True))


def paragraphs(text: str) -> pd.DataFrame:
    """The article's paragraphs (one per line), numbered from 1, with their offsets."""
    rows, pos = [], 0
    for number, para in enumerate(text.split("\n"), start=1):
        rows.append({"paragraph": number, "start": pos, "end": pos + len(para), "text": para})
        pos += len(para) + 1
    return pd.DataFrame(rows)


def paragraph_of(text: str, offset: int) -> int:
    """1-based number of the paragraph holding a character offset."""
    return text.count("\n", 0, offset) + 1
