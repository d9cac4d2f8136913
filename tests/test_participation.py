"""Participation tables, the parts-against-total audit and the charts drawn from them."""

import os
import struct

import pandas as pd
import pytest

from tashkent_report.analysis import participation, plots
from tashkent_report.analysis.dataset import Facts, load_facts
from tashkent_report.config import FIGURES


@pytest.fixture(scope="module")
def facts():
    return load_facts()


def synthetic(values: dict[str, int], represented: tuple[str, ...] = ()) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "org_type": list(values),
            "label_en": [k.replace("_", " ").title() for k in values],
            "term_fr": [f"terme {k}" for k in values],
            "value": list(values.values()),
            "unit": ["bodies"] * len(values),
            "level": ["represented" if k in represented else "participant" for k in values],
        }
    )


def test_table_is_sorted_largest_first_with_units(facts):
    table = participation.participation_table(facts)
    assert list(table["value"]) == sorted(table["value"], reverse=True)
    assert list(table["count"])[:2] == ["22 institutions", "20 states"]
    assert "2 bodies" in list(table["count"])


def test_chart_draws_the_table_values_in_order():
    table = synthetic({"a": 3, "b": 7, "c": 1}, represented=("c",))
    table["count"] = [participation.counted(v, u) for v, u in zip(table["value"], table["unit"], strict=True)]
    table = table.sort_values("value", ascending=False)
    fig = plots.participation_chart(table)
    ax = fig.axes[0]
    bars = [p for p in ax.patches if p.get_height() > 0]
    # barh draws bottom-up: reversed, the widths are the table's order, largest on top.
    assert [b.get_width() for b in bars][::-1] == [7, 3, 1]
    labels = [t.get_text() for t in ax.get_yticklabels()][::-1]
    assert labels[0].startswith("B\n« terme b »")
    texts = [t.get_text() for t in ax.texts]
    assert {"7 bodies", "3 bodies", "1 body"} <= set(texts)
    assert bars[0].get_hatch() == "///"  # the represented row, drawn at the bottom
    assert any("Source: UzA" in t.get_text() for t in fig.texts)


def test_audit_finds_a_mismatch():
    result = participation.audit_parts(synthetic({"a": 20, "b": 9, "c": 5}), total=30)
    assert result == {"parts": 3, "sum_of_parts": 34, "stated_total": 30, "difference": 4, "adds_up": False}


def test_audit_finds_none_when_the_parts_add_up():
    result = participation.audit_parts(synthetic({"a": 20, "b": 9, "c": 5}), total=34)
    assert result["adds_up"] and result["difference"] == 0


def test_combinations_reproducing_a_total():
    parts = synthetic({"a": 5, "b": 3, "c": 2, "d": 8}, represented=("d",))
    combos = participation.reproducing_combinations(parts, 10)
    assert list(combos["combination"]) == ["2 c + 8 d", "5 a + 3 b + 2 c"]  # labels, first letter lower
    assert list(combos[participation.DOUBLE_COUNT]) == ["yes", "no"]
    assert list(combos["leaves out"]) == ["a, b", "d"]
    assert participation.reproducing_combinations(parts, 100).empty


def test_article_lists_63_entities_and_states_47_delegations(facts):
    audit = participation.consistency_audit(facts)
    assert audit.loc["Entities listed (5 groups)", "count"] == "63"
    assert audit.loc["Delegations stated ('47 délégations au total')", "count"] == "47"
    assert audit.loc["Entities listed minus delegations stated", "count"] == "+16"
    values = participation.listing_values(facts)
    assert (values["entities"], values["delegations"], values["difference"]) == (63, 47, 16)
    # 20+9+2+10+6 and 9+22+10+6: both count the six organisations beside their ten bodies
    assert (values["whole_combinations"], values["whole_double_counting"]) == (2, 2)
    assert values["all_but_one"] == [{"part": 4, "of": 20, "group": "states"},
                                     {"part": 6, "of": 22, "group": "research and educational institutions"}]


