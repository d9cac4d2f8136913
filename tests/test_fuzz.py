"""Hostile and broken input: fuzzed data files load correctly or stop with the project's own error."""

import csv
import io
import os
import shutil
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tashkent_report.analysis.dataset import (
    NO_PROCESSED,
    DataError,
    load_facts,
    read_descriptor,
    read_processed,
)
from tashkent_report.analysis.numerals import find_numerals
from tashkent_report.config import DATA

TABLES = [r["path"] for r in read_descriptor()["resources"] if r.get("type") == "table"]
ORIGINAL = {path: (DATA / path).read_bytes() for path in TABLES}
JUNK = st.sampled_from(["", " ", "abc", "-1", "1.5", "NaN", "true", "1e3", "’", "'", "\x00", "é" * 3,
                        "<script>alert(1)</script>", "999999999999999999999", "None", ";", '"', "\n"])


def rows_of(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"))))


def to_bytes(rows: list[list[str]], newline: str = "\n") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator=newline).writerows(rows)
    return out.getvalue().encode("utf-8")


@st.composite
def mutation(draw):
    """A data file and a broken version of it, as people and browsers break CSV files."""
    path = draw(st.sampled_from(TABLES))
    rows = rows_of(ORIGINAL[path])
    kind = draw(st.sampled_from(["cell", "empty_cell", "drop_column", "extra_column", "rename_column",
                                 "shuffle_offsets", "bom", "crlf", "latin1", "apostrophe",
                                 "drop_cell", "extra_cell", "duplicate_row", "blank_row"]))
    row = draw(st.integers(1, len(rows) - 1))
    col = draw(st.integers(0, len(rows[0]) - 1))
    if kind == "cell":
        rows[row][col] = draw(JUNK)
    elif kind == "empty_cell":
        rows[row][col] = ""
    elif kind == "drop_column":
        rows = [r[:col] + r[col + 1:] for r in rows]
    elif kind == "extra_column":
        rows = [r + [draw(JUNK) if i else "extra"] for i, r in enumerate(rows)]
    elif kind == "rename_column":
        rows[0][col] = rows[0][col] + "_x"
    elif kind == "shuffle_offsets":
        for name in ("start", "end"):
            if name in rows[0]:
                i = rows[0].index(name)
                values = [r[i] for r in rows[1:]]
                shuffled = draw(st.permutations(values))
                for r, v in zip(rows[1:], shuffled, strict=True):
                    r[i] = v
    elif kind == "drop_cell":
        rows[row] = rows[row][:-1]
    elif kind == "extra_cell":
        rows[row] = rows[row] + [draw(JUNK)]
    elif kind == "duplicate_row":
        rows.insert(row, list(rows[row]))
    elif kind == "blank_row":
        rows.insert(row, [])
    data = to_bytes(rows, "\r\n" if kind == "crlf" else "\n")
    if kind == "bom":
        data = b"\xef\xbb\xbf" + data
    elif kind == "latin1":
        data = data.decode("utf-8").encode("latin-1", errors="replace")
    elif kind == "apostrophe":
        curly = "’".encode()
        data = data.replace(curly, b"'", 1) if curly in data else data.replace(b"'", curly, 1)
    return path, kind, data


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz") / "data"
    shutil.copytree(DATA, root)
    return root


def data_rows(data: bytes) -> int:
    text = data.decode("utf-8-sig")
    return sum(1 for r in csv.reader(io.StringIO(text)) if r) - 1


# make test runs a fixed, quick sample; `make fuzz` (FUZZ_EXAMPLES=1000) a long random one.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))


