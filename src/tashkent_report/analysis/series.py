"""The conference in its series: the RATS and CIS editions that pages report, and their numbers.

Context, not the article: ``data/context/series.csv`` holds one row per edition per source, so
two pages that give different numbers for one edition keep their own. Here they become one row
per edition for the reader, and the named values the chapter's prose states.
"""

from __future__ import annotations

import pandas as pd

from tashkent_report.analysis.model import cited_as
from tashkent_report.analysis.prose import Phrase, names

JOINT = "rats_10_cis_02"  # the Tashkent event: the 10th RATS and 2nd CIS conference
QUALIFIERS = {"more_than": "more than ", "about": "about ", "exactly": ""}


def when(start) -> pd.Timestamp:
    """A start date as precise as a page gives it, as a point on a time axis: a day as it is, a
    month at its 15th, a year at 1 July (the middle of what the page allows)."""
    text = "" if pd.isna(start) else str(start)
    if len(text) == 10:
        return pd.Timestamp(text)
    if len(text) == 7:
        return pd.Timestamp(f"{text}-15")
    if len(text) == 4:
        return pd.Timestamp(f"{text}-07-01")
    return pd.NaT


def _earliest(starts: pd.Series) -> object:
    """The earliest start any page gives, preferring a full date to a bare month or year of the
    same period (a page that gives only '2023-09' does not move a '2023-09-20' to the 15th)."""
    given = [str(s) for s in starts.dropna()]
    if not given:
        return pd.NA
    return min(given, key=lambda s: (s[:4], s[5:7] or "99", s[8:10] or "99"))


def editions(table: pd.DataFrame) -> pd.DataFrame:
    """One row per edition, in date order: series (rats, cis, joint), label, year and date (the
    earliest any page gives; see ``when`` for a page that gives only a month or a year).

    An edition no source dates is left out: it cannot be placed on a time axis.
    """
    rows = table.assign(year=pd.to_numeric(table["start"].str[:4], errors="coerce"))
    found = rows.groupby("event", sort=False).agg(
        rats=("rats_edition", "first"), cis=("cis_edition", "first"), year=("year", "min"),
        first=("start", _earliest))
    found = found.dropna(subset=["year"])
    found["series"] = ["joint" if pd.notna(r) and pd.notna(c) else "rats" if pd.notna(r) else "cis"
                       for r, c in zip(found["rats"], found["cis"], strict=True)]
    found["label"] = [" + ".join(f"{name} {int(n)}" for name, n in (("RATS", r), ("CIS", c)) if pd.notna(n))
                      for r, c in zip(found["rats"], found["cis"], strict=True)]
    found["year"] = found["year"].astype(int)
    found["date"] = [when(f) for f in found["first"]]
    return found.sort_values("date", kind="stable")[["series", "label", "year", "date"]]


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _values(group: pd.DataFrame, column: str, qualifier: str | None = None) -> str:
    """The distinct values the pages give, 'a / b' where they differ, '' where none does."""
    given = group.dropna(subset=[column])
    shown = []
    for value, rows in given.groupby(column, sort=True):
        word = ""
        if qualifier is not None and rows[qualifier].notna().any():
            word = QUALIFIERS.get(str(rows[qualifier].dropna().iloc[0]), "")
        shown.append(f"{word}{int(value)}")
    return " / ".join(shown)


def edition_name(row: pd.Series) -> str:
    """'10th RATS and 2nd CIS', '3rd CIS': an edition as a reader names it."""
    return " and ".join(f"{_ordinal(int(n))} {series}" for series, n in
                        (("RATS", row["rats_edition"]), ("CIS", row["cis_edition"])) if pd.notna(n))


