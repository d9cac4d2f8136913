"""Tools that rewrite the user's files: make locate fills offsets, and nothing else changes."""

import pytest

from tashkent_report.analysis.dataset import DataError, load_article
from tashkent_report.tools.locate import fill_offsets


def test_locate_fills_missing_offsets_and_leaves_the_rest_byte_for_byte(data_copy):
    text, _ = load_article(data_copy.datapackage)
    name = "facts/figures.csv"
    original = data_copy.path(name).read_bytes()
    rows = data_copy.rows(name)
    header = rows[0]
    start, end = header.index("start"), header.index("end")
    emptied = [row[:] for row in rows]
    for row in emptied[1:3]:
        row[start] = row[end] = ""
    data_copy.write_rows(name, emptied)
    assert fill_offsets(data_copy.path(name), text) == 2
    assert data_copy.path(name).read_bytes() == original
    assert fill_offsets(data_copy.path(name), text) == 0  # a second run changes nothing
    assert data_copy.path(name).read_bytes() == original


def test_locate_takes_the_occurrence_after_a_typed_start(data_copy):
    text, _ = load_article(data_copy.datapackage)
    name = "facts/figures.csv"
    rows = data_copy.rows(name)
    header = rows[0]
    quote, start, end = (header.index(c) for c in ("quote", "start", "end"))
    row = rows[1]
    first = text.find("OCS")
    row[quote], row[start], row[end] = "OCS", str(first + 1), ""
    data_copy.write_rows(name, rows)
    fill_offsets(data_copy.path(name), text)
    filled = data_copy.rows(name)[1]
    assert int(filled[start]) == text.find("OCS", first + 1) > first
    assert text[int(filled[start]):int(filled[end])] == "OCS"


def test_locate_names_a_quote_that_is_not_in_the_article(data_copy):
    text, _ = load_article(data_copy.datapackage)
    name = "facts/figures.csv"
    rows = data_copy.rows(name)
    header = rows[0]
    rows[2][header.index("quote")] = "pas dans l'article"
    rows[2][header.index("start")] = rows[2][header.index("end")] = ""
    data_copy.write_rows(name, rows)
    before = data_copy.path(name).read_bytes()
    with pytest.raises(DataError, match=r"figures\.csv, line 3 \(data row 2\), field 'quote': quote"):
        fill_offsets(data_copy.path(name), text)
    assert data_copy.path(name).read_bytes() == before  # nothing written
