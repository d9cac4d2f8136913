"""The PDF: tagged (PDF/UA-1, by WeasyPrint), with the language of every passage, byte-identical on
rebuild, and nothing fetched but the page's own data: URLs."""

from __future__ import annotations

from contextlib import contextmanager

from tashkent_report.config import ROOT

# fontTools stamps a font it subsets with the time unless SOURCE_DATE_EPOCH is set: the build's
# environment sets it (Makefile, the build's main; make lab) to the conference's first day.
SOURCE_DATE_EPOCH = "1725408000"
VARIANT = "pdf/ua-1"


@contextmanager
def _with_languages():
    # WeasyPrint does not carry an element's own lang into its structure element, and has no
    # public way to (its finisher sees the structure tree without the HTML elements behind it):
    # this wraps its private tags._build_box_tree to add /Lang. Pinned by tests/test_private_names.py
    # (fails on any other WeasyPrint version); PDF/UA requests gathered in Kozea/WeasyPrint#2482.
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
    """A4 PDF/UA-1 of a finished report page, the same bytes for the same HTML."""
    from weasyprint import HTML, URLFetcher

    with _with_languages():
        return HTML(string=html, base_url=base_url, url_fetcher=URLFetcher(allowed_protocols={"data"})
                    ).write_pdf(pdf_variant=VARIANT)


if __name__ == "__main__":  # the build's PDF worker (pipeline.pdf_worker): the page on stdin, the PDF out
    import sys

    if page := sys.stdin.buffer.read().decode():
        sys.stdout.buffer.write(write_pdf(page))