@pytest.mark.slow  # random broken files: fault injection (make fuzz for a long run)
@settings(max_examples=EXAMPLES, deadline=None, derandomize="FUZZ_EXAMPLES" not in os.environ,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=mutation())
def test_broken_files_load_or_stop_with_file_row_and_field(scratch, case):
    path, kind, data = case
    target = scratch / path
    target.write_bytes(data)
    try:
        facts = load_facts(scratch / "datapackage.json")
    except DataError as error:
        assert error.file.endswith(path), (kind, str(error))
        assert error.line is not None or error.field is not None, (kind, str(error))
        assert str(error).startswith(error.file)
    else:
        name = next(r["name"] for r in read_descriptor(scratch / "datapackage.json")["resources"]
                    if r.get("path") == path)
        assert len(facts.tables[name]) == data_rows(data), (kind, "a row was dropped or invented")
        if not os.environ.get(NO_PROCESSED):  # make mutate checks in full on every load
            again = read_processed(scratch / "datapackage.json")  # as a kernel reads them next
            assert again is not None, (kind, "the checked facts were not written to processed/")
            assert all(again.tables[n].equals(facts.tables[n]) for n in facts.tables), kind
    finally:
        target.write_bytes(ORIGINAL[path])


# Each number of the article, a replacement of the same length (so that no other quote's
# offsets move), and the first quote that holds it in the order the loader checks the tables:
# that row, and no other, must be named.
CHANGES = [
    ("dixième", 76, "sixième", "facts/events.csv", 2),
    ("deuxième", 136, "septième", "facts/events.csv", 3),
    ("250", 277, "251", "facts/figures.csv", 4),
    ("vingt", 322, "trois", "facts/figures.csv", 5),
    ("neuf", 438, "sept", "facts/figures.csv", 6),
    ("deux", 486, "sept", "facts/figures.csv", 7),
    ("vingt-deux", 543, "vingt-sept", "facts/figures.csv", 8),
    ("dix", 613, "six", "facts/figures.csv", 9),
    ("six", 641, "dix", "facts/figures.csv", 10),
    ("47", 890, "48", "facts/figures.csv", 11),
    ("2024", 1509, "2025", "facts/statements.csv", 3),
]


def test_the_changes_cover_every_number_of_the_article():
    article = (DATA / "raw" / "uza_rats-sco_cis_conference_tashkent.fr.txt").read_text(encoding="utf-8")
    found = find_numerals(article)
    assert set(zip(found["numeral"], found["start"], strict=True)) == {(n, s) for n, s, *_ in CHANGES}


def ascii_id(numeral: str, start: int) -> str:
    """'dixième', 76 -> 'dixieme@76': test ids that any shell and pytest's command line take as typed."""
    return unicodedata.normalize("NFKD", numeral).encode("ascii", "ignore").decode() + f"@{start}"


@pytest.mark.parametrize("numeral, start, new, file, line", CHANGES,
                         ids=[ascii_id(n, s) for n, s, *_ in CHANGES])
def test_changing_any_number_of_the_source_is_caught_at_its_quote(data_copy, numeral, start, new, file, line):
    """A number of a copy of the article changed, hash re-recorded: the quote holding it stops the load."""
    assert len(new) == len(numeral)
    text = data_copy.article.read_text(encoding="utf-8")
    assert text[start:start + len(numeral)] == numeral
    data_copy.article.write_text(text[:start] + new + text[start + len(numeral):], encoding="utf-8")
    data_copy.rehash()
    with pytest.raises(DataError) as caught:
        load_facts(data_copy.datapackage)
    assert caught.value.file.endswith(file), str(caught.value)
    assert (caught.value.line, caught.value.field) == (line, "quote"), str(caught.value)
    assert new in caught.value.detail.split(", not the quote")[0], "the message shows the changed text"


def test_changing_a_number_without_rehashing_is_caught_by_the_hash(data_copy):
    data_copy.edit_article("vingt-deux institutions", "vingt-trois institutions", rehash=False)
    with pytest.raises(DataError) as caught:
        load_facts(data_copy.datapackage)
    assert caught.value.field == "hash"


# An added number outside every quote, caught by the numeral audit with its paragraph, is
# tests/test_numerals.py::test_unaccounted_number_named_with_its_paragraph.
