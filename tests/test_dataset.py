"""The fact tables load, every quote sits at its offsets, and bad input stops with a clear message."""

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from tashkent_report.analysis.dataset import DataError, check_quotes, load_facts, paragraph_of, paragraphs


@pytest.fixture(scope="module")
def facts():
    return load_facts()


def test_source_is_the_seed_byte_for_byte(facts):
    from tashkent_report.analysis.dataset import sha256

    assert sha256(facts.paths["article"]) == (
        "4b16273d557e51c41804d295b5e472cafb32190b3f1605547ea23073b651b13d"
    )
    assert facts.article["publisher"] == "UzA"
    assert facts.article["language"] == "fr"
    assert facts.article["date"] is None


# Every column of quoted text, with the first row that has a quote (line 2 is the first data row).
QUOTE_COLUMNS = [
    ("facts/events.csv", "quote", 2),
    ("facts/events.csv", "host_city_quote", 2),
    ("facts/figures.csv", "quote", 2),
    ("facts/participation.csv", "quote", 2),
    ("facts/organisations.csv", "quote", 2),
    ("facts/statements.csv", "quote", 2),
    ("facts/statements.csv", "attribution_quote", 2),
    ("audit/numeral_exclusions.csv", "quote", 2),
    ("derived/annotations.csv", "quote", 2),
]


def test_the_list_of_quote_columns_is_complete():
    from tashkent_report.analysis.dataset import read_descriptor

    in_data = {(r["path"], f["name"]) for r in read_descriptor()["resources"] if r.get("type") == "table"
               for f in r["schema"]["fields"] if f["name"].endswith("quote")}
    assert in_data - {(path, column) for path, column, _ in QUOTE_COLUMNS} == set(), (
        "a new quote column: add it to QUOTE_COLUMNS so that its offsets are shown to be checked"
    )


# The first column in make test, every column in make test-slow (and CI): one load of the data each.
@pytest.mark.parametrize("path, column, line", [
    pytest.param(*case, id=f"{case[0]}:{case[1]}", marks=[pytest.mark.slow] * bool(index))
    for index, case in enumerate(QUOTE_COLUMNS)])
def test_every_quote_column_is_checked_at_its_offsets(data_copy, path, column, line):
    """One quote's start moved by one character, in each quote column: the load stops there."""
    start = column.removesuffix("quote") + "start"
    value = data_copy.rows(path)[line - 1][data_copy.rows(path)[0].index(start)]
    data_copy.set_cell(path, line, start, str(int(value) + 1))
    expect(data_copy, path, line, column, "not the quote")


def test_figures_hold_the_articles_numbers(facts):
    by_id = dict(zip(facts.figures["id"], facts.figures["value"], strict=True))
    assert by_id == {
        "rats_conference_ordinal": 10, "cis_conference_ordinal": 2, "representatives": 250,
        "states": 20, "cis_bodies": 9, "sco_bodies": 2, "research_institutions": 22,
        "international_bodies": 10, "international_organisations": 6, "delegations": 47,
    }
    approximate = facts.figures.set_index("id")["approximate"]
    assert list(approximate[approximate].index) == ["representatives"]
    assert "quelque" in facts.figures.set_index("id").loc["representatives", "quote"]


def test_attribution_follows_the_text(facts):
    statements = facts.statements.set_index("id")
    assert list(statements["attribution"]) == ["explicit", "unattributed", "explicit"]
    for quote in statements["attribution_quote"].dropna():
        assert "message" in quote


def test_paragraphs_are_numbered_from_one(facts):
    table = paragraphs(facts.text)
    assert list(table["paragraph"]) == list(range(1, 8))
    assert table["text"].iloc[-1] == "UzA"
    assert paragraph_of(facts.text, facts.text.index("47 délégations")) == 2


