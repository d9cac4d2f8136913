"""axe-core on the report in the system Chromium, at 390 px (a phone) and 1280 px (a desktop).

Slow (a browser, twice): make test-slow runs it, and make axe does the same on reports/. It
needs Chromium on PATH and the pinned axe-core in tools/axe/node_modules/ (make axe installs it
with npm ci); where either is missing, it is skipped with the reason.
"""

import struct

import nbformat
import pytest

from tashkent_report.config import NOTEBOOKS
from tashkent_report.render import pipeline as build
from tashkent_report.tools import accessibility

pytestmark = pytest.mark.slow


@pytest.fixture
def browser_and_axe():
    reason = accessibility.missing()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The readers' edition rendered from the committed notebooks, as make report renders it."""
    from tashkent_report.analysis.dataset import load_facts

    book = build.combine([(p, nbformat.read(p, as_version=4)) for p in build.notebooks(NOTEBOOKS)])
    facts = load_facts()
    path = tmp_path_factory.mktemp("axe") / "report.html"
    path.write_text(build.to_html(book, build.report_meta(facts.article, build.fingerprint(), facts.events)),
                    encoding="utf-8")
    return path


def test_axe_finds_nothing_serious_and_no_empty_header_at_either_width(browser_and_axe, report, tmp_path):
    results = accessibility.audit(report, screenshots=tmp_path)
    assert {name: r["width"] for name, r in results.items()} == {"phone": 390, "desktop": 1280}
    failed = [f for r in results.values() for f in accessibility.failures(r)]
    assert failed == [], accessibility.summary(results)
    for name, width in accessibility.WIDTHS.items():
        for view in accessibility.VIEWS:
            png = (tmp_path / f"{name}-{view}.png").read_bytes()
            assert struct.unpack(">II", png[16:24]) == (width, accessibility.HEIGHT)


def test_the_check_fails_on_what_the_report_had(browser_and_axe, tmp_path):
    """A table in a box that scrolls, unreachable by keyboard, under pandas' empty header cells."""
    cells = "".join(f'<td style="white-space: nowrap">{"wide " * 20}{i}</td>' for i in range(8))
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html lang="en"><head><title>t</title></head><body><main>'
                    '<table style="display: block; overflow-x: auto"><caption>Table 1.</caption>'
                    f'<thead><tr><th></th><th>a</th></tr></thead><tbody><tr><th>x</th>{cells}</tr>'
                    '</tbody></table></main></body></html>', encoding="utf-8")
    results = accessibility.audit(page)
    failed = {v["id"] for v in accessibility.failures(results["phone"])}
    assert {"scrollable-region-focusable", "empty-table-header"} <= failed
    assert "empty-table-header" in {v["id"] for v in accessibility.failures(results["desktop"])}


def test_the_command_says_why_it_cannot_run(tmp_path, capsys):
    assert accessibility.main([str(tmp_path / "missing.html")]) == 1
    assert "Accessibility check stopped" in capsys.readouterr().err
