"""The report's key findings: values computed from the data, stated by a template.

Every number is inserted by name (``prose``); each article figure links to its highlighted
quote in Appendix A, and each finding points to the section it rests on. Findings that are
judgements say so, with their confidence.
"""

from __future__ import annotations

import re

from . import message, participation, prose
from .dataset import Facts

TEMPLATE = """
1. **The French article keeps a small part of the president's message.** Of the {{ m.points }}
   points found in the readable parts of the message's published versions, the article carries
   {{ m.fr_full }} in full and {{ m.fr_part }} in part, one of them (on the joint exercise)
   without attributing it to the president ([§2.2](#sec-2.2)).
2. **The unattributed sentence on the exercise is the president's** (judgement, high
   confidence). The article leaves it unattributed; outside versions quote it in his first
   person, expecting the exercise "tomorrow" ([§2.4](#sec-2.4)).
3. **The French drops the message's one pointed clause** (judgement, low confidence): on the lack
   of mutual trust between leading states. Most of what else it drops (online radicalisation,
   the domestic strategy, human rights) may simply lie further into the message than a short
   summary reaches ([§2.3](#sec-2.3)).
4. **Who came.** Some {{ f.representatives }} representatives, of the competent authorities of
   {{ f.states }} countries of the CIS and the SCO (the SCO's observers and dialogue partners
   included) and of {{ f.cis_bodies }} CIS and {{ f.sco_bodies }} SCO working bodies,
   {{ f.research_institutions }} research and educational institutions and
   {{ f.international_bodies }} bodies representing {{ f.international_organisations }}
   international organisations ([§1.1](#sec-1.1)).
5. **{{ v.entities }} entities listed, {{ f.delegations }} delegations stated.** The article
   gives both and does not relate them ([§1.3](#sec-1.3)).
6. **No source independent of the organisers gives the figures.** The breakdown by type is
   repeated by the CIS Anti-Terrorism Center, a co-organiser, and by EAG, a participant; the
   {{ f.representatives }} representatives and {{ f.delegations }} delegations appear only in
   UzA's French and English versions ([§1.5](#sec-1.5)).
7. **{{ f.states }} countries of a possible {{ p.pool_without_associate }}** (judgement,
   moderate confidence). The article's wording covers {{ p.pool_without_associate }} states
   ({{ p.pool }} with the CIS's associate member); at least {{ p.absent_at_least }} of them were
   not among the {{ f.states }}, and no source says which ([§1.4](#sec-1.4)).
"""


def values(facts: Facts) -> dict:
    """The named values the findings state."""
    pool = participation.state_pool(facts.membership)
    states = int(facts.figures.set_index("id").loc["states", "value"])
    order = message.versions(facts.coverage, facts.sources)
    matrix = message.coverage_matrix(facts.message_points, facts.coverage, order)
    article = message.version_summary(matrix).loc["uza_fr"]
    return {
        "f": {f: prose.figure(facts, f, f"f.{f}") for f in facts.figures["id"]},
        "v": participation.listing_values(facts),
        "p": participation.pool_values(pool, states),
        "m": {"points": len(matrix), "fr_full": int(article["full"]), "fr_part": int(article["part"])},
    }


def key_findings_markdown(facts: Facts) -> str:
    return prose.text(TEMPLATE, **values(facts)).strip()


def key_findings(facts: Facts) -> list[str]:
    """The findings one by one (Markdown, numbers marked), in the order the report gives them."""
    items = re.split(r"\n(?=\d+\. )", key_findings_markdown(facts))
    return [re.sub(r"^\d+\. ", "", item) for item in items]