def expect(data_copy, file: str, line: int | None, field: str, detail: str):
    with pytest.raises(DataError) as caught:
        load_facts(data_copy.datapackage)
    message = str(caught.value)
    assert caught.value.file.endswith(file), message
    assert caught.value.line == line, message
    assert caught.value.field == field, message
    assert re.search(detail, message), message
    if line is not None:
        assert f"line {line}" in message
    assert f"field '{field}'" in message
    return message


def test_changed_source_text_stops(data_copy):
    data_copy.edit_article("quelque 250", "quelque 260", rehash=False)
    message = expect(data_copy, ".fr.txt", None, "hash", "source text has changed.*sha256")
    assert message.endswith("The article is kept verbatim; restore it from the seed instead of editing it.")


def test_quote_not_at_its_offsets_stops(data_copy):
    data_copy.set_cell("facts/figures.csv", 4, "start", "270")
    expect(data_copy, "facts/figures.csv", 4, "quote", r"text\[270:318\].*occurs at 269:318")


def test_quote_not_in_the_article_stops(data_copy):
    # A straight apostrophe where the article has a curly one, as a browser paste would give.
    rows = data_copy.rows("facts/figures.csv")
    rows[3][rows[0].index("quote")] = rows[3][rows[0].index("quote")].replace("’", "'")
    data_copy.write_rows("facts/figures.csv", rows)
    expect(data_copy, "facts/figures.csv", 4, "quote", "occurs nowhere in the article")


def test_missing_column_stops(data_copy):
    data_copy.drop_column("facts/participation.csv", "unit")
    expect(data_copy, "facts/participation.csv", 1, "unit", "column 'unit' is missing")


def test_value_that_is_not_a_number_stops(data_copy):
    data_copy.set_cell("facts/figures.csv", 6, "value", "neuf")
    expect(data_copy, "facts/figures.csv", 6, "value", "type error.*'neuf'")


def test_unknown_organisation_type_stops(data_copy):
    data_copy.set_cell("facts/participation.csv", 3, "org_type", "ngos")
    expect(data_copy, "facts/participation.csv", 3, "org_type", "constraint.*enum")


def test_duplicate_id_stops(data_copy):
    data_copy.set_cell("facts/organisations.csv", 3, "id", "sco")
    expect(data_copy, "facts/organisations.csv", 3, "id", "unique|primary key")


def test_participation_must_agree_with_its_figure(data_copy):
    data_copy.set_cell("facts/participation.csv", 2, "value", "21")
    expect(data_copy, "facts/participation.csv", 2, "value", "differs from figure 'states' \\(20\\)")


def test_unattributed_statement_must_not_claim_an_attribution(data_copy):
    data_copy.set_cell("facts/statements.csv", 3, "attribution", "explicit")
    expect(data_copy, "facts/statements.csv", 3, "attribution_quote", "needs an attribution_quote")


def test_missing_data_file_stops(data_copy):
    data_copy.path("facts/events.csv").unlink()
    with pytest.raises(DataError) as caught:
        load_facts(data_copy.datapackage)
    assert caught.value.file.endswith("facts/events.csv")
    assert "cannot read the table" in str(caught.value)


def test_extra_column_stops(data_copy):
    rows = data_copy.rows("facts/events.csv")
    data_copy.write_rows("facts/events.csv", [r + ["x"] for r in rows[:1]] + [r + ["1"] for r in rows[1:]])
    expect(data_copy, "facts/events.csv", 1, "x", "unexpected column 'x'")


def test_file_not_in_utf8_stops_at_the_line_and_field(data_copy):
    path = data_copy.path("facts/organisations.csv")
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1", errors="replace"))
    expect(data_copy, "facts/organisations.csv", 2, "name_fr", "not UTF-8")


