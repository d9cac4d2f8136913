"""nbconvert exporters for the report: the offline HTML and the WeasyPrint PDF.

Registered under nbconvert's ``nbconvert.exporters`` entry points (pyproject.toml), so

    jupyter nbconvert --to report notebooks/01-participation.ipynb      # 01-participation.report.html
    jupyter nbconvert --to reportPDF notebooks/01-participation.ipynb   # 01-participation.report.pdf

render one chapter the way the report renders it, and JupyterLab lists both under
File > Save and Export Notebook As, as "Report" and "ReportPDF". ``make report`` renders the
whole report (every chapter combined into one notebook) through these same classes: see
pipeline.to_html and pipeline.to_pdf.

The name is the label: JupyterLab shows a format it does not know by its name with the first
letter capitalised (``menu_label``), and Jupyter Server's export URL (/nbconvert/<format>/<path>)
accepts only letters, digits and ``_`` in it. The file names end in ``.report.html`` and
``.report.pdf``, so that they never overwrite what stock ``html`` or ``webpdf`` wrote.
"""

from __future__ import annotations

from pathlib import Path

from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor
from traitlets import Bool, Set, default
from traitlets.config import Config

from tashkent_report.config import ROOT
from tashkent_report.render.expressions import ReportExecutePreprocessor
from tashkent_report.render.html import Numbering, RenderMarkdown, finish, other_edition_labels

TEMPLATES = Path(__file__).parent / "templates"
HTML_NAME = "report"
PDF_NAME = "reportPDF"
# JupyterLab's own labels for the stock formats (@jupyterlab/notebook-extension, getFormatLabels).
STOCK_LABELS = {"html": "HTML", "latex": "LaTeX", "markdown": "Markdown", "pdf": "PDF",
                "rst": "ReStructured Text", "script": "Executable Script", "slides": "Reveal.js Slides"}


def menu_label(name: str) -> str:
    """What JupyterLab's export menu shows for a format name."""
    return STOCK_LABELS.get(name, name[:1].upper() + name[1:])


class BrokenReferences(ValueError):
    """Cross-references (to a cell, #q-…, #src-…) that point to nothing in the document."""

    def __init__(self, targets: list[str]):
        self.targets = targets
        super().__init__(f"cross-references point nowhere: {', '.join('#' + t for t in targets)}")


class ReportTagRemovePreprocessor(TagRemovePreprocessor):
    """Jupyter Book's cell tags: ``remove-cell`` and ``remove-input`` leave every edition.

    Registered after nbconvert's own preprocessors, so that with ``--execute`` a removed
    cell still runs before it is dropped from the rendering.
    """

    remove_cell_tags = Set({"remove-cell"}).tag(config=True)
    remove_input_tags = Set({"remove-input"}).tag(config=True)


ANALYST_ONLY = "analyst-only"  # a cell only the analysts' edition shows (audits, coding, method tables)
READER_ONLY = "reader-only"  # a cell only the readers' edition shows (the compact source list)


class EditionTagRemovePreprocessor(TagRemovePreprocessor):
    """Each edition leaves out the other's cells: the readers' edition those tagged
    ``analyst-only``, the analysts' edition those tagged ``reader-only``.

    It runs before Numbering, so each edition numbers its own chapters, tables and charts. Each
    edition records, in ``resources["elsewhere"]``, what a link to each cell it leaves out shows
    in the other edition ("Table 27"): RenderMarkdown makes such a link plain text naming that
    edition ("Table 27 in the analysts' edition"), so a cell of both may link to either's.
    """

    analyst = Bool(help="The analysts' edition (by default, the exporter's).").tag(config=True)

    @default("analyst")
    def _analyst_default(self):
        return bool(getattr(self.parent, "analyst", False))

    @default("remove_cell_tags")
    def _remove_cell_tags_default(self):
        return {READER_ONLY} if self.analyst else {ANALYST_ONLY}

    def preprocess(self, nb, resources):
        there, here = (READER_ONLY, ANALYST_ONLY) if self.analyst else (ANALYST_ONLY, READER_ONLY)
        resources["elsewhere"] = other_edition_labels(nb, resources, there, here)
        resources["other_edition"] = "the readers' edition" if self.analyst else "the analysts' edition"
        return super().preprocess(nb, resources)


