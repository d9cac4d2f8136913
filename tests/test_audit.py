"""The report's own numbers: typed numbers stop the build; numbers follow the data; links resolve."""

from pathlib import Path

import nbformat
import pandas as pd
import pytest

from tashkent_report.analysis import audit
from tashkent_report.analysis.dataset import load_facts

FIGURES = pd.DataFrame({"value": [20, 47]})


def notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    for i, cell in enumerate(nb.cells):
        cell.id = f"c{i}"
    return [(Path("notebooks/09-test.ipynb"), nb)]


def evaluated(markdown: str, **values):
    """A Markdown cell with its {eval} results stored, as JupyterLab and the build store them."""
    cell = nbformat.v4.new_markdown_cell(markdown)
    cell.metadata["user_expressions"] = [
        {"expression": name, "result": {"status": "ok", "data": {"text/plain": repr(value)}, "metadata": {}}}
        for name, value in values.items()]
    return cell


def printed(markdown: str):
    """A code cell that prints prose as Markdown (what the report no longer does)."""
    cell = nbformat.v4.new_code_cell("Markdown(...)")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": markdown})]
    return cell


def test_a_number_typed_into_markdown_stops_naming_notebook_and_cell():
    typed = "## Heading\n\nSee [§](#cell-id=sec-x), [Table](#cell-id=tab-1)."
    nbs = notebook(nbformat.v4.new_markdown_cell(typed),
                   nbformat.v4.new_markdown_cell("The article lists 63 entities."))
    with pytest.raises(audit.AuditError) as caught:
        audit.check(nbs, FIGURES)
    assert "notebooks/09-test.ipynb, cell 2 (id c1): the number '63'" in str(caught.value)


def test_a_section_number_typed_into_a_heading_or_a_reference_stops():
    """Section, figure and table numbers are computed when the report renders, never typed."""
    for typed in ("## 1.2 Heading", "As [§1.3](#cell-id=sec-x) shows.", "As Table 4 shows."):
        with pytest.raises(audit.AuditError, match="cell 1 "):
            audit.check(notebook(nbformat.v4.new_markdown_cell(typed)), FIGURES)


def test_number_words_count_too():
    with pytest.raises(audit.AuditError, match="'twenty'"):
        audit.check(notebook(nbformat.v4.new_markdown_cell("Some twenty states came.")), FIGURES)


def test_numbers_inserted_by_name_quotes_and_allowed_forms_pass():
    nbs = notebook(evaluated("The article states {eval}`n` delegations in total.", n=47),
                   nbformat.v4.new_markdown_cell("« vingt-deux institutions » on 4 September 2024, "
                                                 "[Table](#cell-id=tab-3) and statement 2 (paragraph 4); "
                                                 "`make test`."))
    result = audit.check(nbs, FIGURES)
    assert list(result["status"]).count("named") == 1
    assert set(result["status"]) == {"named", "allowed"}


def test_a_number_beside_a_named_one_in_markdown_is_still_caught():
    with pytest.raises(audit.AuditError, match="'16'"):
        audit.check(notebook(evaluated("{eval}`n` delegations, and 16 more entities.", n=47)), FIGURES)


def test_numbers_in_printed_prose_are_not_named():
    with pytest.raises(audit.AuditError, match="'47' in its printed prose"):
        audit.check(notebook(printed("There were 47 delegations.")), FIGURES)


def test_an_ordered_lists_numbers_are_markup_but_a_line_starting_with_a_number_is_not():
    items = notebook(nbformat.v4.new_markdown_cell("1. **Alpha.** Text\n   more\n2. Beta\n10. Gamma"))
    assert audit.check(items, FIGURES).empty
    inside = notebook(nbformat.v4.new_markdown_cell("A paragraph that goes on and\n12. is not a list."))
    with pytest.raises(audit.AuditError, match="'12'"):
        audit.check(inside, FIGURES)


