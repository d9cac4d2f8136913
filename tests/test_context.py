"""Context tables: sources by id, short excerpts, quotes only where a table declares them."""

import json
import re
import subprocess

import pandas as pd
import pytest

from tashkent_report.analysis.dataset import load_facts
from tashkent_report.config import ROOT

from .test_dataset import expect


@pytest.fixture(scope="module")
def facts():
    return load_facts()


def test_every_context_row_names_sources_that_exist(facts):
    known = set(facts.sources["id"])
    for table, column in [("context_claims", "sources"), ("membership", "sources"),
                          ("attribution_outside", "sources"), ("threats", "sources")]:
        for cell in facts.tables[table][column]:
            assert set(cell.split(";")) <= known, (table, cell)
    assert set(facts.coverage["version"]) <= known
    assert set(facts.figures_across_sources["source"]) <= known
    assert set(facts.series["source"]) <= known


def test_only_the_article_is_held_whole(facts):
    held = facts.sources.set_index("id")["held_as"].dropna()
    assert held.to_dict() == {"uza_fr": "article"}


def test_a_source_id_that_does_not_exist_is_named(data_copy):
    data_copy.set_cell("context/claims.csv", 3, "sources", "eag;tass_2024")
    expect(data_copy, "context/claims.csv", 3, "sources",
           r"'tass_2024' is not an id in the sources table \(\S*data/context/sources\.csv\)")


@pytest.mark.parametrize("broken", [False, True])
def test_the_rules_across_tables_hold_whatever_order_the_tables_come_in(data_copy, broken):
    """The referenced tables (sources, figures) listed last: the rules read them from their files."""
    descriptor = json.loads(data_copy.datapackage.read_text(encoding="utf-8"))
    last = [r for r in descriptor["resources"] if r["name"] in ("sources", "figures")]
    descriptor["resources"] = [r for r in descriptor["resources"] if r not in last] + last
    data_copy.datapackage.write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    if not broken:
        assert load_facts(data_copy.datapackage).figure("delegations")["value"] == 47
        return
    data_copy.set_cell("context/claims.csv", 3, "sources", "eag;tass_2024")
    expect(data_copy, "context/claims.csv", 3, "sources", "'tass_2024' is not an id in the sources table")
    data_copy.set_cell("context/claims.csv", 3, "sources", "eag")
    data_copy.set_cell("facts/participation.csv", 2, "value", "21")
    expect(data_copy, "facts/participation.csv", 2, "value", "differs from figure 'states' \\(20\\)")


def test_an_excerpt_longer_than_a_dozen_words_stops(data_copy):
    long = "one two three four five six seven eight nine ten eleven twelve thirteen"
    data_copy.set_cell("context/message_points.csv", 2, "excerpt", long)
    expect(data_copy, "context/message_points.csv", 2, "excerpt", "13 words; .* 12 words at most")


