"""Shared fixtures: a throw-away copy of data/ that tests may break on purpose; and which tests
are slow because they need a whole build of the report."""

import csv
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from tashkent_report.config import DATA

# Module fixtures that build the whole report (six notebooks, HTML and PDF), render a chapter
# through the `jupyter nbconvert` command line, or set up a small project whose build is broken and
# run in a subprocess (fault injection), or load spaCy's French model (about 8 s of CPU, for the
# tests of the coder on real lemmas and of the stored annotations against a fresh spaCy run: the
# annotations change only through make annotations): every test that uses one is slow, left to
# `make test-slow`, wherever it is and whatever else it is marked. (A fast test renders a small
# notebook in-process instead: tests/test_report.py.) tests/test_repository.py checks that each is
# still defined under its name.
SLOW_FIXTURES = {"built": "tests/test_report.py", "hostile_build": "tests/test_pipeline.py",
                 "chapter": "tests/test_exporters.py", "good": "tests/test_faults.py",
                 "model": "tests/test_themes.py"}


@pytest.hookimpl(tryfirst=True)  # before -m "not slow" deselects
def pytest_collection_modifyitems(items):
    for item in items:
        if SLOW_FIXTURES.keys() & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


class DataCopy:
    """A copy of data/ with helpers to damage it the way people do."""

    def __init__(self, root: Path):
        self.root = root
        self.datapackage = root / "datapackage.json"

    def path(self, name: str) -> Path:
        return self.root / name

    def rows(self, name: str) -> list[list[str]]:
        with open(self.path(name), encoding="utf-8", newline="") as handle:
            return list(csv.reader(handle))

    def write_rows(self, name: str, rows: list[list[str]]) -> None:
        with open(self.path(name), "w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerows(rows)

    def set_cell(self, name: str, line: int, column: str, value: str) -> None:
        """Set one cell; ``line`` counts like an editor, the header being line 1."""
        rows = self.rows(name)
        rows[line - 1][rows[0].index(column)] = value
        self.write_rows(name, rows)

    def drop_column(self, name: str, column: str) -> None:
        rows = self.rows(name)
        i = rows[0].index(column)
        self.write_rows(name, [r[:i] + r[i + 1 :] for r in rows])

    @property
    def article(self) -> Path:
        return next(self.root.glob("raw/*.txt"))

    def edit_article(self, old: str, new: str, rehash: bool) -> None:
        """Change the source text; with rehash, also record the new hash (a deliberate edit)."""
        text = self.article.read_text(encoding="utf-8")
        assert old in text
        self.article.write_text(text.replace(old, new, 1), encoding="utf-8")
        if rehash:
            self.rehash()

    def rehash(self) -> None:
        """Record the article's current hash, as someone replacing the source on purpose would."""
        descriptor = json.loads(self.datapackage.read_text(encoding="utf-8"))
        digest = hashlib.sha256(self.article.read_bytes()).hexdigest()
        for resource in descriptor["resources"]:
            if resource["name"] == "article":
                resource["hash"] = f"sha256:{digest}"
        self.datapackage.write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")


@pytest.fixture
def data_copy(tmp_path) -> DataCopy:
    shutil.copytree(DATA, tmp_path / "data")
    return DataCopy(tmp_path / "data")