def test_partial_counts_take_part_of_exactly_one_group():
    parts = synthetic({"a": 5, "b": 3, "c": 4})
    ways = participation.partial_counts(parts, 7)
    # a whole + 2 of b or of c; b whole + 4 of a (4 of c would be all of c); c whole + 3 of a
    found = {(w, p, n) for w, p, n in zip(ways[participation.WHOLE], ways[participation.PART_OF],
                                           ways[participation.PART], strict=True)}
    assert found == {("a", "b", 2), ("a", "c", 2), ("b", "a", 4), ("c", "a", 3)}


def test_derived_ratios_are_marked_as_such(facts):
    ratios = participation.derived_ratios(facts).set_index("ratio")
    assert ratios.loc["representatives per delegation", "value"] == pytest.approx(250 / 47, abs=0.05)
    assert ratios.loc["representatives per delegation", "status"] == "derived, approximate"
    assert set(ratios["status"]) <= {"derived", "derived, approximate"}


def test_state_pool_counts_each_state_once():
    membership = pd.DataFrame(
        {
            "state": ["A", "B", "C", "A", "D", "E"],
            "organisation": ["sco", "sco", "sco", "cis", "cis", "cis"],
            "status": ["member", "observer", "dialogue_partner", "member", "member", "associate_member"],
            "sources": ["s1"] * 3 + ["s2"] * 3,
        }
    )
    pool = participation.state_pool(membership)
    assert list(pool["new to the pool"]) == [1, 1, 1, 1, 1]
    assert list(pool["states in tier"]) == [1, 1, 1, 2, 1]
    assert pool["pool so far"].iloc[-1] == 5


def test_context_pool_from_membership(facts):
    pool = participation.state_pool(facts.membership)
    assert pool["pool so far"].iloc[-1] == 28
    assert pool.set_index("tier").loc["CIS member states", "new states"] == "Moldova"


def test_figures_are_byte_identical_and_match_the_committed_ones(facts, tmp_path):
    table = participation.participation_table(facts)
    plots.save_figure(plots.participation_chart(table), "p", "alt", tmp_path)
    svg, png = (tmp_path / "p.svg").read_bytes(), (tmp_path / "p.png").read_bytes()
    plots.save_figure(plots.participation_chart(table), "p", "alt", tmp_path / "again")
    assert (tmp_path / "again" / "p.svg").read_bytes() == svg
    assert (tmp_path / "again" / "p.png").read_bytes() == png
    assert b"<dc:date>" not in svg and b"Software" not in png
    assert (FIGURES / "participation-by-type.svg").read_bytes() == svg
    assert (FIGURES / "participation-by-type.png").read_bytes() == png