def test_a_quote_column_in_an_undeclared_table_is_refused(data_copy):
    """A quotation from a page we do not hold cannot pass for a quote of the article."""
    rows = data_copy.rows("context/claims.csv")
    rows = [r + (["quote"] if i == 0 else [""]) for i, r in enumerate(rows)]
    data_copy.write_rows("context/claims.csv", rows)
    descriptor = json.loads(data_copy.datapackage.read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        if resource["name"] == "context_claims":
            resource["schema"]["fields"].append({"name": "quote", "type": "string"})
    data_copy.datapackage.write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    expect(data_copy, "context/claims.csv", 1, "quote", "does not declare \"quotesIn\"")


def test_a_table_cannot_point_its_quotes_into_a_text_we_do_not_hold(data_copy):
    descriptor = json.loads(data_copy.datapackage.read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        if resource["name"] == "figures":
            resource["quotesIn"] = "kun_uz_2024_09_04"
    data_copy.datapackage.write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    expect(data_copy, "datapackage.json", None, "quotesIn", "the project holds only article")


def test_coverage_links_the_articles_points_to_its_own_statements(facts):
    article = facts.coverage[facts.coverage["version"] == "uza_fr"]
    carried = article[article["coverage"].isin(["full", "part"])]
    assert dict(zip(carried["point"], carried["statement"], strict=True)) == {
        "m02_joint_commitment": "s1_joint_commitment",
        "m05_exercise": "s2_joint_exercises",
        "m06_global_environment": "s3_global_environment",
    }
    assert article.loc[article["coverage"] == "absent", "statement"].isna().all()


def test_statement_2_stays_unattributed_in_the_article(facts):
    statements = facts.statements.set_index("id")
    assert statements.loc["s2_joint_exercises", "attribution"] == "unattributed"
    outside = facts.attribution_outside.set_index("statement")
    assert outside.loc["s2_joint_exercises", "outside"] == "the_president_first_person"


def test_no_committed_file_points_outside_the_repository():
    files = subprocess.run(["git", "ls-files", "notebooks", "data", "src", "README.md", "docs"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    outside = re.compile(r"\.\./|shared/(?:context|seeds|notes)|/work/")

    def readable(path):
        text = (ROOT / path).read_text(encoding="utf-8", errors="replace")
        if path.endswith(".ipynb"):  # images are base64, not text a reader follows
            text = re.sub(r'"image/png": "[^"]*"', "", text)
        if path.startswith("docs/") and path.endswith(".md"):  # docs/ pages link up to the README
            text = re.sub(r"\]\((\.\./[^)\s]*)\)", lambda link: "" if (ROOT / "docs" / link[1]).resolve()
                          .is_relative_to(ROOT) else link[0], text)
        return text

    found = [f for f in files if (ROOT / f).is_file() and outside.search(readable(f))]
    assert found == []


def _low_credibility(facts) -> set[str]:
    """Sources whose credibility line opens with the project's low-credibility flag."""
    frame = facts.sources
    return set(frame.loc[frame["credibility"].str.startswith("Low credibility"), "id"])


def test_series_edition_numbers_match_the_event_they_belong_to(facts):
    for row in facts.series.itertuples(index=False):
        rats = f"rats_{row.rats_edition:02d}" if not pd.isna(row.rats_edition) else None
        cis = f"cis_{row.cis_edition:02d}" if not pd.isna(row.cis_edition) else None
        assert row.event == "_".join(p for p in (rats, cis) if p), (row.event, row.source)


def test_series_counts_carry_their_qualifiers_and_nothing_else(facts):
    series = facts.series
    assert (series["states"].isna() == series["states_basis"].isna()).all()
    assert series.loc[series["participants"].isna(), "participants_qualifier"].isna().all()


def test_the_2024_row_of_the_article_gives_the_articles_own_figures(facts):
    row = facts.series.set_index(["event", "source"]).loc[("rats_10_cis_02", "uza_fr")]
    figures = facts.figures.set_index("id")["value"]
    assert (row["participants"], row["states"]) == (figures["representatives"], figures["states"])
    assert row["participants_qualifier"] == "about"


def test_a_row_resting_only_on_low_credibility_pages_says_so(facts):
    low = _low_credibility(facts)
    assert low, "no source is marked low credibility"
    for row in facts.threats.itertuples(index=False):
        assert row.low_credibility == (set(row.sources.split(";")) <= low), row.id
    for row in facts.context_claims.itertuples(index=False):
        if set(row.sources.split(";")) <= low:
            assert "low credibility" in row.claim, row.id


def test_a_series_date_that_is_not_a_date_stops(data_copy):
    data_copy.set_cell("context/series.csv", 2, "start", "22 October 2015")
    expect(data_copy, "context/series.csv", 2, "start", "pattern")


def test_a_series_row_citing_an_unknown_source_stops(data_copy):
    data_copy.set_cell("context/series.csv", 2, "source", "tass_2015")
    expect(data_copy, "context/series.csv", 2, "source",
           'values "tass_2015" not found in the lookup table "sources"')


def test_a_threat_row_without_its_credibility_flag_stops(data_copy):
    data_copy.set_cell("context/threats.csv", 2, "low_credibility", "")
    expect(data_copy, "context/threats.csv", 2, "low_credibility", "constraint|required")


def test_a_reference_to_an_unknown_source_names_its_column(data_copy):
    data_copy.set_cell("context/coverage.csv", 2, "version", "tass_2015")
    expect(data_copy, "context/coverage.csv", 2, "version",
           'values "tass_2015" not found in the lookup table "sources"')
