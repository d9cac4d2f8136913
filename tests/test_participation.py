"""Participation tables, the parts-against-total audit and the charts drawn from them."""

import json
import os
import struct

import pandas as pd
import pytest

from tashkent_report import participation, plots
from tashkent_report.config import FIGURES
from tashkent_report.dataset import load_facts


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
    assert list(combos["combination"]) == ["2 c + 8 d", "5 a + 3 b + 2 c"]
    assert list(combos["double count"]) == [True, False]
    assert list(combos["leaves out"]) == ["a, b", "d"]
    assert participation.reproducing_combinations(parts, 100).empty


def test_article_figures_do_not_add_up(facts):
    audit = participation.consistency_audit(facts)
    assert audit.loc["Sum of their counts", "result"] == "20 + 9 + 2 + 22 + 10 = 63"
    assert audit.loc["Difference (sum minus total)", "result"] == "+16"
    finding = participation.consistency_finding(facts)
    assert "= 63, but the article's stated total is 47" in finding and "by 16" in finding


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
            "source": ["s1"] * 3 + ["s2"] * 3,
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
    plots.save_figure(plots.participation_chart(table), "p", "caption", "alt", tmp_path)
    svg, png = (tmp_path / "p.svg").read_bytes(), (tmp_path / "p.png").read_bytes()
    plots.save_figure(plots.participation_chart(table), "p", "caption", "alt", tmp_path / "again")
    assert (tmp_path / "again" / "p.svg").read_bytes() == svg
    assert (tmp_path / "again" / "p.png").read_bytes() == png
    assert b"<dc:date>" not in svg and b"Software" not in png
    assert (FIGURES / "participation-by-type.svg").read_bytes() == svg
    assert (FIGURES / "participation-by-type.png").read_bytes() == png


def test_saved_figure_carries_its_caption_and_alt_text_and_identical_files_are_left_alone(tmp_path):
    table = synthetic({"a": 3, "b": 7})
    table["count"] = ["3 bodies", "7 bodies"]
    shown = plots.save_figure(plots.participation_chart(table), "p", "A caption.", "Alt text.", tmp_path)
    png = (tmp_path / "p.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (1200, 675)  # 8 x 4.5 inches at 150 dpi
    assert (tmp_path / "p.svg").read_bytes().startswith(b"<?xml")
    assert json.loads((tmp_path / "p.json").read_text(encoding="utf-8")) == {
        "name": "p", "caption": "A caption.", "alt": "Alt text."
    }
    data, metadata = shown._repr_mimebundle_()
    assert data["text/plain"] == "Figure (p): A caption."
    assert metadata["image/png"]["alt"] == "Alt text."

    files = [tmp_path / f"p.{ext}" for ext in ("svg", "png", "json")]
    long_ago = 10**18  # ns: 2001
    for path in files:
        os.utime(path, ns=(long_ago, long_ago))
    plots.save_figure(plots.participation_chart(table), "p", "Another caption.", "Alt text.", tmp_path)
    assert [path.stat().st_mtime_ns == long_ago for path in files] == [True, True, False]
    assert json.loads(files[2].read_text(encoding="utf-8"))["caption"] == "Another caption."
