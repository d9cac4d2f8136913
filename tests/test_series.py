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


def test_a_start_is_placed_as_precisely_as_the_page_gives_it():
    assert series.when("2023-09-20") == pd.Timestamp("2023-09-20")
    assert series.when("2023-09") == pd.Timestamp("2023-09-15")  # a month: its middle
    assert series.when("2017") == pd.Timestamp("2017-07-01")  # a year: its middle
    assert pd.isna(series.when(None)) and pd.isna(series.when(pd.NA))
    # a page that gives only the month does not move the day another page gives
    assert series.editions(SERIES).loc["cis_01", "date"] == pd.Timestamp("2023-09-20")


def test_editions_are_in_date_order_not_year_order():
    rows = table([("cis_01", None, 1, "a", "2023-09-20", None, None, None, None),
                  ("rats_09", 9, None, "b", "2023-11-07", None, None, None, None),
                  ("rats_03", 3, None, "c", "2023-02", None, None, None, None)])
    assert list(series.editions(rows).index) == ["rats_03", "cis_01", "rats_09"]


def chairs():
    return pd.DataFrame({"year": [2023, 2024, 2025], "chair": ["Kyrgyzstan", "Russia", "Tajikistan"],
                         "capital": ["Bishkek", "Moscow", "Dushanbe"], "sources": ["a", "b", "c"]})


def test_the_chair_test_over_the_cis_editions_of_the_data():
    from tashkent_report.analysis.dataset import load_facts
    facts = load_facts()
    test = series.chair_test(facts.series, facts.cis_chairs)
    assert list(test.index) == ["1st CIS", "10th RATS and 2nd CIS", "3rd CIS"]
    assert list(test["held in"]) == ["Bishkek", "Tashkent", "Dushanbe"]
    assert list(test["CIS chair"]) == ["Kyrgyzstan", "Russia", "Tajikistan"]
    assert list(test["chair hosts"]) == ["yes", "no", "yes"]
    assert series.chair_values(facts.series, facts.cis_chairs) == {
        "cis_editions": 3, "chair_hosted": 2, "exceptions": 1, "exceptions_all_joint": True,
        "exception_cities": "Tashkent"}
    # joint only in 2024, so far: both series met apart after it, and the 11th RATS has a head count
    assert list(series.apart_after(facts.series).index) == ["cis_03", "rats_11"]
    past = series.values(facts)
    assert (past.joint_editions, past.apart_after_joint, past.rats11_people) == (1, 2, 150)


def test_a_chair_test_exception_outside_a_joint_year_is_not_called_joint():
    rows = table([("cis_01", None, 1, "a", "2023-09-20", None, None, None, None),
                  ("cis_02", None, 2, "b", "2024-09-04", None, None, None, None),
                  ("cis_03", None, 3, "c", "2026-10", None, None, None, None)])
    rows["city"] = ["Bishkek", "Almaty", "Minsk"]
    test = series.chair_test(rows, chairs())
    assert list(test["chair hosts"]) == ["yes", "no", "no"]
    assert list(test["CIS chair"]) == ["Kyrgyzstan", "Russia", "not known"]  # no row for 2026
    values = series.chair_values(rows, chairs())
    assert (values["chair_hosted"], values["exceptions"], values["exceptions_all_joint"]) == (1, 2, False)
    assert values["exception_cities"] == "Almaty, Minsk"


def test_the_edition_table_dates_an_edition_by_its_most_precise_earliest_start():
    from tashkent_report.analysis.dataset import load_facts
    facts = load_facts()
    dates = series.edition_table(facts.series, facts.sources)["dates"]
    assert dates["5th RATS"] == "2017-11-01 to 2017-11-02"  # not '2017 to …' from a year-only page
    assert dates["3rd CIS"] == "2025-10-23"
    assert dates["11th RATS"] == "2025-11-20 to 2025-11-21"
    people = series.edition_table(facts.series, facts.sources)["people"]
    assert people["11th RATS"] == "more than 150"  # Table 16 shows the 11th's head count


def test_bodies_at_the_3rd_cis_conference_are_read_from_the_claims_not_the_head_counts():
    # Karavan Info counts bodies and organisations, not people: a claim, kept out of the
    # participants column, which the key findings set against the 2024 head count (issue 26, M4)
    from tashkent_report.analysis.dataset import load_facts

    facts = load_facts()
    claims = facts.context_claims.set_index("id")
    assert claims.loc["cis3_bodies", "sources"] == "caravan_info_205568"
    assert series.values(facts).cis3_bodies == int(claims.loc["cis3_bodies", "value"]) == 150
