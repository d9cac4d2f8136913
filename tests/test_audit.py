"""The report's own numbers: typed numbers stop the build; numbers follow the data; links resolve."""

from pathlib import Path

import nbformat
import pandas as pd
import pytest

from tashkent_report import audit, findings, prose
from tashkent_report.dataset import load_facts

FIGURES = pd.DataFrame({"value": [20, 47]})


def notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    for i, cell in enumerate(nb.cells):
        cell.id = f"c{i}"
    return [(Path("notebooks/09-test.ipynb"), nb)]


def prose_cell(markdown: str):
    cell = nbformat.v4.new_code_cell("prose.say(...)")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": markdown})]
    return cell


def test_a_number_typed_into_markdown_stops_naming_notebook_and_cell():
    nbs = notebook(nbformat.v4.new_markdown_cell("## 1.2 Heading\n\nSee [§1.3](#sec-1.3)."),
                   nbformat.v4.new_markdown_cell("The article lists 63 entities."))
    with pytest.raises(audit.AuditError) as caught:
        audit.check(nbs, FIGURES)
    assert "notebooks/09-test.ipynb, cell 2 (id c1): the number '63'" in str(caught.value)


def test_number_words_count_too():
    with pytest.raises(audit.AuditError, match="'twenty'"):
        audit.check(notebook(nbformat.v4.new_markdown_cell("Some twenty states came.")), FIGURES)


def test_numbers_inserted_by_name_quotes_and_allowed_forms_pass():
    text = prose.text("The article states {{ n }} delegations in total.", n=47)
    nbs = notebook(prose_cell(text),
                   nbformat.v4.new_markdown_cell("« vingt-deux institutions » on 4 September 2024, "
                                                 "Table 3 and statement 2 (paragraph 4); `make test`."))
    result = audit.check(nbs, FIGURES)
    assert list(result["status"]).count("named") == 1
    assert set(result["status"]) == {"named", "allowed"}


def test_a_number_beside_a_named_one_in_prose_is_still_caught():
    text = prose.text("{{ n }} delegations, and 16 more entities.", n=47)
    with pytest.raises(audit.AuditError, match="'16'"):
        audit.check(notebook(prose_cell(text)), FIGURES)


def test_captions_may_hold_data_values_but_not_others():
    cell = nbformat.v4.new_code_cell("")
    meta = {"image/png": {"caption": "Chart", "alt": "A bar of 47."}}
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": ""}, metadata=meta)]
    assert set(audit.check(notebook(cell), FIGURES)["status"]) == {"data"}
    cell.outputs[0]["metadata"]["image/png"]["alt"] = "A bar of 48."
    with pytest.raises(audit.AuditError, match="'48' in its alt"):
        audit.check(notebook(cell), FIGURES)


def test_strict_templates_refuse_a_value_the_analysis_did_not_give():
    from jinja2 import UndefinedError

    with pytest.raises(UndefinedError):
        prose.text("{{ delegations }} delegations")


def test_changing_a_figure_changes_the_findings_that_state_it():
    facts = load_facts()
    before = findings.key_findings_markdown(facts)
    assert '<a class="num" href="#q-delegations" data-value="f.delegations">47</a>' in before
    facts.figures.loc[facts.figures["id"] == "delegations", "value"] = 48
    after = findings.key_findings_markdown(facts)
    assert "delegations\">48</a>" in after and "delegations\">47</a>" not in after
    # the entities-against-delegations finding follows it too
    assert "data-value=\"v.entities\">63</span> entities listed" in after


def test_changing_a_figure_in_the_data_stops_the_build_at_the_numeral_audit(data_copy):
    from tashkent_report.dataset import DataError

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
    english = notebook(prose_cell("the clause « the lack of mutual trust »"))
    with pytest.raises(audit.AuditError, match="use English quotation marks"):
        audit.check_quotes(english, article)
