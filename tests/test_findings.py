"""The key findings state the article's figures, follow the data, and point to their sections.

The findings are the Markdown of notebook 00; their numbers are {eval} expressions whose results
the notebook stores (make execute). Expectations are read off the article (data/raw) and the
context tables, not computed: 20 + 9 + 2 + 22 + 10 = 63 entities against « 47 délégations au
total »; some 250 representatives; 10 + 2 + 14 SCO states, Moldova and Turkmenistan = 28, 27
without the associate member; of the message's 14 points, the French carries statement 1 in full
and 2 and 3 in part; 10 SCO and 9 CIS full members, 6 in both, 13 distinct, so at least
20 - 13 = 7 of the states counted are not full members; the CIS chair's capital hosted the 1st
(Bishkek) and 3rd (Dushanbe) of the 3 CIS conferences, not the joint one (Tashkent); Karavan Info
counts more than 150 bodies and organisations at the 3rd CIS conference (claim cis3_bodies).
"""

import html
import re

import nbformat
import pytest
from IPython.core.formatters import DisplayFormatter

from tashkent_report.analysis import findings
from tashkent_report.analysis.dataset import Facts, load_facts
from tashkent_report.analysis.myst import expressions
from tashkent_report.config import APPENDIX, NOTEBOOKS
from tashkent_report.render.html import RenderMarkdown


@pytest.fixture(scope="module")
def facts():
    return load_facts()


@pytest.fixture(scope="module", params=["event", "editing"])
def cell(request):
    """The findings: the Markdown cells of notebook 00 that hold them, the findings on the event
    first (an ordered list), then those on the article's editing (under their own lead-in)."""
    nb = nbformat.read(NOTEBOOKS / "00-key-findings.ipynb", as_version=4)
    lists = [c for c in nb.cells if c.cell_type == "markdown" and re.search(r"(?m)^1\. ", c.source)]
    assert len(lists) == 2
    assert lists[0].source.startswith("1. ")
    assert lists[1].source.startswith("**What the article's editing shows**")
    return request.param, lists[0 if request.param == "event" else 1]


@pytest.fixture(scope="module")
def both():
    nb = nbformat.read(NOTEBOOKS / "00-key-findings.ipynb", as_version=4)
    return [c for c in nb.cells if c.cell_type == "markdown" and re.search(r"(?m)^1\. ", c.source)]


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
             "past": values.series, "members": values.members, "chairs": values.chairs}
    fresh = nbformat.from_dict(cell)
    fresh.metadata["user_expressions"] = []
    for expression in expressions(cell.source):
        value = eval(expression, {}, names)  # the notebook's own expressions, on our values
        data, metadata = DisplayFormatter().format(value)  # as the kernel formats a result
        fresh.metadata["user_expressions"].append(
            {"expression": expression, "result": {"status": "ok", "data": data, "metadata": metadata}})
    return rendered(fresh)


def copied(facts: Facts) -> Facts:
    tables = {name: table.copy() for name, table in facts.tables.items()}
    return Facts(text=facts.text, article=facts.article, tables=tables, paths=facts.paths)


def check_event(found: list[str]) -> None:
    joint, chair, afghanistan, who, size = found
    # what happened once is the joint conference, not a meeting of the services (issue 26, W2)
    assert joint.startswith("The RATS and CIS conferences met as one event once so far; their services "
                            "had met before (judgement, moderate confidence)")
    assert "met together in Tashkent on 4-5 September 2024" in joint
    assert "1 joint edition so far, and 2 separate editions since" in joint
    assert "SCO and CIS services had already met at the 1st CIS conference in Bishkek in 2023 and met " \
           "again at the 3rd CIS conference in Dushanbe in 2025" in joint
    assert 'one later year only, so "once" means "so far"' in joint
    assert "in one room" not in joint and "not a merged series" not in joint
    # the exercise rule fits every edition, the chair rule all but the joint one (issue 26, M1)
    assert chair.startswith("The CIS conference follows the CIS joint exercise; in 2024 the exercise came "
                            "to the RATS conference's city (judgement, low confidence)")
    assert "Each of the 3 CIS conferences met in the country of that year's CIS joint exercise" in chair
    assert "the chairing state's capital hosted 2 of them (Bishkek under Kyrgyzstan's chairmanship in " \
           "2023, Dushanbe under Tajikistan's in 2025)" in chair
    assert "The exception to the chair rule is the joint edition, held in Tashkent while Russia chaired " \
           "the CIS" in chair and "on Uzbek soil for the first time" in chair
    assert "not like a choice of the chair" not in chair
    assert afghanistan.startswith("Afghanistan as a partner, in the host's words")
    assert '"Afghan partners"' in afghanistan and "inactive since 2021" in afghanistan
    # one report carries both halves of the CIS ATC head's words: no conflict (issue 26, W1)
    assert "by one report, saw a marked fall in terrorist activity in Afghanistan, credited the Afghan " \
           "authorities' efforts and still rated the ISKP threat high" in afghanistan
    assert "partly echoed by the Moscow-based co-organiser" in afghanistan
    assert "nothing shows that the other states share it" in afghanistan
    assert "no finding on his tone" not in afghanistan and "softer" not in afghanistan
    # whether Afghans were there is open (issue 26, M5)
    assert "Whether Afghan officials were present is unclear: the one list of the 20 countries names " \
           "Afghanistan, but no report describes an Afghan delegation" in afghanistan
    assert "watched by SCO as well as CIS representatives, rehearsed an attack on a post on the Afghan " \
           "border" in afghanistan
    assert "names no terrorist group" in afghanistan
    assert who.startswith("Who could have come: at least 7 of the 20 countries were not full members "
                          "(information and arithmetic, high confidence)")
    assert "the SCO had 10 full members, Belarus the newest since 4 July 2024, and the CIS 9" in who
    assert "6 states belong to both, so the organisations together have 13 distinct full members" in who
    assert "at least 7 of the 20 countries the article counts were observers, dialogue partners or " \
           "associates" in who
    assert "lists every full member but Moldova" in who
    # largest by announced head count only (issue 26, M4)
    assert size.startswith("The largest edition reported by head count, perhaps not by bodies "
                           "(judgement, low confidence)")
    assert "Some 250 representatives, from 20 countries and the bodies listed with them, against more " \
           "than 160 participants from 17 states at the 9th RATS conference" in size
    assert "more than 150 delegates at the 3rd CIS conference and more than 150 representatives at " \
           "the 11th RATS conference" in size
    assert "a Tajik agency reports more than 150 competent bodies and organisations at the 3rd CIS " \
           "conference" in size
    assert "in the future tense, so perhaps announced before the event" in size
    # a merger can rest on states only: no head count exists for the 1st CIS conference
    assert "can be asked only of states (20 against 13 at the 1st CIS conference and 16 and 17" in size
    assert "no page counts the people at the 1st CIS conference" in size and "a merger, not" not in size
    assert "Only 5 of the 9 other editions reported give any number".lower() in size.lower()


