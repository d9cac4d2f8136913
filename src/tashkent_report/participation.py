"""Participation by organisation type, derived ratios, and whether the parts add up."""

from __future__ import annotations

from itertools import combinations

import pandas as pd

from .dataset import Facts, paragraph_of

UNIT_SINGULAR = {
    "states": "state",
    "bodies": "body",
    "institutions": "institution",
    "organisations": "organisation",
}


def counted(value: int, unit: str) -> str:
    """'20 states', '1 body'."""
    return f"{value} {UNIT_SINGULAR.get(unit, unit) if value == 1 else unit}"


def participants(facts: Facts) -> pd.DataFrame:
    """The groups that sent people (not the organisations they represent): the parts of the total."""
    return facts.participation[facts.participation["level"] == "participant"]


def stated_total(facts: Facts) -> pd.Series:
    """The figure the article presents as the total of delegations."""
    return facts.figures.set_index("id").loc["delegations"]


def participation_table(facts: Facts) -> pd.DataFrame:
    """One row per organisation type the article names, largest first, with its quote."""
    table = facts.participation.copy()
    table["count"] = [counted(v, u) for v, u in zip(table["value"], table["unit"], strict=True)]
    table["paragraph"] = [paragraph_of(facts.text, s) for s in table["start"]]
    table = table.sort_values(["value", "org_type"], ascending=[False, True], kind="stable")
    return table[
        ["org_type", "label_en", "term_fr", "value", "unit", "count", "level", "quote", "paragraph"]
    ].reset_index(drop=True)


def headline_figures(facts: Facts) -> pd.DataFrame:
    """The figures that are not broken down by type: representatives and delegations."""
    figures = facts.figures.set_index("id").loc[["representatives", "delegations"]]
    shown = pd.DataFrame(
        {
            "value": figures["value"],
            "unit": figures["unit"],
            "as stated": [
                "approximate ('quelque', some)" if a else ("total ('au total')" if t else "exact")
                for a, t in zip(figures["approximate"], figures["stated_as_total"], strict=True)
            ],
            "quote": figures["quote"],
            "translation": figures["translation"],
        }
    )
    shown.index.name = "figure"
    return shown


def derived_ratios(facts: Facts) -> pd.DataFrame:
    """Ratios computed by us from stated figures: derived, and approximate where an input is."""
    figures = facts.figures.set_index("id")
    entities = int(participants(facts)["value"].sum())
    reps = figures.loc["representatives"]
    rows = [
        ("representatives per delegation", reps["value"], "representatives",
         stated_total(facts)["value"], "delegations (stated total)"),
        ("representatives per participating entity", reps["value"], "representatives",
         entities, "participating entities (sum of the listed groups)"),
        ("bodies per international organisation", figures.loc["international_bodies", "value"],
         "international bodies", figures.loc["international_organisations", "value"],
         "international organisations"),
    ]
    out = []
    for name, num, num_label, den, den_label in rows:
        approximate = bool(reps["approximate"]) if num_label == "representatives" else False
        out.append(
            {
                "ratio": name,
                "numerator": f"{num} {num_label}",
                "denominator": f"{den} {den_label}",
                "value": round(num / den, 1),
                "status": "derived, approximate" if approximate else "derived",
            }
        )
    return pd.DataFrame(out)


def audit_parts(parts: pd.DataFrame, total: int) -> dict:
    """Do the parts add up to the stated total? Returns the sum, the gap and a verdict."""
    stated = int(parts["value"].sum())
    return {
        "parts": len(parts),
        "sum_of_parts": stated,
        "stated_total": int(total),
        "difference": stated - int(total),
        "adds_up": stated == int(total),
    }


def consistency_audit(facts: Facts) -> pd.DataFrame:
    """The article's parts (participant groups) against its total (delegations)."""
    parts, delegations = participants(facts), stated_total(facts)
    result = audit_parts(parts, delegations["value"])
    summed = " + ".join(str(v) for v in parts["value"]) + f" = {result['sum_of_parts']}"
    return pd.DataFrame(
        [
            ("Groups of participants listed", f"{result['parts']}"),
            ("Sum of their counts", summed),
            (f"Stated total ('{delegations['quote']}')", f"{result['stated_total']}"),
            ("Difference (sum minus total)", f"{result['difference']:+d}"),
            ("Do the parts add up?", "yes" if result["adds_up"] else "no"),
        ],
        columns=["check", "result"],
    ).set_index("check")


