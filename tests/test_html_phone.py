"""The report on a phone (390 px) and a desktop (1280 px) in the system Chromium: every chart
drawn whole within the page's width, nothing to scroll sideways but the wide tables.

Slow (a browser): make test-slow runs it; skipped where Chromium is missing.
"""

import nbformat
import pytest

from tashkent_report.config import NOTEBOOKS
from tashkent_report.render import pipeline as build
from tashkent_report.tools import accessibility

pytestmark = pytest.mark.slow

MEASURE = """(() => ({
  page: document.documentElement.clientWidth, wide: document.documentElement.scrollWidth,
  charts: [...document.querySelectorAll('figure.report-figure')].map(f => ({id: f.id,
    drawn: f.querySelector('img').getBoundingClientRect().width, box: f.clientWidth,
    overflow: f.scrollWidth - f.clientWidth}))}))()"""


@pytest.fixture(scope="module")
def analysts_edition(tmp_path_factory):
    """The analysts' edition (every chart) of the committed notebooks."""
    from tashkent_report.analysis.dataset import load_facts

    if accessibility.chromium() is None:
        pytest.skip("no Chromium on PATH")
    book = build.combine([(p, nbformat.read(p, as_version=4)) for p in build.notebooks(NOTEBOOKS)])
    facts = load_facts()
    path = tmp_path_factory.mktemp("phone") / "report-analyst.html"
    meta = build.report_meta(facts.article, build.fingerprint(), facts.events)
    path.write_text(build.to_html(book, meta, analyst=True), encoding="utf-8")
    return path


def test_every_chart_fits_the_page_at_a_phones_width_and_a_desktops(analysts_edition):
    with accessibility.Browser(accessibility.chromium()) as browser:
        for width, drawn in ((390, 372), (1280, 800)):  # the page's width less its margins
            session = browser.page(width)
            browser.open(session, analysts_edition.as_uri())
            found = browser.evaluate(session, MEASURE)
            assert (found["page"], found["wide"]) == (width, width)  # no sideways scroll
            assert len(found["charts"]) == 6
            for chart in found["charts"]:
                assert chart["overflow"] == 0 and round(chart["drawn"]) == chart["box"] == drawn, chart
