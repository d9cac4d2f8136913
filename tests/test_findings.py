"""The key findings state the article's figures, follow the data, and point to their sections.

Expectations are read off the article (data/raw) and the context tables, not computed:
20 + 9 + 2 + 22 + 10 = 63 entities against « 47 délégations au total »; some 250
representatives; 10 + 2 + 14 SCO states, Moldova and Turkmenistan = 28, 27 without the associate
member; of the message's 14 points, the French carries statement 1 in full and 2 and 3 in part.
"""

import re

import pytest

from tashkent_report.dataset import Facts, load_facts
from tashkent_report.findings import key_findings, key_findings_markdown


@pytest.fixture(scope="module")
def facts():
    return load_facts()


def plain(markdown: str) -> str:
    """The finding as a reader reads it: marked numbers as their text, one space between words."""
    return " ".join(re.sub(r"<(?:span|a)[^>]*>([^<]*)</(?:span|a)>", r"\1", markdown).split())


def copied(facts: Facts) -> Facts:
    tables = {name: table.copy() for name, table in facts.tables.items()}
    return Facts(text=facts.text, article=facts.article, tables=tables, paths=facts.paths)


def test_findings_state_the_articles_figures(facts):
    selection, attribution, clause, who, listed, organisers, pool = map(plain, key_findings(facts))
    assert "Of the 14 points" in selection and "carries 1 in full and 2 in part" in selection
    assert "(judgement, high confidence)" in attribution and "tomorrow" in attribution
    assert "(judgement, low confidence)" in clause and "mutual trust between leading states" in clause
    assert who.startswith("**Who came.** Some 250 representatives")
    assert "of 20 countries" in who and "9 CIS and 2 SCO working bodies" in who
    assert "22 research and educational institutions" in who
    assert "10 bodies representing 6" in who
    assert listed.startswith("**63 entities listed, 47 delegations stated.**")
    assert "the 250 representatives and 47 delegations appear only in UzA" in organisers
    assert pool.startswith("**20 countries of a possible 27** (judgement, moderate confidence)")
    assert "(28 with the CIS's associate member); at least 7 of them" in pool


def test_each_finding_points_to_its_section(facts):
    sections = [re.findall(r"\]\(#(sec-[0-9.]+)\)", finding) for finding in key_findings(facts)]
    assert sections == [["sec-2.2"], ["sec-2.4"], ["sec-2.3"], ["sec-1.1"], ["sec-1.3"],
                        ["sec-1.5"], ["sec-1.4"]]


def test_article_figures_link_to_their_quotes(facts):
    markdown = key_findings_markdown(facts)
    for figure in ("representatives", "states", "cis_bodies", "sco_bodies", "research_institutions",
                   "international_bodies", "international_organisations", "delegations"):
        assert f'href="#q-{figure}"' in markdown, figure


def test_findings_follow_a_change_in_the_data(facts):
    changed = copied(facts)
    changed.figures.loc[changed.figures["id"] == "states", "value"] = 21
    changed.participation.loc[changed.participation["figure"] == "states", "value"] = 21
    _, _, _, who, listed, _, pool = map(plain, key_findings(changed))
    assert "of 21 countries" in who
    assert listed.startswith("**64 entities listed")
    assert pool.startswith("**21 countries of a possible 27**") and "at least 6 of them" in pool


def test_findings_escape_markup_from_the_data(facts):
    changed = copied(facts)
    changed.context_claims.loc[:, "claim"] = "<b>x</b>"  # not used by the findings
    points = changed.message_points
    points.loc[points.index[0], "label"] = "<script>alert(1)</script>"
    assert "<script" not in key_findings_markdown(changed)


def test_markdown_numbers_the_findings_in_order(facts):
    lines = [line for line in key_findings_markdown(facts).split("\n") if re.match(r"\d+\. ", line)]
    assert [line[:3] for line in lines] == ["1. ", "2. ", "3. ", "4. ", "5. ", "6. ", "7. "]
