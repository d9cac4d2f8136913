"""The PDF: tagged PDF/UA-1 (WeasyPrint) with each passage's /Lang, byte-identical on rebuild."""

from __future__ import annotations

import sys
from contextlib import contextmanager

from tashkent_report.config import ROOT

SOURCE_DATE_EPOCH = "1725408000"  # else fontTools stamps the fonts it subsets with the time (Makefile too)


@contextmanager
def _with_languages():
    # WeasyPrint has no public way to give a structure element its element's lang: this wraps the private
    # tags._build_box_tree, pinned by tests/test_private_names.py (PDF/UA requests: Kozea/WeasyPrint#2482).
    import pydyf
    from weasyprint.pdf import tags

    original = tags._build_box_tree

    def build_box_tree(box, *args, **kwargs):  # html's and body's lang is the document's /Lang
        lang = box.element is not None and box.element_tag not in ("html", "body") and box.element.get("lang")
        for structure in original(box, *args, **kwargs):
            if lang and "Lang" not in structure:
                structure["Lang"] = pydyf.String(lang)
            yield structure

    tags._build_box_tree = build_box_tree
    try:
        yield
    finally:
        tags._build_box_tree = original


def write_pdf(html: str) -> bytes:
    """A4 PDF of a finished report page, the same bytes for the same HTML; only data: URLs fetched."""
    from weasyprint import HTML, URLFetcher

    with _with_languages():
        page = HTML(string=html, base_url=str(ROOT), url_fetcher=URLFetcher(allowed_protocols={"data"}))
        return page.write_pdf(pdf_variant="pdf/ua-1")


if __name__ == "__main__":  # the build's PDF worker (pipeline.pdf_worker): the page on stdin, the PDF out
    if page := sys.stdin.buffer.read().decode():
        sys.stdout.buffer.write(write_pdf(page))