def test_no_blanket_year_or_list_number_in_the_allow_list():
    nbs = notebook(nbformat.v4.new_markdown_cell("Held since 1999."))
    with pytest.raises(audit.AuditError, match="'1999'"):
        audit.check(nbs, FIGURES)


def test_a_cell_is_numbered_as_a_whole_number_beside_the_title_block():
    nbs = notebook(nbformat.v4.new_markdown_cell("Fine."), nbformat.v4.new_markdown_cell("Some 48 came."))
    with pytest.raises(audit.AuditError, match=r"cell 2 \(id c1\)"):
        audit.check(nbs, FIGURES, title=["The 20th conference"])


def test_the_title_block_is_audited_and_named_as_such():
    assert set(audit.check([], FIGURES, title=["The 20th conference"])["status"]) == {"data"}
    with pytest.raises(audit.AuditError, match="title block .* '21'"):
        audit.check([], FIGURES, title=["The 21st conference"])


def test_alt_texts_may_hold_data_values_typed_captions_not():
    cell = nbformat.v4.new_code_cell("#| fig-cap: A chart of the delegations.\nchart()")
    meta = {"image/svg+xml": {"alt": "A bar of 47."}}
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/svg+xml": "<svg/>"}, metadata=meta)]
    assert set(audit.check(notebook(cell), FIGURES)["status"]) == {"data"}
    cell.outputs[0]["metadata"]["image/svg+xml"]["alt"] = "A bar of 48."
    with pytest.raises(audit.AuditError, match="'48' in its alt"):
        audit.check(notebook(cell), FIGURES)
    typed = nbformat.v4.new_code_cell("#| tbl-cap: >-\n#|   The 47 delegations.\ntable()")
    with pytest.raises(audit.AuditError, match=r"cell 1 \(id c0\): the number '47' in its caption"):
        audit.check(notebook(typed), FIGURES)


def test_counts_add_up_by_status():
    nbs = notebook(evaluated("{eval}`n` delegations on 4 September 2024.", n=47))
    counted = audit.counts(audit.check(nbs, FIGURES))
    shown = (counted.total, counted.named, counted.allowed, counted.data, counted.unaccounted)
    assert shown == (3, 1, 2, 0, 0)


def test_changing_a_figure_in_the_data_stops_the_build_at_the_numeral_audit(data_copy):
    from tashkent_report.analysis.dataset import DataError

    data_copy.set_cell("facts/figures.csv", 11, "value", "48")
    with pytest.raises(DataError, match="the number .47. .* is captured by no row of the figures table"):
        load_facts(data_copy.datapackage)


def test_a_french_quotation_must_be_the_articles_words_exactly():
    article = "Lors de l’ouverture de la conférence, le message a été lu."
    good = notebook(nbformat.v4.new_markdown_cell("It says « Lors de l’ouverture de la\nconférence »."))
    assert audit.check_quotes(good, article)["verbatim"].all()
    straight = notebook(nbformat.v4.new_markdown_cell("It says « Lors de l'ouverture »."))
    with pytest.raises(audit.AuditError, match="cell 1 .* not in the article verbatim .*apostrophes"):
        audit.check_quotes(straight, article)
    english = notebook(printed("the clause « the lack of mutual trust »"))
    with pytest.raises(audit.AuditError, match="use English quotation marks"):
        audit.check_quotes(english, article)


def test_a_straight_apostrophe_in_a_markdown_quotation_is_written_as_an_entity():
    article = "la Conférence pour l'interaction et les mesures de confiance"
    typed = notebook(nbformat.v4.new_markdown_cell("« la Conférence pour l'interaction »"))
    with pytest.raises(audit.AuditError, match="cell 1 .* straight apostrophe.*&#39;"):
        audit.check_quotes(typed, article)
    entity = notebook(nbformat.v4.new_markdown_cell("« la Conférence pour l&#39;interaction »"))
    assert audit.check_quotes(entity, article)["verbatim"].all()
