"""The president's message as other outlets published it, against what UzA's French article kept.

Context, not the article: the points of the message are our paraphrase of the fuller published
versions (``data/context/message_points.csv``); which version carries which point is coded in
``data/context/coverage.csv``. The French article's own sentences stay in ``data/facts``.
"""

from __future__ import annotations

import pandas as pd

LEVELS = ["full", "part", "absent", "unreadable"]
CARRIED = ("full", "part")


def versions(coverage: pd.DataFrame, sources: pd.DataFrame, article: str = "uza_fr") -> list[str]:
    """Version ids in reading order: the outside versions by how many points they carry, the article last."""
    carried = coverage[coverage["coverage"].isin(CARRIED)].groupby("version").size()
    others = [v for v in dict.fromkeys(coverage["version"]) if v != article]
    others.sort(key=lambda v: (-int(carried.get(v, 0)), v))
    return others + ([article] if article in set(coverage["version"]) else [])


def coverage_matrix(points: pd.DataFrame, coverage: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """Points (rows, in the message's order) by versions (columns): full, part, absent or unreadable."""
    matrix = coverage.pivot(index="point", columns="version", values="coverage")
    matrix = matrix.reindex(index=points.sort_values("order")["id"], columns=order)
    return matrix.fillna("absent")


def version_summary(matrix: pd.DataFrame) -> pd.DataFrame:
    """Per version: how many points it carries in full, in part, and not at all."""
    rows = {version: {level: int((matrix[version] == level).sum()) for level in LEVELS}
            for version in matrix.columns}
    summary = pd.DataFrame.from_dict(rows, orient="index")[LEVELS]
    summary["points"] = len(matrix)
    return summary


def dropped_by(matrix: pd.DataFrame, version: str, baseline: list[str]) -> list[str]:
    """Points that some baseline version carries and this version does not carry at all."""
    carried_elsewhere = matrix[baseline].isin(CARRIED).any(axis=1)
    return list(matrix.index[carried_elsewhere & (matrix[version] == "absent")])


def article_links(coverage: pd.DataFrame, article: str = "uza_fr") -> pd.DataFrame:
    """Each point the article carries, with the article's statement that carries it."""
    rows = coverage[(coverage["version"] == article) & coverage["coverage"].isin(CARRIED)]
    return rows[["point", "coverage", "statement", "note"]].reset_index(drop=True)


def figures_across(across: pd.DataFrame, figures: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """Figure (rows, in the article's order) by source (columns): the value it gives, or 'absent'.

    Cells read "same 20", "different 19" or "absent", so the agreement is in the table itself.
    """
    outlet = dict(zip(sources["id"], sources["outlet"], strict=True))
    cell = [
        "absent" if a == "absent" else f"{a} ({'' if pd.isna(v) else int(v)})"
        for a, v in zip(across["agreement"], across["value"], strict=True)
    ]
    table = across.assign(cell=cell).pivot(index="figure", columns="source", values="cell")
    table = table.reindex(index=[f for f in figures["id"] if f in set(across["figure"])])
    table.columns = [outlet.get(c, c) for c in table.columns]
    table.insert(0, "UzA (French article)", figures.set_index("id").loc[table.index, "value"].astype(int))
    return table.fillna("absent")


def agreement_counts(across: pd.DataFrame) -> dict[str, int]:
    """How many of the article's figures each other source confirms, contradicts, or leaves out."""
    counts = across.groupby(["agreement"]).size()
    return {level: int(counts.get(level, 0)) for level in ("same", "different", "absent")}


def confirmed_only_by_uza(across: pd.DataFrame, uza_sources: set[str]) -> list[str]:
    """Figures that no source other than UzA's own versions gives."""
    others = across[~across["source"].isin(uza_sources) & (across["agreement"] != "absent")]
    return [f for f in dict.fromkeys(across["figure"]) if f not in set(others["figure"])]
