"""The charts for print: what each shows (values, order, labels), dates as dates, and no text
smaller than 7 points once the PDF prints it at the text width of A4."""

import re

import matplotlib.dates
import matplotlib.text
import pandas as pd
import pytest

from tashkent_report.analysis import message, participation, plots, series, themes
from tashkent_report.analysis.dataset import load_facts
from tashkent_report.config import ROOT


@pytest.fixture(scope="module")
def facts():
    return load_facts()


def charts(facts) -> dict:
    """Every chart of the report, drawn from the data as the notebooks draw it."""
    table = participation.participation_table(facts)
    parts, total = participation.participants(facts), int(participation.stated_total(facts)["value"])
    pool = participation.state_pool(facts.membership, facts.sources)
    states = int(facts.figure("states")["value"])
    order = message.versions(facts.coverage, facts.sources)
    matrix = message.coverage_matrix(facts.message_points, facts.coverage, order)
    labels = facts.message_points.set_index("id").loc[matrix.index, "label"]
    names = facts.sources.set_index("id").loc[order, "cite_as"]
    coded = themes.code_statements(facts.annotations, facts.statements, facts.codebook, facts.text)
    return {  # by the names the notebooks save them under (the print style sizes some by name)
        "participation-by-type": plots.participation_chart(table),
        "parts-against-total": plots.consistency_chart(parts, total, "Delegations"),
        "state-pool": plots.state_pool_chart(pool, states, "Sources"),
        "state-pool with members": plots.state_pool_chart(
            pool, states, "Sources", participation.member_values(facts.membership, states)),
        "message-coverage": plots.coverage_chart(matrix, list(labels), list(names), "Sources",
                                                 split_before=order.index("uza_en")),
        "themes-by-statement": plots.theme_matrix_chart(
            themes.coding_matrix(coded, facts.statements, facts.codebook), facts.statements, facts.codebook),
        "series": plots.series_chart(facts.series, baseline=200),
    }


def texts(fig):
    return [t for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text().strip()]


def test_no_text_prints_below_7_points_in_the_pdf(facts):
    for name, fig in charts(facts).items():
        saved = name.split(" ")[0]
        # printed at the full 16 cm: no chart so tall that the print style's max-height shrinks it
        assert plots.printed_scale(fig, saved) == pytest.approx(plots.PRINT_WIDTH_IN / 8.0), name
        small = [(t.get_text()[:30], round(plots.printed_size(fig, t.get_fontsize(), saved), 1))
                 for t in texts(fig)
                 if plots.printed_size(fig, t.get_fontsize(), saved) < plots.MIN_PRINTED_PT]
        assert not small, (name, small)


def test_printed_size_scales_with_the_figure_width_and_the_max_height():
    fig = plots.Figure(figsize=(16 / 2.54, 3))
    assert plots.printed_size(fig, 7) == pytest.approx(7)  # drawn at the text width: as set
    fig = plots.Figure(figsize=(8.0, 3))
    assert plots.printed_size(fig, plots.SMALL) == pytest.approx(7.09, abs=0.01)
    assert plots.printed_size(fig, 8) < 7  # the old 8-point source line printed at 6.3
    tall = plots.Figure(figsize=(8.0, 7.34))  # the old coverage chart, in its 12 cm
    assert plots.printed_scale(tall, "message-coverage") == pytest.approx(12 / (7.34 * 2.54))
    assert plots.printed_size(tall, plots.SMALL, "message-coverage") < 6


def test_the_max_heights_are_the_print_styles():
    """plots.PRINT_MAX_HEIGHT_CM mirrors report.css's print rules; a change there shows here."""
    css = (ROOT / "src/tashkent_report/render/templates/report/report.css").read_text(encoding="utf-8")
    printing = css[css.index("@media print"):]
    default = re.search(r"figure\.report-figure img \{[^}]*max-height: ([0-9.]+)cm", printing)
    assert float(default.group(1)) == plots.PRINT_MAX_HEIGHT_DEFAULT_CM
    named = {}
    rules = re.findall(r"((?:figure#fig-[a-z-]+ img,?\s*)+)\{\s*max-height: ([0-9.]+)cm", printing)
    for selectors, height in rules:
        for name in re.findall(r"figure#fig-([a-z-]+) img", selectors):
            named[name] = float(height)
    assert named == plots.PRINT_MAX_HEIGHT_CM