def reproducing_combinations(parts: pd.DataFrame, total: int) -> pd.DataFrame:
    """Every set of the stated counts whose sum is exactly the total, and what it leaves out.

    ``parts`` needs org_type, value and level; a set holding a 'represented' row beside the
    bodies that represent it counts the same delegations twice, and is flagged.
    """
    rows = []
    items = list(parts[["org_type", "value", "level"]].itertuples(index=False))
    for size in range(1, len(items) + 1):
        for combo in combinations(items, size):
            if sum(int(i.value) for i in combo) != int(total):
                continue
            chosen = {i.org_type for i in combo}
            rows.append(
                {
                    "combination": " + ".join(f"{i.value} {i.org_type}" for i in combo),
                    "counts as delegations": ", ".join(i.org_type for i in combo),
                    "leaves out": ", ".join(i.org_type for i in items if i.org_type not in chosen)
                    or "nothing",
                    "double count": any(
                        i.level == "represented" for i in combo
                    ),
                }
            )
    return pd.DataFrame(
        rows,
        columns=["combination", "counts as delegations", "leaves out",
                 "double count"],
    )


TIER_LABELS = {
    ("sco", "member"): "SCO member states",
    ("sco", "observer"): "SCO observer states",
    ("sco", "dialogue_partner"): "SCO dialogue partners",
    ("cis", "member"): "CIS member states",
    ("cis", "associate_member"): "CIS associate member",
}


def state_pool(membership: pd.DataFrame) -> pd.DataFrame:
    """Distinct states each tier adds to the pool the article's 'twenty countries' come from.

    Tiers in the order the article's wording admits them: SCO members, observers and dialogue
    partners, then the CIS; a state already counted in an earlier tier is not counted again.
    """
    seen: set[str] = set()
    rows = []
    for (org, status), label in TIER_LABELS.items():
        states = membership[(membership["organisation"] == org) & (membership["status"] == status)]["state"]
        new = [s for s in states if s not in seen]
        seen.update(new)
        rows.append(
            {
                "tier": label,
                "states in tier": len(states),
                "new to the pool": len(new),
                "pool so far": len(seen),
                "new states": ", ".join(sorted(new)) or "none",
                "source": "; ".join(sorted(set(membership.loc[states.index, "source"]))),
            }
        )
    return pd.DataFrame(rows)


def participation_alt(table: pd.DataFrame) -> str:
    """Alt text for the participation chart, from the same table."""
    items = [
        f"{c} ({label})" + (", hatched: not an additional group" if lvl == "represented" else "")
        for c, label, lvl in zip(table["count"], table["label_en"], table["level"], strict=True)
    ]
    return "Horizontal bar chart, largest first: " + "; ".join(items) + "."


def consistency_alt(parts: pd.DataFrame, total: int) -> str:
    stacked = ", ".join(f"{v} {label}" for v, label in zip(parts["value"], parts["label_en"], strict=True))
    summed = int(parts["value"].sum())
    return (
        f"Two horizontal bars. The top bar stacks {stacked}, reaching {summed}. The bottom bar is the "
        f"stated total of {total} delegations. An arrow marks the gap of {summed - int(total):+d}."
    )


def pool_alt(pool: pd.DataFrame, stated: int) -> str:
    tiers = ", ".join(f"{n} {t}" for t, n in zip(pool["tier"], pool["new to the pool"], strict=True) if n)
    return (
        f"Two horizontal bars: the article's {stated} states, against a stacked bar of "
        f"{pool['pool so far'].iloc[-1]} distinct states that the wording could cover ({tiers})."
    )


def consistency_finding(facts: Facts) -> str:
    """The audit's finding in words a reader can check with a calculator (Markdown)."""
    parts, total = participants(facts), int(stated_total(facts)["value"])
    result = audit_parts(parts, total)
    sum_text = " + ".join(str(v) for v in parts["value"]) + f" = {result['sum_of_parts']}"
    if result["adds_up"]:
        return (
            f"**Finding.** {sum_text}, which is the article's stated total of {total} delegations: "
            "the listed groups add up."
        )
    more_or_fewer = "exceed" if result["difference"] > 0 else "fall short of"
    return (
        f"**Finding.** {sum_text}, but the article's stated total is {total} delegations: the "
        f"{result['parts']} listed groups {more_or_fewer} the stated total by "
        f"{abs(result['difference'])}. The article does not say how a delegation was counted, so "
        "the text alone cannot resolve the mismatch."
    )


def pool_finding(pool: pd.DataFrame, stated: int) -> str:
    """What the pool of states says about the article's count (Markdown; an inference)."""
    everyone = int(pool["pool so far"].iloc[-1])
    without_associate = int(pool.loc[pool["tier"] != TIER_LABELS[("cis", "associate_member")],
                                     "new to the pool"].sum())
    return (
        f"The wording could cover {everyone} distinct states ({without_associate} without the CIS "
        f"associate member), of which the article says {stated} were represented: at least "
        f"{everyone - stated} were not, and the article does not say which (an inference from "
        "context, not a statement of the article)."
    )
