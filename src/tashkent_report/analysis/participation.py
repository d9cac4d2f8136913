"""Participation by organisation type, derived ratios, and whether the parts add up."""

from __future__ import annotations

from itertools import combinations

import pandas as pd

from tashkent_report.analysis.model import Facts, cited_as, paragraph_of

DOUBLE_COUNT = "counts some delegations twice"


def readable(code: str) -> str:
    """A code of the data ('cis_bodies', 'dialogue_partner') in a reader's words."""
    return READABLE.get(code, str(code).replace("_", " "))


def group_names(parts: pd.DataFrame) -> dict[str, str]:
    """Each group's name for a reader, from its English label where the table has one
    ('CIS working bodies', 'research and educational institutions'), else from its code."""
    if "label_en" not in parts:
        return {code: readable(code) for code in parts["org_type"]}
    return {code: label if label[1:2].isupper() else label[:1].lower() + label[1:]
            for code, label in zip(parts["org_type"], parts["label_en"], strict=True)}


READABLE = {"cis_bodies": "CIS working bodies", "sco_bodies": "SCO working bodies",
            "dialogue_partner": "dialogue partner", "associate_member": "associate member"}

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
    return facts.figure("delegations")


def participation_table(facts: Facts) -> pd.DataFrame:
    """One row per organisation type the article names, largest first, with its quote."""
    table = facts.participation.copy()
    table["count"] = [counted(v, u) for v, u in zip(table["value"], table["unit"], strict=True)]
    table["paragraph"] = [paragraph_of(facts.text, s) for s in table["start"]]
    table = table.sort_values(["value", "org_type"], ascending=[False, True], kind="stable")
    return table[
        ["org_type", "label_en", "term_fr", "value", "unit", "count", "level", "quote", "paragraph"]
    ].reset_index(drop=True)


