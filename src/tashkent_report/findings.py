"""The report's key findings, written from the data so that no number in them is typed by hand.

Each finding carries its number and a pointer (a link to a section, ``#sec-2.3``, that works
in the HTML and the PDF) to the table, chart or quote it rests on.
"""

from __future__ import annotations

import html

from . import participation, themes
from .dataset import Facts


def _q(text: str) -> str:
    return html.escape(str(text), quote=False)


def _in_sentence(label: str) -> str:
    """'Research institutions' -> 'research institutions'; acronyms ('CIS bodies') stay."""
    first = label.split()[0]
    return label if first.isupper() else label[0].lower() + label[1:]


def key_findings(facts: Facts) -> list[str]:
    """Five findings, Markdown, each with its number(s) and a section pointer."""
    figures = facts.figures.set_index("id")
    parts, delegations = participation.participants(facts), participation.stated_total(facts)
    audit = participation.audit_parts(parts, delegations["value"])
    listed = ", ".join(f"{r.value} {_q(_in_sentence(r.label_en))}" for r in parts.itertuples(index=False))
    orgs = figures.loc["international_organisations"]
    reps = figures.loc["representatives"]
    ratio = participation.derived_ratios(facts).set_index("ratio").loc["representatives per delegation"]
    pool = participation.state_pool(facts.membership)
    coded = themes.code_statements(facts.annotations, facts.statements, facts.codebook, facts.text)
    summary = themes.attribution_summary(coded, facts.statements, facts.codebook)
    inferred_only = summary.loc[summary["standing"] == "rests only on the unattributed statement", "label"]
    counts = themes.word_use(facts.annotations)
    top = counts.head(2)
    explicit = (facts.statements["attribution"] == "explicit").sum()

    verdict = "add up to" if audit["adds_up"] else "do not add up to"
    return [
        f"**Who came.** The article lists {listed} (the last representing {orgs['value']} "
        f"international organisations): « {_q(figures.loc['states', 'quote'])} » "
        "([§2.1](#sec-2.1)).",
        f"**The figures {verdict} the stated total.** The listed groups sum to "
        f"{audit['sum_of_parts']}, the article's « {_q(delegations['quote'])} » is "
        f"{delegations['value']}: a difference of {audit['difference']:+d} that the text cannot "
        "resolve, because it never says what a delegation is ([§2.3](#sec-2.3)).",
        f"**Some {reps['value']} representatives.** The only approximate figure "
        f"(« {_q(reps['quote'])} »); it gives about {ratio['value']} representatives per "
        "delegation, a ratio we derived, approximate, not reported ([§2.2](#sec-2.2)).",
        f"**Twenty of a possible {pool['pool so far'].iloc[-1]}.** The article's "
        f"{figures.loc['states', 'value']} states are a subset, unnamed, of the "
        f"{pool['pool so far'].iloc[-1]} states that SCO and CIS membership tiers hold "
        "(context, not from the article; [§2.4](#sec-2.4)).",
        f"**The message stresses cooperation and security.** *{_q(top.index[0])}* and "
        f"*{_q(top.index[1])}* are its most used content words ({top['message'].iloc[0]} and "
        f"{top['message'].iloc[1]} times; {top['rest of article'].iloc[0]} and "
        f"{top['rest of article'].iloc[1]} in the rest of the article). Of the six themes coded, "
        f"only « {_q(', '.join(inferred_only))} » rests on the statement the text does not "
        f"attribute to the president; the other themes hold on the {explicit} explicit statements "
        "([§3.3](#sec-3.3)).",
        "**One critical note.** The message blames rising geopolitical tension, "
        "escalating conflicts and the diminished role of global security institutions for "
        "hampering cooperation, without naming any of them "
        f"(« {_q(facts.statements.set_index('id').loc['s3_global_environment', 'quote'][:60])}… »; "
        "[§3.4](#sec-3.4)).",
    ]


def key_findings_markdown(facts: Facts) -> str:
    return "\n".join(f"{i}. {text}" for i, text in enumerate(key_findings(facts), start=1))
