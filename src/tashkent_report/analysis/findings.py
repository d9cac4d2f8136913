"""The values the key findings state (notebook 00 holds the findings themselves, as Markdown).

Each article figure links to its highlighted quote in Appendix A.
"""

from __future__ import annotations

from types import SimpleNamespace

from tashkent_report.analysis import message, participation, prose, series
from tashkent_report.analysis.model import Facts


def values(facts: Facts) -> SimpleNamespace:
    """``fig``: the article's figures; ``listing``: entities against delegations; ``pool``: the
    states the wording covers; ``message``: the points of the message the article carries;
    ``series``: the numbers of the other editions of the two conferences; ``members``: the full
    members of the SCO and the CIS and what the article's count of states implies;
    ``chairs``: the CIS chair hosting the CIS conference, edition by edition."""
    pool = participation.state_pool(facts.membership)
    states = int(facts.figure("states")["value"])
    order = message.versions(facts.coverage, facts.sources)
    matrix = message.coverage_matrix(facts.message_points, facts.coverage, order)
    article = message.version_summary(matrix).loc["uza_fr"]
    return prose.names({
        "fig": vars(prose.figures(facts)),
        "listing": participation.listing_values(facts),
        "pool": participation.pool_values(pool, states),
        "message": {"points": len(matrix), "fr_full": int(article["full"]), "fr_part": int(article["part"])},
        "series": vars(series.values(facts)),
        "members": participation.member_values(facts.membership, states),
        "chairs": series.chair_values(facts.series, facts.cis_chairs),
    })