class ReportHTMLExporter(HTMLExporter):
    """One self-contained HTML file with the report's template, numbering, captions and styles.

    Readers' edition by default: no code, no cell tagged ``analyst-only``.
    ``--ReportHTMLExporter.analyst=True`` shows the code, cells tagged ``hide-input`` folded, and
    every cell but those tagged ``reader-only``. Nothing is fetched from another host: no require.js,
    MathJax, mermaid or fonts; figures are embedded.
    """

    export_from_notebook = "Report (offline HTML)"

    analyst = Bool(False, help="Analysts' edition: the code shown (hide-input cells folded), the "
                   "analyst-only cells kept, the reader-only cells left out.").tag(
        config=True
    )
    strict_references = Bool(
        False,
        help="Fail on a cross-reference that points to nothing. The whole report is strict; a "
        "single chapter is not, since it links to other chapters (those links become text).",
    ).tag(config=True)

    @default("template_name")
    def _template_name_default(self):
        return "report"

    @default("file_extension")
    def _file_extension_default(self):
        return ".report.html"

    @default("template_extension")
    def _template_extension_default(self):
        return ".html.j2"

    @default("extra_template_basedirs")
    def _extra_template_basedirs_default(self):
        return [str(TEMPLATES)]

    @default("exclude_input")
    def _exclude_input_default(self):
        return not self.analyst

    @default("exclude_input_prompt")
    def _exclude_input_prompt_default(self):
        return True

    @default("exclude_output_prompt")
    def _exclude_output_prompt_default(self):
        return True

    @default("default_preprocessors")
    def _default_preprocessors_default(self):
        # Explicit, in order: nbconvert's own that its flags enable (--clear-output, --execute,
        # which here also evaluates the Markdown cells' {eval} expressions, as JupyterLab does),
        # then the report's, after execution so that a removed cell still runs first.
        return ["nbconvert.preprocessors.ClearOutputPreprocessor", ReportExecutePreprocessor,
                "nbconvert.preprocessors.CoalesceStreamsPreprocessor",
                "nbconvert.preprocessors.HighlightMagicsPreprocessor",
                ReportTagRemovePreprocessor, EditionTagRemovePreprocessor, Numbering, RenderMarkdown]

    @property
    def default_config(self):
        config = super().default_config.copy()
        # With --execute, kernels start as the build starts them (Unix sockets, no TCP port
        # race) and leave no timing metadata behind.
        config.merge(Config({"ExecutePreprocessor": {
            "kernel_manager_class": "tashkent_report.render.kernels.AsyncIPCKernelManager",
            "record_timing": False,
        }}))
        # A widget or JavaScript output shows its static fallback (an image, text): no script, and
        # no random element id that would make two exports differ.
        config.NbConvertBase.display_data_priority = [
            t for t in config.NbConvertBase.display_data_priority
            if t not in ("application/vnd.jupyter.widget-view+json", "application/javascript")]
        for name in ("ReportTagRemovePreprocessor", "EditionTagRemovePreprocessor", "Numbering",
                     "RenderMarkdown"):
            config[name].enabled = True
        return config

    def from_notebook_node(self, nb, resources=None, **kw):
        resources = dict(resources or {})
        if not resources.get("report"):  # one chapter, from nbconvert or JupyterLab
            resources["report"] = chapter_meta(resources.get("metadata", {}).get("name"))
        resources["report_css"] = (TEMPLATES / "report" / "report.css").read_text(encoding="utf-8")
        resources["edition"] = "analyst" if self.analyst else "reader"
        body, resources = super().from_notebook_node(nb, resources=resources, **kw)
        html, broken = finish(body, unlink_broken=not self.strict_references)
        if broken and self.strict_references:
            raise BrokenReferences(broken)
        if broken:
            self.log.info("%d links to other chapters shown as text: %s", len(broken),
                          ", ".join("#" + b for b in broken))
        return html, resources


def write_pdf(html: str) -> bytes:
    """The A4 PDF/UA of a finished report HTML (see pdf.py), the same bytes at any time."""
    from tashkent_report.render.pdf import write_pdf as tagged_pdf

    return tagged_pdf(html, base_url=str(ROOT))


class ReportPDFExporter(ReportHTMLExporter):
    """The report's A4 PDF (WeasyPrint): no LaTeX, pandoc or browser needed."""

    export_from_notebook = "Report (PDF)"
    output_mimetype = "application/pdf"

    @default("file_extension")
    def _file_extension_default(self):
        return ".report.pdf"  # the HTML template renders the page that WeasyPrint lays out

    def from_notebook_node(self, nb, resources=None, **kw):
        html, resources = super().from_notebook_node(nb, resources=resources, **kw)
        self.log.info("Rendering the PDF with WeasyPrint")
        return write_pdf(html), resources


def chapter_meta(name: str | None) -> dict:
    """The title block of one chapter rendered on its own: the report's, naming the chapter."""
    from tashkent_report.analysis.dataset import load_facts
    from tashkent_report.render.meta import fingerprint, report_meta

    facts = load_facts()
    meta = report_meta(facts.article, fingerprint(), facts.events)
    meta["chapter"] = name or "one chapter"
    return meta
