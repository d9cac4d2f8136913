"""The conference series chart: one point per value a page gives, each panel in its own unit."""

import pandas as pd

from tashkent_report.analysis import plots, series

COLUMNS = ["event", "rats_edition", "cis_edition", "source", "start", "participants",
           "participants_qualifier", "states", "states_basis"]


def table(rows):
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for column in ("rats_edition", "cis_edition", "participants", "states"):
        frame[column] = frame[column].astype("Int64")
    for column in ("event", "source", "start", "participants_qualifier", "states_basis"):
        frame[column] = frame[column].astype("string")
    return frame


SERIES = table([
    ("rats_08", 8, None, "a", "2022-11-08", None, None, 16, "counted"),
    ("rats_09", 9, None, "b", None, 160, "more_than", 17, "stated"),
    ("rats_09", 9, None, "c", "2023-11-07", None, None, None, None),
    ("cis_01", None, 1, "d", "2023-09-20", None, None, 13, "counted"),
    ("cis_01", None, 1, "e", "2023-09", None, None, 12, "counted"),
    ("rats_10_cis_02", 10, 2, "f", "2024-09-04", 250, "about", 20, "stated"),
    ("rats_10_cis_02", 10, 2, "g", None, 250, "about", 20, "stated"),
    ("rats_04", 4, None, "h", None, None, None, None, None),
])


def offsets(ax):
    return sorted((float(x), float(y)) for c in ax.collections for x, y in c.get_offsets())


def test_each_edition_takes_the_earliest_year_any_page_gives_and_undated_ones_are_left_out():
    editions = series.editions(SERIES)
    assert list(editions.index) == ["rats_08", "cis_01", "rats_09", "rats_10_cis_02"]
    assert editions.loc["rats_09", "year"] == 2023  # the undated page takes its edition's year
    assert editions.loc["rats_10_cis_02", ["series", "label"]].tolist() == ["joint", "RATS 10 + CIS 2"]


def test_head_counts_and_states_are_drawn_once_per_value_each_in_its_own_panel():
    fig = plots.series_chart(SERIES, baseline=200)
    top, heads, states = fig.axes
    assert [y for _, y in offsets(heads)] == [160.0, 250.0]  # two pages with 250: one point
    assert sorted(y for _, y in offsets(states)) == [12.0, 13.0, 16.0, 17.0, 20.0]
    assert len(offsets(top)) == 4  # the undated 4th edition cannot be placed
    assert any(line.get_ydata()[0] == 200 for line in heads.get_lines())
    assert "12 / 13" in [t.get_text() for t in states.texts]  # pages that differ share one label
    assert heads.get_ylabel() == "People" and states.get_ylabel() == "States"


def test_counted_states_are_hollow_and_stated_ones_filled():
    fig = plots.series_chart(SERIES)
    states = fig.axes[2]
    faces = {float(c.get_offsets()[0][1]): tuple(c.get_facecolor()[0]) for c in states.collections}
    white = (1.0, 1.0, 1.0, 1.0)
    assert faces[16.0] == white and faces[13.0] == white
    assert faces[17.0] != white and faces[20.0] != white
    assert not fig.axes[1].get_lines()  # no baseline unless one is given
    assert any(t.get_text().startswith("Sources:") for t in fig.texts)
