"""The numeral audit finds every number, in digits, words and ordinals, and accounts for each."""

import pytest

from tashkent_report.analysis.dataset import DataError, load_facts
from tashkent_report.analysis.numerals import find_numerals, numeral_audit


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


def test_zero_and_decimals_are_numbers_too():
    found = find_numerals("zéro accident ; deux virgule cinq ; 1,5 et 2.5")
    assert list(zip(found["numeral"], found["value"], found["written_as"], strict=True)) == [
        ("zéro", 0, "words"), ("deux virgule cinq", 2.5, "words"),
        ("1,5", 1.5, "digits"), ("2.5", 2.5, "digits"),
    ]


def test_article_numbers_are_all_accounted_for():
    audit = numeral_audit(load_facts())
    assert set(audit["status"]) == {"figure", "excluded"}
    assert list(audit["numeral"]) == [
        "dixième", "deuxième", "250", "vingt", "neuf", "deux", "vingt-deux", "dix", "six", "47", "2024",
    ]
    by_numeral = audit.set_index("numeral")
    assert by_numeral.loc["2024", "status"] == "excluded"
    assert by_numeral.loc["47", "accounted_by"] == "figure delegations"
    assert by_numeral.loc["2024", "accounted_by"] == (
        'excluded: year inside the proper name of the joint exercise "Est-Antiterror 2024"; a name, not a '
        "figure the article reports"
    )


def test_error_messages_name_file_line_and_field_as_a_reader_counts_them(data_copy):
    data_copy.set_cell("facts/figures.csv", 6, "value", "neuf")
    with pytest.raises(DataError) as caught:
        load_facts(data_copy.datapackage)
    # The example in docs/checks.md, word for word after the path.
    assert str(caught.value).endswith(
        "facts/figures.csv, line 6 (data row 5), field 'value': type error ('neuf'): "
        'type is "integer/default"'
    )


def test_an_exclusion_quote_may_end_with_its_number(data_copy):
    data_copy.set_cell("audit/numeral_exclusions.csv", 2, "quote", "Est-Antiterror 2024")
    data_copy.set_cell("audit/numeral_exclusions.csv", 2, "start", "1494")
    data_copy.set_cell("audit/numeral_exclusions.csv", 2, "end", "1513")
    audit = numeral_audit(load_facts(data_copy.datapackage))
    assert audit.set_index("numeral").loc["2024", "status"] == "excluded"


def test_exclusion_whose_value_is_not_in_its_quote_stops(data_copy):
    rows = data_copy.rows("audit/numeral_exclusions.csv")
    data_copy.write_rows("audit/numeral_exclusions.csv", rows + [["5", "a signature", "UzA", "2044", "2047"]])
    with pytest.raises(DataError) as caught:
        load_facts(data_copy.datapackage)
    assert caught.value.file.endswith("audit/numeral_exclusions.csv")
    assert (caught.value.line, caught.value.field) == (3, "value")
    assert caught.value.detail == "value 5 is not a number written in its quote 'UzA' (numbers there: none)"


def test_figure_quote_holding_other_numbers_names_them(data_copy):
    rows = data_copy.rows("facts/figures.csv")
    header = rows[0]
    extra = dict(zip(header, rows[8], strict=True))  # line 9: 'dix organismes représentant', 613:640
    extra.update(id="seven", value="7", quote="dix organismes représentant six organisations", end="658")
    data_copy.write_rows("facts/figures.csv", rows + [[extra[h] for h in header]])
    with pytest.raises(DataError) as caught:
        load_facts(data_copy.datapackage)
    assert (caught.value.line, caught.value.field) == (12, "value")
    assert caught.value.detail.endswith("(numbers there: 'dix' = 10, 'six' = 6)")


def test_unaccounted_number_named_with_its_paragraph(data_copy):
    data_copy.edit_article("UzA", "UzA, trois", rehash=True)  # after every quote: offsets hold
    with pytest.raises(DataError) as caught:
        load_facts(data_copy.datapackage)
    assert caught.value.line == 7
    assert caught.value.field == "text"
    assert str(caught.value).endswith(
        ".fr.txt, line 7, field 'text': the number 'trois' (= 3) at offsets 2049:2054 is captured by no "
        "row of the figures table and no row of the numeral exclusions; add one"
    )


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
    assert (caught.value.line, caught.value.field) == (2, "text")  # paragraph 2 of the article
    assert caught.value.detail == (
        "the number '47' at offsets 890:892 is claimed by several rows: "
        "figure delegations; exclusion (line 2)"
    )
