"""The president's message as other outlets published it, against what UzA's French article kept.

Context, not the article: the points of the message are our paraphrase of the fuller published
versions (``data/context/message_points.csv``); which version carries which point is coded in
``data/context/coverage.csv``. The French article's own sentences stay in ``data/facts``.
"""

from __future__ import annotations

import pandas as pd

from tashkent_report.analysis.model import cited_as

LEVELS = ["full", "part", "absent", "unreadable"]
CARRIED = ("full", "part")


UZA = ("uza_en", "uza_fr")


def versions(coverage: pd.DataFrame, sources: pd.DataFrame, uza: tuple[str, ...] = UZA) -> list[str]:
    """Version ids in reading order: outside versions by how many points they carry, then UzA's."""
    carried = coverage[coverage["coverage"].isin(CARRIED)].groupby("version").size()
    others = [v for v in dict.fromkeys(coverage["version"]) if v not in uza]
    others.sort(key=lambda v: (-int(carried.get(v, 0)), v))
    return others + [v for v in uza if v in set(coverage["version"])]


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


def dropped_by_all(matrix: pd.DataFrame, versions: list[str]) -> list[str]:
    """Points that every one of ``versions`` drops and some other version carries, in order."""
    others = [v for v in matrix.columns if v not in versions]
    dropped = [set(dropped_by(matrix, version, others)) for version in versions]
    return [p for p in matrix.index if all(p in d for d in dropped)]


def dropped_phrase(points: pd.DataFrame, matrix: pd.DataFrame, versions: list[str]):
    """The points every one of ``versions`` drops (:func:`dropped_by_all`), by label: a phrase for prose."""
    from tashkent_report.analysis.prose import Phrase

    label = points.set_index("id")["label"]
    return Phrase("; ".join(label[p] for p in dropped_by_all(matrix, versions)))


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
    by_id = figures.set_index("id")
    table.insert(0, "UzA (French article)", by_id.loc[table.index, "value"].astype(int))
    table.index = pd.Index(by_id.loc[table.index, "counts"], name="the article's figure")  # words, not ids
    return table.fillna("absent")


def points_table(points: pd.DataFrame, coverage: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """Each point in our words, the versions that carry it (in full or in part), and a short excerpt."""
    name = cited_as(sources)
    rows = []
    for point in points.sort_values("order").itertuples(index=False):
        here = coverage[coverage["point"] == point.id]
        carried = [f"{name[v]}{' (part)' if c == 'part' else ''}"
                   for v, c in zip(here["version"], here["coverage"], strict=True) if c in CARRIED]
        gloss = "" if pd.isna(point.excerpt_en) else f", ‘{point.excerpt_en}’"
        excerpt = "" if pd.isna(point.excerpt) else f"“{point.excerpt}” ({name[point.excerpt_source]}{gloss})"
        rows.append({"point": point.order, "in our words": point.point_en,
                     "carried by": "; ".join(carried), "in their words": excerpt})
    return pd.DataFrame(rows).set_index("point")


def attribution_table(statements: pd.DataFrame, outside: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """Each of the article's statements: what the article does, and what the outside versions show."""
    name = cited_as(sources)
    shown = {"the_president": "the president's (part of the message)",
             "the_president_first_person": "the president's, in his own first person"}
    merged = statements.merge(outside, left_on="id", right_on="statement", how="left")
    return pd.DataFrame({
        "statement": merged["order"].astype(int),
        "in the article": [
            "attributed to the president" if a == "explicit" else "not attributed"
            for a in merged["attribution"]],
        "in the outside versions": [shown.get(o, "not found") for o in merged["outside"]],
        "shown by": ["; ".join(name[s] for s in str(ids).split(";")) if not pd.isna(ids) else ""
                     for ids in merged["sources"]],
    }).set_index("statement")


def coverage_alt(matrix: pd.DataFrame, labels: list[str], names: list[str]) -> str:
    """Alt text for the coverage chart: per version, the points it carries."""
    parts = []
    for version, name in zip(matrix.columns, names, strict=True):
        full = [lab for lab, c in zip(labels, matrix[version], strict=True) if c == "full"]
        part = [lab for lab, c in zip(labels, matrix[version], strict=True) if c == "part"]
        parts.append(f"{name}: in full, {'; '.join(full) or 'none'}; in part, {'; '.join(part) or 'none'}")
    head = "Grid of the points of the message (rows) against its versions (columns). "
    return head + ". ".join(parts) + "."


def carried_phrase(points: pd.DataFrame, coverage: pd.DataFrame, statements: pd.DataFrame,
                   article: str = "uza_fr"):
    """The points the article carries, each with its statement and how fully: a phrase for prose."""
    from tashkent_report.analysis.prose import joined

    label = points.set_index("id")["label"]
    order = statements.set_index("id")["order"]
    links = article_links(coverage, article)
    links = links.assign(at=[int(order[s]) for s in links["statement"]]).sort_values("at")
    how = {"full": "in full", "part": "in part"}
    return joined(f"‘{label[r.point]}’ (statement {r.at}, {how[r.coverage]})" for r in links.itertuples())
