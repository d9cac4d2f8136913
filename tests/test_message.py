"""The message across versions: coverage and cross-source figures, on small synthetic inputs."""

import pandas as pd

from tashkent_report.analysis import message


def synthetic():
    points = pd.DataFrame({"id": ["m2", "m1", "m3"], "order": [2, 1, 3]})
    coverage = pd.DataFrame(
        [("m1", "long", "full", None), ("m2", "long", "full", None), ("m3", "long", "part", None),
         ("m1", "short", "full", None), ("m3", "short", "absent", None),
         ("m1", "uza_fr", "part", "s1"), ("m2", "uza_fr", "absent", None), ("m3", "uza_fr", "absent", None)],
        columns=["point", "version", "coverage", "statement"],
    ).assign(note="")
    return points, coverage


def test_versions_put_the_fullest_first_and_the_article_last():
    _, coverage = synthetic()
    assert message.versions(coverage, pd.DataFrame()) == ["long", "short", "uza_fr"]
    coverage.loc[coverage["version"] == "short", "version"] = "uza_en"
    assert message.versions(coverage, pd.DataFrame()) == ["long", "uza_en", "uza_fr"]


def test_matrix_follows_the_message_order_and_fills_absent():
    points, coverage = synthetic()
    matrix = message.coverage_matrix(points, coverage, ["long", "short", "uza_fr"])
    assert list(matrix.index) == ["m1", "m2", "m3"]
    assert matrix.loc["m2", "short"] == "absent"  # no row at all: not carried
    assert message.version_summary(matrix).loc["uza_fr"].to_dict() == {
        "full": 0, "part": 1, "absent": 2, "unreadable": 0, "points": 3}


def test_dropped_points_are_those_another_version_carries():
    points, coverage = synthetic()
    matrix = message.coverage_matrix(points, coverage, ["long", "short", "uza_fr"])
    assert message.dropped_by(matrix, "uza_fr", ["long"]) == ["m2", "m3"]
    assert message.dropped_by(matrix, "uza_fr", ["short"]) == []
    assert message.dropped_by_all(matrix, ["uza_fr", "short"]) == ["m2", "m3"]  # long carries both
    assert message.dropped_by_all(matrix, ["uza_fr", "long"]) == []  # long drops none
    assert message.dropped_by_all(matrix.drop(columns="long"), ["uza_fr"]) == []  # short carries none
    assert list(message.article_links(coverage)["statement"]) == ["s1"]
    labelled = points.assign(label=["second", "first", "third"])
    assert message.dropped_phrase(labelled, matrix, ["uza_fr", "short"]) == "second; third"
    assert message.dropped_phrase(labelled, matrix, ["uza_fr", "long"]) == ""


def test_figures_across_sources_reads_same_different_absent():
    figures = pd.DataFrame({"id": ["a", "b", "c"], "value": [20, 9, 47],
                            "counts": ["states", "CIS bodies", "delegations"]})
    across = pd.DataFrame({"figure": ["a", "b", "c", "a"], "source": ["x", "x", "x", "y"],
                           "value": [20, 8, None, 20], "agreement": ["same", "different", "absent", "same"]})
    sources = pd.DataFrame({"id": ["x", "y"], "outlet": ["X News", "Y Agency"]})
    table = message.figures_across(across, figures, sources)
    assert table.loc["states"].tolist() == [20, "same (20)", "same (20)"]
    assert table.loc["CIS bodies"].tolist() == [9, "different (8)", "absent"]
    assert table.loc["delegations", "X News"] == "absent"
    assert table.index.name == "the article's figure"  # rows by what they count, never by an id