def edition_table(table: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """One row per edition, in date order, with the people and states any page gives (blank: none)."""
    name = cited_as(sources)
    order = list(editions(table).index)
    order += [e for e in dict.fromkeys(table["event"]) if e not in order]  # undated editions last
    rows = []
    for event in order:
        group = table[table["event"] == event]
        first = group.iloc[0]
        label = edition_name(first)
        starts, ends = group["start"].dropna(), group["end"].dropna()
        when = _earliest(starts) if len(starts) else ""  # a full date before a bare month or year
        if len(ends) and when and ends.max() != when:
            when = f"{when} to {ends.max()}"
        rows.append({
            "edition": label,
            "dates": when,
            "city": first["city"],
            "people": _values(group, "participants", "participants_qualifier"),
            "states": _values(group, "states"),
            "sources": "; ".join(name[s] for s in dict.fromkeys(group["source"])),
        })
    return pd.DataFrame(rows).set_index("edition")


def _one(table: pd.DataFrame, event: str, column: str, source: str | None = None) -> int:
    rows = table[(table["event"] == event) & table[column].notna()]
    if source is not None:
        rows = rows[rows["source"] == source]
    values = sorted({int(v) for v in rows[column]})
    if len(values) != 1:
        raise ValueError(f"{event}: {column} has {values or 'no value'}, not one")
    return values[0]


def values(facts) -> object:
    """The numbers the series section states, each read from the series and claims tables."""
    table = facts.series
    rats = table.dropna(subset=["rats_edition"])
    cis1 = sorted({int(v) for v in table.loc[table["event"] == "cis_01", "states"].dropna()})
    reported = rats.drop_duplicates("event")
    others = table[table["event"] != JOINT]
    counted = others.dropna(subset=["participants", "states"], how="all")
    return names({
        "others": others["event"].nunique(),
        "others_counted": counted["event"].nunique(),
        "baseline": int(facts.context_claims.set_index("id").loc["rats_series_baseline", "value"]),
        "cis3_bodies": int(facts.context_claims.set_index("id").loc["cis3_bodies", "value"]),
        "rats_reported": len(reported),
        "rats_latest": int(rats["rats_edition"].max()),
        "rats8_states": _one(table, "rats_08", "states"),
        "rats9_people": _one(table, "rats_09", "participants"),
        "rats9_states": _one(table, "rats_09", "states"),
        "cis1_states": Phrase(" or ".join(str(v) for v in reversed(cis1))),
        "cis1_states_most": max(cis1),
        "cis3_people": _one(table, "cis_03", "participants"),
        "cis3_states": _one(table, "cis_03", "states"),
        "joint_people": _one(table, JOINT, "participants"),
        "joint_states": _one(table, JOINT, "states"),
        "rats11_people": _one(table, "rats_11", "participants"),
        "joint_editions": int((editions(table)["series"] == "joint").sum()),
        "apart_after_joint": len(apart_after(table)),
    })


def apart_after(table: pd.DataFrame, event: str = JOINT) -> pd.DataFrame:
    """The editions held after the joint one, each in one series only: the evidence, so far,
    that the joint format did not become the rule."""
    found = editions(table)
    later = found[found["date"] > found.loc[event, "date"]]
    return later[later["series"] != "joint"]


def chair_test(table: pd.DataFrame, chairs: pd.DataFrame) -> pd.DataFrame:
    """Each CIS conference beside the state chairing the CIS that year: does the chair's capital
    host it? One row per CIS edition, in date order."""
    found = editions(table)
    found = found[found["series"].isin(["cis", "joint"])]
    first = table.drop_duplicates("event").set_index("event")
    chair = chairs.set_index("year")
    rows = []
    for event, row in found.iterrows():
        held, year = first.loc[event, "city"], int(row["year"])
        capital = chair.loc[year, "capital"] if year in chair.index else None
        rows.append({"edition": edition_name(first.loc[event]), "year": year, "held in": held,
                     "CIS chair": chair.loc[year, "chair"] if capital else "not known",
                     "chair's capital": capital or "not known",
                     "chair hosts": "yes" if capital == held else "no",
                     "joint with RATS": "yes" if row["series"] == "joint" else "no"})
    return pd.DataFrame(rows).set_index("edition")


def chair_values(table: pd.DataFrame, chairs: pd.DataFrame) -> dict:
    """The numbers of the chairmanship passage: CIS editions, how many the chair's capital
    hosted, and whether every exception is a joint edition."""
    test = chair_test(table, chairs)
    exceptions = test[test["chair hosts"] == "no"]
    return {"cis_editions": len(test), "chair_hosted": int((test["chair hosts"] == "yes").sum()),
            "exceptions": len(exceptions),
            "exceptions_all_joint": bool((exceptions["joint with RATS"] == "yes").all()),
            "exception_cities": ", ".join(exceptions["held in"])}


def chart_alt(table: pd.DataFrame, baseline: int) -> str:
    """Alt text for the series chart: the editions by year, then the head counts and states given."""
    found = editions(table)
    shown = "; ".join(f"{row.label} ({row.year})" for row in found.itertuples())
    people, states = [], []
    for event, group in table.groupby("event", sort=False):
        if event not in found.index:
            continue
        label = found.loc[event, "label"]
        if given := _values(group, "participants", "participants_qualifier"):
            people.append(f"{given} at {label}")
        if given := _values(group, "states"):
            states.append(f"{given} at {label}")
    return (f"Timeline of the editions the pages report: {shown}. Head counts: {'; '.join(people)}, "
            f"against a dashed line at the {baseline} the RATS series had grown to. States: "
            f"{'; '.join(states)}.")