def year_of(x: float) -> int:
    return matplotlib.dates.num2date(x).year


def test_series_chart_plots_each_edition_at_its_date(facts):
    fig = plots.series_chart(facts.series, baseline=200)
    top = fig.axes[0]
    found = series.editions(facts.series)
    points = sorted((float(x), float(y)) for c in top.collections for x, y in c.get_offsets())
    assert [x for x, _ in points] == [matplotlib.dates.date2num(d) for d in found["date"]]  # date order
    lanes = {1.0: "rats", 0.5: "joint", 0.0: "cis"}
    assert [lanes[y] for _, y in points] == list(found["series"])
    # the 8th (November 2022) sits in 2022 and the 9th (November 2023) in 2023: 2020-21 stay empty
    by_event = dict(zip(found.index, (x for x, _ in points), strict=True))
    assert year_of(by_event["rats_08"]) == 2022 and year_of(by_event["rats_09"]) == 2023
    assert not [x for x, _ in points if year_of(x) in (2020, 2021)]
    assert matplotlib.dates.num2date(by_event["rats_08"]).month == 11
    # every point falls in the year its tick names
    ticks = [year_of(t) for t in fig.axes[2].get_xticks()]
    assert ticks == sorted(ticks) and ticks[0] <= 2015 and ticks[-1] >= 2026


def test_series_chart_labels_each_edition_with_its_number(facts):
    fig = plots.series_chart(facts.series)
    shown = [t.get_text() for t in fig.axes[0].texts]
    assert shown == ["3", "5", "6", "7", "8", "1", "9", "RATS 10\n+ CIS 2", "3", "11"]


def test_series_chart_shows_the_11th_rats_head_count(facts):
    fig = plots.series_chart(facts.series, baseline=200)
    heads = fig.axes[1]
    points = {(matplotlib.dates.num2date(x).date().isoformat(), float(y))
              for c in heads.collections for x, y in c.get_offsets()}
    assert ("2025-11-20", 150.0) in points  # 11th RATS, 'more than 150' (Islamabad Mail)
    assert ("2024-09-04", 250.0) in points and ("2023-11-07", 160.0) in points
    labels = [t.get_text() for t in heads.texts]
    assert labels.count("150") == 2  # the 3rd CIS and the 11th RATS, one label each
    assert "RATS series 'has grown to 200' (concept note)" in labels
    # 'more than' is a triangle
    triangles = [c for c in heads.collections if 150.0 in c.get_offsets()[:, 1]]
    assert all(c.get_paths()[0].vertices.shape[0] <= 5 for c in triangles)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["RATS conference", "CIS conference", "joint (RATS 10 + CIS 2)",
                      "head count: about", "head count: more than"]  # no 'exact': none is drawn
    alt = series.chart_alt(facts.series, 200)
    assert "more than 150 at RATS 11" in alt


def test_pool_chart_shows_the_distinct_full_members_and_the_gap_to_the_stated_count(facts):
    pool = participation.state_pool(facts.membership, facts.sources)
    members = participation.member_values(facts.membership, 20)
    fig = plots.state_pool_chart(pool, 20, "Sources", members)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "States present,\nper UzA", "Full members\n(SCO or CIS)", "States the wording\ncould cover"]
    bars = {round(p.get_y() + p.get_height() / 2): p for p in ax.patches
            if p.get_width() and not p.get_hatch()}
    assert bars[1].get_width() == 13 and bars[0].get_width() == 20
    words = " ".join(t.get_text() for t in ax.texts)
    assert "13 full members of the SCO or the CIS\n(6 in both): at least 7 of the\n20" in words
    without = plots.state_pool_chart(pool, 20, "Sources")
    assert len(without.axes[0].get_yticklabels()) == 2


def test_readers_see_no_file_name_or_code_in_a_chart(facts):
    for name, fig in charts(facts).items():
        for t in texts(fig):
            assert ".csv" not in t.get_text() and "_" not in t.get_text(), (name, t.get_text())


def test_figures_across_sources_rows_are_named_in_words(facts):
    table = message.figures_across(facts.figures_across_sources, facts.figures, facts.sources)
    assert not [i for i in table.index if "_" in i]
    assert table.index[0] == facts.figures.iloc[0]["counts"]
    assert isinstance(table, pd.DataFrame)