@pytest.mark.parametrize("quoting", ["minimal", "all"])
def test_a_spreadsheets_bom_loads_whether_or_not_the_header_is_quoted(data_copy, quoting):
    """Excel and LibreOffice save "CSV UTF-8" with a BOM, often with every cell quoted."""
    import csv
    import io

    expected = load_facts(data_copy.datapackage).figures
    for name in ("facts/figures.csv", "facts/events.csv"):
        buffer = io.StringIO()
        mode = csv.QUOTE_ALL if quoting == "all" else csv.QUOTE_MINIMAL
        csv.writer(buffer, lineterminator="\r\n", quoting=mode).writerows(data_copy.rows(name))
        data_copy.path(name).write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))
    loaded = load_facts(data_copy.datapackage)
    pd.testing.assert_frame_equal(loaded.figures, expected)
    assert list(loaded.events.columns)[0] == "id"


@pytest.mark.parametrize("separator, name", [(";", "semicolons"), ("\t", "tabs")])
def test_wrong_separator_is_named(data_copy, separator, name):
    path = data_copy.path("facts/figures.csv")
    rows = data_copy.rows("facts/figures.csv")
    path.write_text("\n".join(separator.join(row) for row in rows) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_facts(data_copy.datapackage)
    message = str(caught.value)
    assert caught.value.file.endswith("facts/figures.csv") and caught.value.line == 1, message
    assert f"separated by {name}, not commas" in message
    assert "is missing" not in message


def test_quote_in_decomposed_unicode_says_so(data_copy):
    import unicodedata

    path = data_copy.path("facts/statements.csv")
    path.write_bytes(unicodedata.normalize("NFD", path.read_text(encoding="utf-8")).encode("utf-8"))
    message = expect(data_copy, "facts/statements.csv", 2, "quote", "not in Unicode NFC form")
    assert "apostrophes" not in message
    assert "unicodedata.normalize('NFC'" in message


def test_the_fix_the_nfc_message_gives_works(data_copy):
    import subprocess
    import sys
    import unicodedata

    path = data_copy.path("facts/statements.csv")
    original = path.read_bytes()
    path.write_bytes(unicodedata.normalize("NFD", original.decode("utf-8")).encode("utf-8"))
    with pytest.raises(DataError) as caught:
        load_facts(data_copy.datapackage)
    command = str(caught.value).split("python3 -c ", 1)[1].strip().strip('"')
    assert f"pathlib.Path('{path}')" in command  # outside the project: shown in full
    subprocess.run([sys.executable, "-c", command], check=True)
    assert path.read_bytes() == original


def test_oversized_cell_is_named_by_row_and_field(data_copy):
    data_copy.set_cell("facts/figures.csv", 6, "translation", "x" * 5_000_000)
    expect(data_copy, "facts/figures.csv", 6, "translation", "5,000,000 characters, more than the 5,000")


def test_oversized_table_stops(data_copy):
    from tashkent_report.analysis.dataset import MAX_TABLE_BYTES

    path = data_copy.path("facts/figures.csv")
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "\n" * (MAX_TABLE_BYTES - len(text) + 1), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_facts(data_copy.datapackage)
    assert caught.value.file.endswith("facts/figures.csv")
    assert "more than the 1,000,000" in str(caught.value)


def test_limits_leave_room_for_every_honest_cell(facts):
    from tashkent_report.analysis.dataset import MAX_CELL_CHARS, MAX_TABLE_BYTES

    assert len(facts.text) < MAX_CELL_CHARS  # a quote can be the whole article
    for name, path in facts.paths.items():
        assert path.stat().st_size * 10 < MAX_TABLE_BYTES, name


def test_paragraphs_carry_their_offsets():
    table = paragraphs("ab\ncde\n\nf")
    assert [tuple(r) for r in table.itertuples(index=False)] == [
        (1, 0, 2, "ab"), (2, 3, 6, "cde"), (3, 7, 7, ""), (4, 8, 9, "f")
    ]
    assert list(table.columns) == ["paragraph", "start", "end", "text"]


def test_duplicated_column_stops_at_the_header(data_copy):
    rows = data_copy.rows("facts/participation.csv")
    i = rows[0].index("unit")
    data_copy.write_rows("facts/participation.csv", [r[:i + 1] + [r[i]] + r[i + 1:] for r in rows])
    with pytest.raises(DataError) as caught:
        load_facts(data_copy.datapackage)
    assert caught.value.file.endswith("facts/participation.csv")
    assert caught.value.line == 1 and "line 1 (header)" in str(caught.value)


def test_offsets_without_a_quote_stop(data_copy):
    # Statement 2 has no attribution: a start alone, without a quote, is an error.
    data_copy.set_cell("facts/statements.csv", 3, "attribution_start", "1452")
    expect(data_copy, "facts/statements.csv", 3, "attribution_quote",
           "offsets 1452:<NA> are given without a quote")


def test_a_quote_after_an_empty_one_is_still_checked(data_copy):
    # Line 3 has no attribution quote; line 4's must still be checked.
    data_copy.set_cell("facts/statements.csv", 4, "attribution_start", "1702")
    expect(data_copy, "facts/statements.csv", 4, "attribution_quote", r"text\[1702:1742\]")


def test_quote_with_one_offset_missing_stops(data_copy):
    data_copy.set_cell("facts/statements.csv", 2, "attribution_end", "")
    expect(data_copy, "facts/statements.csv", 2, "attribution_start",
           r"quote 'Comme le souligne .*' has no offsets \(attribution_start, attribution_end\)")


def test_the_hint_gives_where_the_quote_first_occurs():
    frame = pd.DataFrame({"quote": ["abc"], "start": [1], "end": [4]})
    with pytest.raises(DataError) as caught:
        check_quotes("abc abc", frame, Path("t.csv"))
    assert caught.value.detail == "text[1:4] is 'bc ', not the quote 'abc'; the quote occurs at 0:3"
    frame = pd.DataFrame({"quote": ["xyz"], "start": [0], "end": [3]})
    with pytest.raises(DataError) as caught:
        check_quotes("abc abc", frame, Path("t.csv"))
    assert caught.value.detail == (
        "text[0:3] is 'abc', not the quote 'xyz'; the quote occurs nowhere in the article "
        "(check apostrophes ’ and ')"
    )


def test_statement_not_attributed_by_the_text_must_not_have_an_attribution_quote(data_copy):
    rows = data_copy.rows("facts/statements.csv")
    attribution = rows[2][rows[0].index("attribution")]  # statement 2, line 3: not 'explicit'
    assert attribution != "explicit"
    data_copy.set_cell("facts/statements.csv", 3, "attribution_quote", "Les exercices")
    data_copy.set_cell("facts/statements.csv", 3, "attribution_start", "1452")
    data_copy.set_cell("facts/statements.csv", 3, "attribution_end", "1465")
    expect(data_copy, "facts/statements.csv", 3, "attribution_quote",
           f"attribution '{attribution}' must not have an attribution_quote")


def test_descriptor_without_the_article_stops(data_copy):
    descriptor = json.loads(data_copy.datapackage.read_text(encoding="utf-8"))
    descriptor["resources"] = [r for r in descriptor["resources"] if r["name"] != "article"]
    data_copy.datapackage.write_text(json.dumps(descriptor), encoding="utf-8")
    expect(data_copy, "datapackage.json", None, "resources", "no resource named 'article'")


def test_missing_source_text_stops(data_copy):
    data_copy.article.unlink()
    with pytest.raises(DataError) as caught:
        load_facts(data_copy.datapackage)
    assert caught.value.file.endswith(".fr.txt")
    assert caught.value.detail.startswith("cannot read the source text: ")


def test_source_text_not_in_utf8_stops_even_with_its_hash(data_copy):
    data_copy.article.write_bytes(data_copy.article.read_text(encoding="utf-8").encode("latin-1", "replace"))
    data_copy.rehash()
    expect(data_copy, ".fr.txt", None, "encoding", "not valid UTF-8")
