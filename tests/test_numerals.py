"""The numeral audit finds every number, in digits, words and ordinals, and accounts for each."""

import pytest

from tashkent_report.dataset import DataError, load_facts
from tashkent_report.numerals import find_numerals, numeral_audit


def test_finds_digits_words_and_ordinals():
    found = find_numerals("La troisième réunion de vingt-deux pays, 47 délégations et neuf experts.")
    assert list(zip(found["numeral"], found["value"], found["written_as"], strict=True)) == [
        ("troisième", 3, "ordinal"),
        ("vingt-deux", 22, "words"),
        ("47", 47, "digits"),
        ("neuf", 9, "words"),
    ]


def test_offsets_point_at_the_numeral():
    text = "Ils étaient quelque cent vingt, puis 1500."
    for row in find_numerals(text).itertuples():
        assert text[row.start:row.end] == row.numeral
    assert list(find_numerals(text)["value"]) == [120, 1500]


def test_article_numbers_are_all_accounted_for():
    audit = numeral_audit(load_facts())
    assert set(audit["status"]) == {"figure", "excluded"}
    assert list(audit["numeral"]) == [
        "dixième", "deuxième", "250", "vingt", "neuf", "deux", "vingt-deux", "dix", "six", "47", "2024",
    ]
    assert audit.set_index("numeral").loc["2024", "status"] == "excluded"


def test_unaccounted_number_named_with_its_paragraph(data_copy):
    data_copy.edit_article("UzA", "UzA, trois", rehash=True)  # after every quote: offsets hold
    with pytest.raises(DataError) as caught:
        load_facts(data_copy.datapackage)
    assert caught.value.line == 7
    assert caught.value.field == "text"
    assert "'trois' (= 3)" in str(caught.value)


def test_figure_whose_value_is_not_in_its_quote_stops(data_copy):
    rows = data_copy.rows("facts/figures.csv")
    header = rows[0]
    extra = dict(zip(header, rows[3], strict=True))
    extra.update(id="representatives_again", quote="représentants", start="281", end="294")
    data_copy.write_rows("facts/figures.csv", rows + [[extra[h] for h in header]])
    with pytest.raises(DataError) as caught:
        load_facts(data_copy.datapackage)
    assert caught.value.line == 12
    assert caught.value.field == "value"
    assert "value 250 is not a number written in its quote 'représentants'" in str(caught.value)


def test_number_claimed_twice_stops(data_copy):
    data_copy.set_cell("audit/numeral_exclusions.csv", 2, "value", "47")
    data_copy.set_cell("audit/numeral_exclusions.csv", 2, "quote", "47 délégations")
    data_copy.set_cell("audit/numeral_exclusions.csv", 2, "start", "890")
    data_copy.set_cell("audit/numeral_exclusions.csv", 2, "end", "904")
    with pytest.raises(DataError) as caught:
        load_facts(data_copy.datapackage)
    assert "claimed by several rows" in str(caught.value)