def derived_ratios(facts: Facts) -> pd.DataFrame:
    """Ratios computed by us from stated figures: derived, and approximate where an input is."""
    figures = facts.figures.set_index("id")
    entities = int(participants(facts)["value"].sum())
    reps = figures.loc["representatives"]
    rows = [
        ("representatives per delegation", reps["value"], "representatives",
         stated_total(facts)["value"], "delegations (stated total)"),
        ("representatives per listed entity", reps["value"], "representatives",
         entities, "entities listed (sum of the groups)"),
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
    """The entities the article lists (participant groups) beside the delegations it states."""
    parts, delegations = participants(facts), stated_total(facts)
    result = audit_parts(parts, delegations["value"])
    rows = [(f"{label} ('{term}')", str(value)) for label, term, value in
            zip(parts["label_en"], parts["term_fr"], parts["value"], strict=True)]
    rows += [
        (f"Entities listed ({result['parts']} groups)", str(result["sum_of_parts"])),
        (f"Delegations stated ('{delegations['quote']}')", str(result["stated_total"])),
        ("Entities listed minus delegations stated", f"{result['difference']:+d}"),
    ]
    return pd.DataFrame(rows, columns=["", "count"]).set_index("")


def reproducing_combinations(parts: pd.DataFrame, total: int) -> pd.DataFrame:
    """Every set of the stated counts whose sum is exactly the total, and what it leaves out.

    ``parts`` needs org_type, value and level; a set holding a 'represented' row beside the
    bodies that represent it counts the same delegations twice, and is flagged.
    """
    rows, name = [], group_names(parts)
    items = list(parts[["org_type", "value", "level"]].itertuples(index=False))
    for size in range(1, len(items) + 1):
        for combo in combinations(items, size):
            if sum(int(i.value) for i in combo) != int(total):
                continue
            chosen = {i.org_type for i in combo}
            rows.append(
                {
                    "combination": " + ".join(f"{i.value} {name[i.org_type]}" for i in combo),
                    "counts as delegations": ", ".join(name[i.org_type] for i in combo),
                    "leaves out": ", ".join(name[i.org_type] for i in items
                                            if i.org_type not in chosen) or "nothing",
                    DOUBLE_COUNT: "yes" if any(i.level == "represented" for i in combo) else "no",
                }
            )
    return pd.DataFrame(
        rows,
        columns=["combination", "counts as delegations", "leaves out", DOUBLE_COUNT],
    )


TIER_LABELS = {
    ("sco", "member"): "SCO member states",
    ("sco", "observer"): "SCO observer states",
    ("sco", "dialogue_partner"): "SCO dialogue partners",
    ("cis", "member"): "CIS member states",
    ("cis", "associate_member"): "CIS associate member",
}


def state_pool(membership: pd.DataFrame, sources: pd.DataFrame | None = None) -> pd.DataFrame:
    """Distinct states each tier adds to the pool the article's 'twenty countries' come from.

    Tiers in the order the article's wording admits them: SCO members, observers and dialogue
    partners, then the CIS; a state already counted in an earlier tier is not counted again.
    """
    names = {} if sources is None else cited_as(sources)
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
                "sources": "; ".join(sorted({names.get(i, i) for ids in membership.loc[states.index,
                                                                                         "sources"]
                                             for i in ids.split(";")})),
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
    pairs = zip(pool["tier"], pool["new to the pool"], strict=True)
    tiers = "; ".join(f"{t}: {n} new" for t, n in pairs if n)
    return (
        f"Two horizontal bars: the article's {stated} countries, against a stacked bar of the "
        f"{pool['pool so far'].iloc[-1]} distinct states that SCO and CIS membership tiers hold ({tiers})."
    )


WHOLE, WHOLE_SUM = "groups counted whole", "their sum"
PART_OF, PART, OUT_OF = "group counted in part", "members counted", "out of"


def partial_counts(parts: pd.DataFrame, total: int) -> pd.DataFrame:
    """Ways to reach the total with whole groups plus part of exactly one other group.

    Only the groups that sent people are used (no 'represented' row): these are readings in
    which some members of a group came inside other delegations, which the text neither says
    nor rules out.
    """
    items = list(parts.loc[parts["level"] == "participant", ["org_type", "value"]].itertuples(index=False))
    rows, name = [], group_names(parts)
    for size in range(0, len(items)):
        for combo in combinations(items, size):
            whole = sum(int(i.value) for i in combo)
            chosen = {i.org_type for i in combo}
            for other in items:
                need = int(total) - whole
                if other.org_type in chosen or not 0 < need < int(other.value):
                    continue
                rows.append({WHOLE: ", ".join(name[i.org_type] for i in combo) or "none",
                             WHOLE_SUM: whole, PART_OF: name[other.org_type],
                             PART: need, OUT_OF: int(other.value)})
    columns = [WHOLE, WHOLE_SUM, PART_OF, PART, OUT_OF]
    return pd.DataFrame(rows, columns=columns)


def listing_values(facts: Facts) -> dict:
    """The numbers the 'entities listed against delegations stated' passage states."""
    parts, total = participants(facts), int(stated_total(facts)["value"])
    result = audit_parts(parts, total)
    whole = reproducing_combinations(facts.participation, total)
    partial = partial_counts(parts, total)
    # The readings that keep every group whole but one (each leaves out as many entities as any other).
    all_but_one = partial[partial[WHOLE].str.count(",") + 1 == result["parts"] - 1]
    return {
        "groups": result["parts"],
        "entities": result["sum_of_parts"],
        "delegations": total,
        "difference": abs(result["difference"]),
        "whole_combinations": len(whole),
        "whole_double_counting": int((whole[DOUBLE_COUNT] == "yes").sum()),
        "partial_ways": len(partial),
        "all_but_one": [
            {"part": int(r[PART]), "of": int(r[OUT_OF]), "group": str(r[PART_OF])}
            for _, r in all_but_one.sort_values(PART).iterrows()
        ],
    }


def pool_values(pool: pd.DataFrame, stated: int) -> dict:
    """The numbers the 'which twenty countries' passage states."""
    associate = TIER_LABELS[("cis", "associate_member")]
    everyone = int(pool["pool so far"].iloc[-1])
    members_only = int(pool.loc[pool["tier"] != associate, "new to the pool"].sum())
    return {
        "stated": int(stated),
        "pool": everyone,
        "pool_without_associate": members_only,
        "absent_at_least": members_only - int(stated),
        "absent_at_least_with_associate": everyone - int(stated),
    }


def listing_phrases(values: dict) -> dict:
    """The two phrases of the listing passage that vary with the data, from ``listing_values``."""
    from tashkent_report.analysis.prose import Phrase

    if values["whole_double_counting"] == values["whole_combinations"]:
        double = "and every one of them adds"
    else:
        double = f"and {values['whole_double_counting']} of them add"
    parts = [f"{r['part']} of the {r['of']} {r['group']}" for r in values["all_but_one"]]
    return {"double_count": Phrase(double), "all_but_one": Phrase(", or ".join(parts))}


def full_members(membership: pd.DataFrame) -> dict:
    """Full members of the SCO and of the CIS (as the table dates them, September 2024), and how
    many states that makes once the states in both are counted once."""
    members = membership[membership["status"] == "member"]
    sco = set(members.loc[members["organisation"] == "sco", "state"])
    cis = set(members.loc[members["organisation"] == "cis", "state"])
    return {"sco": len(sco), "cis": len(cis), "both": len(sco & cis), "distinct": len(sco | cis),
            "in_both": sorted(sco & cis), "sco_only": sorted(sco - cis), "cis_only": sorted(cis - sco)}


def member_values(membership: pd.DataFrame, stated: int) -> dict:
    """The numbers of the 'who could have come' passage: the full members of the two
    organisations, and what the article's count of states implies about the others.

    If every full member of either organisation came, the stated count still leaves
    ``non_members_at_least`` states that are observers, dialogue partners or associates;
    fewer full members present would raise it.
    """
    counts = full_members(membership)
    return {
        "sco": counts["sco"], "cis": counts["cis"], "both": counts["both"],
        "distinct": counts["distinct"], "stated": int(stated),
        "non_members_at_least": max(int(stated) - counts["distinct"], 0),
    }


def status_label(organisation: str, status: str) -> str:
    """'SCO dialogue partner', 'CIS associate member': a membership row in a reader's words."""
    return f"{organisation.upper()} {readable(status)}"


def membership_table(membership: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """SCO and CIS membership in a reader's words, one row per state and standing, with the short
    citations of its sources: 'SCO', 'dialogue partner', never the table's codes."""
    names = cited_as(sources)
    return pd.DataFrame({
        "state": membership["state"],
        "organisation": membership["organisation"].str.upper(),
        "standing": [readable(s) for s in membership["status"]],
        "note": membership["note"].fillna("") if "note" in membership else "",
        "sources": ["; ".join(names.get(i, i) for i in str(ids).split(";")) for ids in membership["sources"]],
    }).set_index("state")
