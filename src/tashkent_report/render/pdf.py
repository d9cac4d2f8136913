"""The PDF: tagged (PDF/UA-1), with the language of every passage, byte-identical on rebuild.

WeasyPrint writes the structure tree, the document language and the figures' alternative texts,
but not an element's own ``lang``: ``_with_languages`` adds ``/Lang`` to the structure element
of every box whose HTML element has one, so French quotations are read as French.
"""

from __future__ import annotations

from contextlib import contextmanager

from tashkent_report.config import ROOT

# fontTools stamps a variable or colour font it subsets with the time of the build unless
# SOURCE_DATE_EPOCH is set: the build's environment sets it (the Makefile, the build's main) to
# the conference's first day (2024-09-04 UTC); a PDF exported from JupyterLab, if make lab did.
SOURCE_DATE_EPOCH = "1725408000"
VARIANT = "pdf/ua-1"


@contextmanager
def _with_languages():
    # WeasyPrint has no public way to add an element's own /Lang to its structure element (its
    # finisher sees the finished structure tree without the HTML elements behind it): this wraps
    # its private tags._build_box_tree. Pinned by tests/test_private_names.py, which fails on any
    # other WeasyPrint version; PDF/UA requests are gathered upstream in Kozea/WeasyPrint#2482.
    import pydyf
    from weasyprint.pdf import tags

    original = tags._build_box_tree

    def build_box_tree(box, parent, pdf, *args, **kwargs):
        element = getattr(box, "element", None)
        lang = element.get("lang") if element is not None and hasattr(element, "get") else None
        own = lang and getattr(box, "element_tag", None) not in ("html", "body")
        for structure in original(box, parent, pdf, *args, **kwargs):
            if own and "Lang" not in structure:
                structure["Lang"] = pydyf.String(lang)
            yield structure

    tags._build_box_tree = build_box_tree
    try:
        yield
    finally:
        tags._build_box_tree = original


def write_pdf(html: str, base_url: str = str(ROOT)) -> bytes:
    """A4 PDF/UA-1 of a finished report page, the same bytes for the same HTML; WeasyPrint fetches
    nothing but the page's own data: URLs (no remote or local file)."""
    from weasyprint import HTML, URLFetcher

    with _with_languages():
        return HTML(string=html, base_url=base_url, url_fetcher=URLFetcher(allowed_protocols={"data"})
                    ).write_pdf(pdf_variant=VARIANT)