def test_saved_figure_carries_its_alt_text_and_identical_files_are_left_alone(tmp_path):
    table = synthetic({"a": 3, "b": 7})
    table["count"] = ["3 bodies", "7 bodies"]
    shown = plots.save_figure(plots.participation_chart(table), "p", "Alt text.", tmp_path)
    png = (tmp_path / "p.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (1200, 675)  # 8 x 4.5 inches at 150 dpi
    svg = (tmp_path / "p.svg").read_bytes()
    assert svg.startswith(b"<?xml")
    data, metadata = shown._repr_mimebundle_()
    assert data == {"image/svg+xml": svg.decode("utf-8"), "text/plain": "Figure (p)"}
    assert metadata["image/svg+xml"]["alt"] == "Alt text."

    files = [tmp_path / f"p.{ext}" for ext in ("svg", "png")]
    long_ago = 10**18  # ns: 2001
    for path in files:
        os.utime(path, ns=(long_ago, long_ago))
    plots.save_figure(plots.participation_chart(table), "p", "Other alt text.", tmp_path)
    assert [path.stat().st_mtime_ns == long_ago for path in files] == [True, True]
    table["value"] = [4, 7]
    plots.save_figure(plots.participation_chart(table), "p", "Alt text.", tmp_path)
    assert [path.stat().st_mtime_ns == long_ago for path in files] == [False, False]


WRITE_FAILS = """
import resource, signal, sys
from pathlib import Path
import pandas as pd
from tashkent_report.analysis import plots

table = pd.DataFrame({"label_en": ["A", "B"], "value": [int(sys.argv[2]), 7], "org_type": ["a", "b"],
                      "term_fr": ["a", "b"], "unit": ["bodies"] * 2, "level": ["participant"] * 2,
                      "count": ["x bodies", "7 bodies"]})
fig = plots.participation_chart(table)
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
if sys.argv[3] == "full":
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.RLIM_INFINITY))  # the disk fills up
try:
    plots.save_figure(fig, "p", "alt", Path(sys.argv[1]))
except OSError as exc:
    sys.exit(f"OSError {exc.errno}")
"""


@pytest.mark.slow  # fault injection: a full disk, in three subprocesses
def test_a_figure_whose_write_fails_leaves_the_last_one_whole(tmp_path):
    """A full disk while a chart is written: the files in figures/ stay the last whole ones."""
    import errno
    import subprocess
    import sys

    def save(value: int, limit: str):
        return subprocess.run([sys.executable, "-c", WRITE_FAILS, str(tmp_path), str(value), limit],
                              capture_output=True, text=True, timeout=120)

    assert save(3, "none").returncode == 0
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert sorted(before) == ["p.png", "p.svg"]
    failed = save(5, "full")
    assert failed.stderr.strip() == f"OSError {errno.EFBIG}", failed.stderr
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # nothing half-written, no litter
    assert save(5, "none").returncode == 0
    assert (tmp_path / "p.svg").read_bytes() != before["p.svg"]
    assert oct((tmp_path / "p.svg").stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def test_counts_use_the_singular_for_one():
    assert [participation.counted(1, u) for u in ("states", "bodies", "institutions", "organisations")] == [
        "1 state", "1 body", "1 institution", "1 organisation"
    ]
    assert participation.counted(1, "delegations") == "1 delegations"  # no singular known: unchanged
    assert participation.counted(2, "bodies") == "2 bodies"


def test_participation_table_of_the_article(facts):
    table = participation.participation_table(facts)
    assert [tuple(r) for r in table[["org_type", "count", "level", "paragraph"]].itertuples(index=False)] == [
        ("research_institutions", "22 institutions", "participant", 2),
        ("states", "20 states", "participant", 2),
        ("international_bodies", "10 bodies", "participant", 2),
        ("cis_bodies", "9 bodies", "participant", 2),
        ("international_organisations", "6 organisations", "represented", 2),
        ("sco_bodies", "2 bodies", "participant", 2),
    ]
    assert list(table.index) == list(range(6))
    assert list(table.columns) == [
        "org_type", "label_en", "term_fr", "value", "unit", "count", "level", "quote", "paragraph"
    ]


def test_participation_table_breaks_ties_by_type():
    rows = synthetic({"b": 5, "a": 5, "c": 7})
    rows["quote"], rows["start"] = "x", 0
    facts = Facts(text="x", article={}, tables={"participation": rows})
    assert list(participation.participation_table(facts)["org_type"]) == ["c", "a", "b"]


def test_the_figures_table_says_how_each_figure_is_stated(facts):
    from tashkent_report.analysis.tables import figures_table

    shown = figures_table(facts.figures)
    assert shown.index.name == "what it counts"
    assert list(shown.columns) == ["value", "as stated", "French words", "translation"]
    by_id = shown.set_axis(list(facts.figures["id"]))
    assert [(i, *by_id.loc[i]) for i in ("representatives", "delegations", "states")] == [
        ("representatives", 250, "approximate ('quelque')",
         "quelque 250 représentants d’organismes compétents",
         'some 250 representatives of competent authorities (the Russian "kompetentnye organy": the '
         'security services)'),
        ("delegations", 47, "total ('au total')", "47 délégations au total", "47 delegations in total"),
        ("states", 20, "exact", *by_id.loc["states", ["French words", "translation"]]),
    ]
    exact = copied(facts)
    exact.figures.loc[exact.figures["id"] == "representatives", "approximate"] = False
    assert figures_table(exact.figures).set_axis(list(exact.figures["id"])).loc[
        "representatives", "as stated"] == "exact"


def test_derived_ratios_of_the_article(facts):
    ratios = participation.derived_ratios(facts)
    assert list(ratios.columns) == ["ratio", "numerator", "denominator", "value", "status"]
    assert [tuple(r) for r in ratios.itertuples(index=False)] == [
        ("representatives per delegation", "250 representatives", "47 delegations (stated total)", 5.3,
         "derived, approximate"),
        ("representatives per listed entity", "250 representatives",
         "63 entities listed (sum of the groups)", 4.0, "derived, approximate"),
        ("bodies per international organisation", "10 international bodies", "6 international organisations",
         1.7, "derived"),
    ]


def test_consistency_audit_table_of_the_article(facts):
    audit = participation.consistency_audit(facts)
    assert audit.to_dict()["count"] == {
        "States ('pays membres de la CEI et de l’OCS')": "20",
        "CIS working bodies ('structures de travail de la Communauté')": "9",
        "SCO working bodies ('structures de travail des institutions de l’OCS')": "2",
        "Research and educational institutions ('institutions de recherche et d’enseignements')": "22",
        "Bodies representing international organisations ('organismes représentant six "
        "organisations internationales')": "10",
        "Entities listed (5 groups)": "63",
        "Delegations stated ('47 délégations au total')": "47",
        "Entities listed minus delegations stated": "+16",
    }
    equal = participation.consistency_audit(with_total(facts, 63))
    assert equal.loc["Entities listed minus delegations stated", "count"] == "+0"


def copied(facts) -> Facts:
    tables = {name: table.copy() for name, table in facts.tables.items()}
    return Facts(text=facts.text, article=facts.article, tables=tables, paths=facts.paths)


def with_total(facts, total: int) -> Facts:
    """The article's facts with another stated total of delegations."""
    changed = copied(facts)
    changed.figures.loc[changed.figures["id"] == "delegations", "value"] = total
    return changed


def test_listing_values_follow_the_stated_total(facts):
    assert participation.listing_values(with_total(facts, 70))["difference"] == 7
    assert participation.listing_values(with_total(facts, 62))["difference"] == 1
    # 63 = every group whole: one combination, counting nothing twice
    equal = participation.listing_values(with_total(facts, 63))
    assert (equal["difference"], equal["whole_combinations"], equal["whole_double_counting"]) == (0, 1, 0)


def test_listing_phrases_say_whether_every_whole_reading_double_counts(facts):
    phrases = participation.listing_phrases(participation.listing_values(facts))
    assert phrases["double_count"] == "and every one of them adds"  # 2 of 2 count twice
    assert phrases["all_but_one"] == ("4 of the 20 states, "
                                      "or 6 of the 22 research and educational institutions")
    assert repr(phrases["double_count"]) == "and every one of them adds"  # shown without quotes


def test_listing_phrases_count_the_double_counting_readings_when_not_all_do():
    values = {"whole_double_counting": 1, "whole_combinations": 3,
              "all_but_one": [{"part": 2, "of": 9, "group": "CIS bodies"}]}
    phrases = participation.listing_phrases(values)
    assert phrases == {"double_count": "and 1 of them add", "all_but_one": "2 of the 9 CIS bodies"}
    none = participation.listing_phrases({**values, "whole_double_counting": 0, "all_but_one": []})
    assert none == {"double_count": "and 0 of them add", "all_but_one": ""}


def test_combinations_name_what_they_count_and_leave_out():
    parts = synthetic({"a": 5, "b": 3, "c": 2, "d": 8}, represented=("d",))
    combos = participation.reproducing_combinations(parts, 8)
    assert list(combos.columns) == ["combination", "counts as delegations", "leaves out",
                                    "counts some delegations twice"]
    assert [tuple(r) for r in combos.itertuples(index=False)] == [
        ("8 d", "d", "a, b, c", "yes"),
        ("5 a + 3 b", "a, b", "c, d", "no"),
    ]
    everything = participation.reproducing_combinations(parts, 18)
    assert list(everything["leaves out"]) == ["nothing"]
    none = participation.reproducing_combinations(parts, 100)
    assert none.empty and list(none.columns) == list(combos.columns)


def test_state_pool_names_new_states_and_sources():
    membership = pd.DataFrame(
        {
            "state": ["B", "A", "A", "C"],
            "organisation": ["sco", "sco", "cis", "cis"],
            "status": ["member", "member", "member", "associate_member"],
            "sources": ["s2", "s1;s4", "s3", "s3"],
        }
    )
    pool = participation.state_pool(membership).set_index("tier")
    assert pool.loc["SCO member states", "new states"] == "A, B"
    assert pool.loc["SCO member states", "sources"] == "s1; s2; s4"
    assert pool.loc["CIS member states", "new states"] == "none"
    assert pool.loc["SCO observer states", "sources"] == ""
    names = pd.DataFrame({"id": ["s1", "s2", "s3", "s4"], "cite_as": ["One", "Two", "Three", "Four"]})
    named = participation.state_pool(membership, names).set_index("tier")
    assert named.loc["SCO member states", "sources"] == "Four; One; Two"


def test_pool_values_and_alt_text_of_the_article(facts):
    pool = participation.state_pool(facts.membership)
    assert participation.pool_values(pool, 20) == {
        "stated": 20, "pool": 28, "pool_without_associate": 27,
        "absent_at_least": 7, "absent_at_least_with_associate": 8,
    }
    assert participation.pool_alt(pool, 20) == (
        "Two horizontal bars: the article's 20 countries, against a stacked bar of the 28 distinct "
        "states that SCO and CIS membership tiers hold (SCO member states: 10 new; SCO observer states: "
        "2 new; SCO dialogue partners: 14 new; CIS member states: 1 new; CIS associate member: 1 new)."
    )


def test_chart_alt_texts_of_the_article(facts):
    table = participation.participation_table(facts)
    assert participation.participation_alt(table) == (
        "Horizontal bar chart, largest first: 22 institutions (Research and educational institutions); "
        "20 states (States); 10 bodies (Bodies representing international organisations); "
        "9 bodies (CIS working bodies); 6 organisations (International organisations represented), "
        "hatched: not an additional group; 2 bodies (SCO working bodies)."
    )
    assert participation.consistency_alt(participation.participants(facts), 47) == (
        "Two horizontal bars. The top bar stacks 20 States, 9 CIS working bodies, 2 SCO working bodies, "
        "22 Research and educational institutions, 10 Bodies representing international organisations, "
        "reaching 63. "
        "The bottom bar is the stated total of 47 delegations. An arrow marks the gap of +16."
    )


def test_full_members_of_the_two_organisations_in_september_2024(facts):
    members = participation.full_members(facts.membership)
    assert (members["sco"], members["cis"], members["both"], members["distinct"]) == (10, 9, 6, 13)
    assert members["in_both"] == ["Belarus", "Kazakhstan", "Kyrgyzstan", "Russia", "Tajikistan", "Uzbekistan"]
    assert members["cis_only"] == ["Armenia", "Azerbaijan", "Moldova"]
    # 20 states, of which at most 13 full members: at least 7 observers, dialogue partners or associates
    assert participation.member_values(facts.membership, 20) == {
        "sco": 10, "cis": 9, "both": 6, "distinct": 13, "stated": 20, "non_members_at_least": 7}


def test_member_values_count_only_full_members_and_never_go_below_zero():
    membership = pd.DataFrame({"state": ["A", "A", "B", "C", "D"],
                               "organisation": ["sco", "cis", "sco", "cis", "sco"],
                               "status": ["member", "member", "member", "associate_member", "observer"],
                               "sources": ["s"] * 5})
    assert participation.member_values(membership, 5)["distinct"] == 2  # A once; C and D are not members
    assert participation.member_values(membership, 5)["non_members_at_least"] == 3
    assert participation.member_values(membership, 1)["non_members_at_least"] == 0


def test_readers_tables_carry_no_code_of_the_data(facts):
    """'cis_bodies', 'dialogue_partner', True/False: none reaches a reader's table."""
    total = int(participation.stated_total(facts)["value"])
    frames = [participation.reproducing_combinations(facts.participation, total),
              participation.partial_counts(participation.participants(facts), total),
              participation.membership_table(facts.membership, facts.sources).reset_index()]
    for frame in frames:
        cells = [str(c) for c in frame.columns] + [str(v) for v in frame.to_numpy().ravel()]
        assert not [c for c in cells if "_" in c or c in ("True", "False")], frame.columns
    shown = participation.membership_table(facts.membership, facts.sources)
    assert set(shown["standing"]) == {"member", "observer", "dialogue partner", "associate member"}
    assert set(shown["organisation"]) == {"SCO", "CIS"}
    assert shown.loc["Turkmenistan", "sources"].startswith("CIA World Factbook")
    assert participation.status_label("sco", "dialogue_partner") == "SCO dialogue partner"
