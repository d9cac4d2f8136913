"""The key findings state the article's figures, follow the data, and point to their sections.

Expectations are read off the article (data/raw), not computed: 20 + 9 + 2 + 22 + 10 = 63
against « 47 délégations au total »; some 250 representatives, 250 / 47 = 5.32; 28 states in the
SCO and CIS membership tiers (data/context/membership.csv).
"""

import re

import pytest

from tashkent_report.dataset import Facts, load_facts
from tashkent_report.findings import key_findings, key_findings_markdown


@pytest.fixture(scope="module")
def facts():
    return load_facts()


def copied(facts: Facts) -> Facts:
    tables = {name: table.copy() for name, table in facts.tables.items()}
    return Facts(text=facts.text, article=facts.article, tables=tables, paths=facts.paths)


def with_figure(facts: Facts, figure: str, value: int) -> Facts:
    """The same facts with one figure (and the participation row that repeats it) changed."""
    changed = copied(facts)
    changed.figures.loc[changed.figures["id"] == figure, "value"] = value
    changed.participation.loc[changed.participation["figure"] == figure, "value"] = value
    return changed


def test_findings_state_the_articles_figures(facts):
    who, total, reps, pool, message, critical = key_findings(facts)
    assert ("20 states, 9 CIS working bodies, 2 SCO working bodies, 22 research and educational "
            "institutions, 10 bodies of international organisations") in who
    assert "representing 6 international organisations" in who
    assert "« vingt pays membres de la CEI et de l’OCS »" in who
    assert "do not add up to the stated total" in total
    assert "sum to 63" in total and "« 47 délégations au total » is 47" in total and "+16" in total
    assert "Some 250 representatives" in reps and "about 5.3 representatives per delegation" in reps
    assert "« quelque 250 représentants d’organismes compétents »" in reps
    assert "of a possible 28" in pool and "The article's 20 states" in pool
    assert "a subset, unnamed, of the 28 states that SCO and CIS membership tiers hold" in pool
    assert "*coopération* and *sécurité*" in message
    assert "(3 and 3 times; 0 and 0 in the rest of the article)" in message
    assert "only « Joint exercises and operational capacity » rests" in message
    assert "the 2 explicit statements" in message
    assert "(« l’accroissement des tensions géopolitiques et l’escalade des… »" in critical


def test_each_finding_ends_with_a_link_to_its_section(facts):
    sections = [re.findall(r"\]\(#(sec-[0-9.]+)\)", finding) for finding in key_findings(facts)]
    assert sections == [["sec-2.1"], ["sec-2.3"], ["sec-2.2"], ["sec-2.4"], ["sec-3.3"], ["sec-3.4"]]
    for finding, (section,) in zip(key_findings(facts), sections, strict=True):
        number = section.removeprefix("sec-")
        assert re.search(rf"\[§{re.escape(number)}\]\(#{section}\)\)\.$", finding), finding


def test_findings_follow_a_change_in_the_data(facts):
    _, total, reps, *_ = key_findings(with_figure(facts, "delegations", 63))
    assert "add up to the stated total" in total and "do not" not in total
    assert "is 63" in total and "+0" in total
    assert "about 4.0 representatives per delegation" in reps  # 250 / 63 = 3.97
    who, total, *_ = key_findings(with_figure(facts, "states", 21))
    assert who.startswith("**Who came.** The article lists 21 states, 9 CIS")
    assert "sum to 64" in total and "+17" in total


def test_word_use_finding_follows_the_counts(facts):
    changed = copied(facts)
    annotations = changed.annotations
    one = annotations.index[(annotations["lemma"] == "sécurité") & annotations["statement"].notna()][0]
    changed.tables["annotations"] = annotations.drop(index=one)
    message = key_findings(changed)[4]
    # sécurité now 2 in the message; international (2 in the message, 3 elsewhere) comes first.
    assert "*coopération* and *international*" in message
    assert "(3 and 2 times; 0 and 3 in the rest of the article)" in message


def test_findings_escape_markup_from_the_data(facts):
    changed = copied(facts)
    rows = changed.participation["org_type"] == "cis_bodies"
    changed.participation.loc[rows, "label_en"] = "CIS <b>bodies</b>"
    who = key_findings(changed)[0]
    assert "9 CIS &lt;b&gt;bodies&lt;/b&gt;" in who and "<b>" not in who


def test_labels_are_lowercased_in_a_sentence_except_acronyms(facts):
    who = key_findings(facts)[0]
    assert "22 research and educational institutions" in who  # "Research and ..." in the data
    assert "9 CIS working bodies" in who  # an acronym keeps its capitals


def test_markdown_numbers_the_findings_in_order(facts):
    lines = key_findings_markdown(facts).split("\n")
    assert [line[:3] for line in lines] == ["1. ", "2. ", "3. ", "4. ", "5. ", "6. "]
    assert lines[0].startswith("1. **Who came.**") and lines[5].startswith("6. **One critical note.**")
