"""The report's structure computed on the notebook (html.Numbering): a label typed twice, a
caption on a cell whose id is not its label, or a section cell without a heading stops the
rendering with a message naming it; chapters, sections and appendices are numbered."""

import nbformat
import pytest

from tashkent_report.render.html import Numbering, StructureError


def cell(kind: str, cell_id: str, source: str, *tags: str):
    made = nbformat.v4.new_markdown_cell(source) if kind == "md" else nbformat.v4.new_code_cell(source)
    made.id, made.metadata["tags"] = cell_id, list(tags)
    return made


def numbered(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return Numbering().preprocess(nb, {"metadata": {"name": "03-context"}})


@pytest.mark.parametrize(("cells", "message"), [
    ([cell("md", "sec-a", "# A"), cell("md", "n03-sec-a", "## A again")],
     "cell n03-sec-a: the label sec-a is given to two cells (the other: cell sec-a)"),
    ([cell("code", "chart", "#| fig-cap: A chart.\nx")],
     "cell chart: a cell with fig-cap needs an id starting with fig- (its label)"),
    ([cell("md", "sec-a", "No heading here.")],
     "cell sec-a: a cell labelled as a section has no heading: 'No heading here.'"),
])
def test_a_structure_error_names_what_is_wrong(cells, message):
    with pytest.raises(StructureError) as caught:
        numbered(*cells)
    assert str(caught.value) == message


def test_chapters_sections_appendices_and_floats_are_numbered_and_listed():
    nb, resources = numbered(
        cell("md", "intro", "Some words."),
        cell("md", "sec-a", "# Context"), cell("md", "sec-b", "## Before"),
        cell("code", "fig-x", "#| fig-cap: The **chart**.\nx"),
        cell("code", "tab-y", "#| tbl-cap: A table.\ny"),
        cell("md", "sec-c", "# Sources", "appendix"), cell("md", "sec-d", "## List"))
    assert resources["labels"] == {"sec-a": "§3", "sec-b": "§3.1", "fig-x": "Figure 1",
                                   "tab-y": "Table 1", "sec-c": "Appendix A", "sec-d": "§A.1"}
    contents = [(c["number"], c["title"], [s["number"] for s in c["sections"]])
                for c in resources["contents"]]
    assert contents == [("3.", "Context", ["3.1"]), ("Appendix A.", "Sources", ["A.1"])]
    assert resources["contents_before"] == nb.cells[1].id
    assert nb.cells[3].metadata["float"]["caption"] == "The <strong>chart</strong>."
    assert nb.cells[3].source == "x"  # the option line is not code to show