def check_editing(found: list[str]) -> None:
    route, count, message = found
    # the register is Russian, the route cannot be told (issue 26, U1)
    assert route.startswith("The French article is a translation in post-Soviet Russian terminology; "
                            "whether it was made from Russian cannot be told (judgement, moderate "
                            "confidence on the terminology, low on the route)")
    assert "« Groupe eurasien contre la légalisation des revenus criminels »" in route
    assert "blanchiment de capitaux" in route and "« sous-divisions de mission spéciale »" in route
    assert "already current in Russian state media's French" in route
    assert "route runs through Russian" not in route
    assert "Quote the French as UzA's wording, not as the president's" in route
    assert count.startswith("A count that does not add up, from the organisers alone.")
    assert "lists 63 entities and states 47 delegations" in count
    assert "the 250 representatives and 47 delegations appear only in UzA" in count
    assert "Of the 14 points" in message and "carries 1 in full and 2 in part" in message
    assert '"the lack of mutual trust between leading states"' in message
    assert "(judgement, high confidence" in message and "tomorrow" in message


def check_findings(which: str, found: list[str]) -> None:
    (check_event if which == "event" else check_editing)(found)


def test_findings_state_the_articles_figures_as_the_notebook_stores_them(cell):
    which, found = cell
    check_findings(which, items(rendered(found)))


def test_findings_evaluated_afresh_state_the_same(cell, facts):
    which, found = cell
    check_findings(which, items(rendered_with(found, findings.values(facts))))


def test_each_finding_points_to_its_section(both):
    # links into other chapters name the heading's cell: 03-context.ipynb#cell-id=sec-event
    sections = [re.findall(r"\]\(\d\d-[\w-]+\.ipynb#cell-id=(sec-[\w-]+)\)", item)
                for cell in both for item in re.split(r"(?m)^\d+\. ", cell.source)[1:]]
    assert sections == [["sec-why-joint"], ["sec-conference-series"], ["sec-threat-picture"],
                        ["sec-countries"], ["sec-conference-series"],
                        ["sec-text-route"], ["sec-entities-delegations", "sec-figures-other-sources"],
                        ["sec-french-summary", "sec-who-said"]]


def test_article_figures_link_to_their_quotes(both):
    event, editing = (rendered(cell) for cell in both)
    for markdown, figures in ((event, ("representatives", "states")),
                              (editing, ("representatives", "delegations"))):
        for figure in figures:
            assert f'<a class="num" href="{APPENDIX}#q-{figure}">' in markdown, figure


def test_findings_follow_a_change_in_the_data(both, facts):
    changed = copied(facts)
    changed.figures.loc[changed.figures["id"] == "states", "value"] = 21
    changed.participation.loc[changed.participation["figure"] == "states", "value"] = 21
    series = changed.series
    series.loc[(series["event"] == "rats_09") & series["states"].notna(), "states"] = 18
    chairs = changed.cis_chairs
    chairs.loc[chairs["year"] == 2025, ["chair", "capital"]] = ["Kazakhstan", "Astana"]
    claims = changed.context_claims
    claims.loc[claims["id"] == "cis3_bodies", "value"] = 151
    event, editing = (items(rendered_with(cell, findings.values(changed))) for cell in both)
    assert event[3].startswith("Who could have come: at least 8 of the 21 countries were not full members")
    assert "13 distinct full members" in event[3]
    assert "against more than 160 participants from 18 states" in event[4]
    assert "the one list of the 21 countries names Afghanistan" in event[2]
    assert "more than 151 competent bodies and organisations" in event[4]
    assert "(20 against 13 at the 1st CIS conference and 16 and 18" in event[4]  # the series table's 20
    assert "capital hosted 1 of them" in event[1]
    assert "held in Tashkent, Dushanbe" in event[1]
    assert "lists 64 entities" in editing[1]
