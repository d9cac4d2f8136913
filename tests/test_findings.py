"""The key findings state the article's figures, follow the data, and point to their sections.

The findings are the Markdown of notebook 00; their numbers are {eval} expressions whose results
the notebook stores (make execute). Expectations are read off the article (data/raw) and the
context tables, not computed: 20 + 9 + 2 + 22 + 10 = 63 entities against « 47 délégations au
total »; some 250 representatives; 10 + 2 + 14 SCO states, Moldova and Turkmenistan = 28, 27
without the associate member; of the message's 14 points, the French carries statement 1 in full
and 2 and 3 in part.
"""

import html
import re

import nbformat
import pytest

from tashkent_report.analysis import findings
from tashkent_report.analysis.dataset import Facts, load_facts
from tashkent_report.analysis.myst import expressions
from tashkent_report.config import APPENDIX, NOTEBOOKS
from tashkent_report.render.html import RenderMarkdown


@pytest.fixture(scope="module")
def facts():
    return load_facts()


@pytest.fixture(scope="module")
def cell():
    """The findings: the Markdown cell of notebook 00 that is an ordered list."""
    nb = nbformat.read(NOTEBOOKS / "00-key-findings.ipynb", as_version=4)
    [found] = [c for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("1. ")]
    return found


def plain(markup: str) -> str:
    """The text as a reader reads it: markup dropped, one space between words."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", markup)).split())


def items(markup: str) -> list[str]:
    return [plain(item) for item in markup.split("<li>")[1:]]


def rendered(cell) -> str:
    """The findings as the report renders them (HTML), from the results the cell stores."""
    shown, _ = RenderMarkdown(strict=True).preprocess_cell(nbformat.from_dict(cell), {}, 0)
    return shown.source


def rendered_with(cell, values) -> str:
    """The findings with each expression evaluated against ``values`` (as the kernel would)."""
    names = {"fig": values.fig, "listing": values.listing, "pool": values.pool, "msg": values.message,
             "past": values.series}
    fresh = nbformat.from_dict(cell)
    fresh.metadata["user_expressions"] = []
    for expression in expressions(cell.source):
        value = eval(expression, {}, names)  # the notebook's own expressions, on our values
        data = {"text/plain": str(value)}
        if hasattr(value, "_repr_html_"):
            data["text/html"] = value._repr_html_()
        fresh.metadata["user_expressions"].append(
            {"expression": expression, "result": {"status": "ok", "data": data, "metadata": {}}})
    return rendered(fresh)


def copied(facts: Facts) -> Facts:
    tables = {name: table.copy() for name, table in facts.tables.items()}
    return Facts(text=facts.text, article=facts.article, tables=tables, paths=facts.paths)


def check_findings(found: list[str]) -> None:
    series, joint, threats, who, organisers, selection, attribution = found
    assert series.startswith("Larger than any earlier edition with a count")
    assert "(judgement, low confidence)" in series
    assert "Some 250 representatives, of the authorities of 20 countries and of the bodies" in series
    assert "against the 200 people the RATS conference had \"grown to\", the 16 and 17 states" in series
    assert "and the 13 of the first CIS conference" in series
    assert "Only 5 of the 9 other editions the pages report give any number" in series
    assert joint.startswith("Joint once, built on existing cooperation (judgement, moderate confidence)")
    assert "(judgement, low confidence)" in threats and "names no terrorist group" in threats
    assert who.startswith("Who came, as the article counts it. Some 250 representatives")
    assert "of 20 countries" in who and "9 CIS and 2 SCO working bodies" in who
    assert "22 research and educational institutions" in who and "10 bodies representing 6" in who
    assert "lists 63 entities and states 47 delegations" in who
    assert "covers 27 states (Afghanistan among them" in who
    assert "at least 7 were not among the 20 counted" in who
    assert "the 250 representatives and 47 delegations appear only in UzA" in organisers
    assert "Of the 14 points" in selection and "carries 1 in full and 2 in part" in selection
    assert "(judgement, high confidence)" in attribution and "tomorrow" in attribution


def test_findings_state_the_articles_figures_as_the_notebook_stores_them(cell):
    check_findings(items(rendered(cell)))


def test_findings_evaluated_afresh_state_the_same(cell, facts):
    check_findings(items(rendered_with(cell, findings.values(facts))))


def test_each_finding_points_to_its_section(cell):
    found = re.split(r"(?m)^\d+\. ", cell.source)[1:]
    # links into other chapters name the heading's cell: 03-context.ipynb#cell-id=sec-event
    sections = [re.findall(r"\]\(\d\d-[\w-]+\.ipynb#cell-id=(sec-[\w-]+)\)", item) for item in found]
    assert sections == [["sec-conference-series"], ["sec-why-joint"], ["sec-threat-picture"],
                        ["sec-entities-delegations", "sec-countries"], ["sec-figures-other-sources"],
                        ["sec-french-summary"], ["sec-who-said"]]


def test_article_figures_link_to_their_quotes(cell):
    markdown = rendered(cell)
    for figure in ("representatives", "states", "cis_bodies", "sco_bodies", "research_institutions",
                   "international_bodies", "international_organisations", "delegations"):
        assert f'<a class="num" href="{APPENDIX}#q-{figure}">' in markdown, figure


def test_findings_follow_a_change_in_the_data(cell, facts):
    changed = copied(facts)
    changed.figures.loc[changed.figures["id"] == "states", "value"] = 21
    changed.participation.loc[changed.participation["figure"] == "states", "value"] = 21
    series = changed.series
    series.loc[(series["event"] == "rats_09") & series["states"].notna(), "states"] = 18
    found = items(rendered_with(cell, findings.values(changed)))
    assert "Some 250 representatives, of the authorities of 21 countries" in found[0]
    assert "the 16 and 18 states" in found[0]
    assert "of 21 countries" in found[3] and "lists 64 entities" in found[3]
    assert "at least 6 were not among the 21 counted" in found[3]
