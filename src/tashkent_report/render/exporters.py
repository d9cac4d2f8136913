"""The report's offline HTML and WeasyPrint PDF as nbconvert exporters (entry points in pyproject.toml):
``jupyter nbconvert --to report|reportPDF``, JupyterLab's File > Save and Export Notebook As > "Report" /
"ReportPDF" (writing ``.report.html`` / ``.report.pdf``) and ``make report`` use the same classes."""

from __future__ import annotations

import copy
from pathlib import Path

from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor
from traitlets import Bool, List, Unicode, default
from traitlets.config import Config

from tashkent_report.render.expressions import ReportExecutePreprocessor
from tashkent_report.render.html import Numbering, RenderMarkdown, finish, label_of
from tashkent_report.render.pdf import write_pdf

TEMPLATES = Path(__file__).parent / "templates"
# JupyterLab's menu shows the name capitalised; Jupyter Server's export URL takes letters, digits, _.
HTML_NAME, PDF_NAME = "report", "reportPDF"
ANALYST_ONLY = "analyst-only"  # a cell only the analysts' edition shows (audits, coding, method tables)
READER_ONLY = "reader-only"  # a cell only the readers' edition shows (the compact source list)
# Widget views and JavaScript show their static fallback: no script, no random element id.
SCRIPTED = ("application/vnd.jupyter.widget-view+json", "application/javascript")


class BrokenReferences(ValueError):
    """Cross-references (to a cell, #q-…, #src-…) that point to nothing: ``broken``, each (fragment,
    id of the cell holding the link)."""

    def __init__(self, broken: list[tuple[str, str]]):
        self.broken = broken
        super().__init__(f"cross-references point nowhere: {listed(broken)}")


def listed(broken: list[tuple[str, str]]) -> str:
    return ", ".join(f"#{fragment}" + f" (cell {cell})" * bool(cell) for fragment, cell in broken)


class EditionTagRemovePreprocessor(TagRemovePreprocessor):
    """Jupyter Book's ``remove-cell`` and ``remove-input`` (after ``--execute``: a removed cell runs),
    and the other edition's cells (``analyst-only``, ``reader-only``) left out, before Numbering;
    ``resources["elsewhere"]``: what a link to each of those shows in the other edition ("Table 27")."""

    def preprocess(self, nb, resources):
        there, here = (READER_ONLY, ANALYST_ONLY) if self.parent.analyst else (ANALYST_ONLY, READER_ONLY)
        self.remove_cell_tags, self.remove_input_tags = {"remove-cell", there}, {"remove-input"}
        other = copy.deepcopy(nb)  # the other edition, numbered alike
        other.cells = [c for c in other.cells if not {here, "remove-cell"} & set(c.metadata.get("tags", []))]
        labels = Numbering().preprocess(other, dict(resources))[1]["labels"]
        resources["elsewhere"] = {label: labels[label] for c in other.cells
                                  if there in c.metadata.get("tags", [])
                                  and (label := label_of(c.get("id", ""))[1]) in labels}
        resources["other_edition"] = f"the {'readers' if self.parent.analyst else 'analysts'}' edition"
        return super().preprocess(nb, resources)


class ReportHTMLExporter(HTMLExporter):
    """One self-contained HTML file (figures embedded; no require.js, MathJax, mermaid or font
    fetched), readers' edition unless ``--ReportHTMLExporter.analyst=True``."""

    export_from_notebook = "Report (offline HTML)"
    analyst = Bool(False, help="Analysts' edition: the code shown (hide-input cells folded), the "
                   "analyst-only cells kept, the reader-only cells left out.").tag(config=True)
    strict_references = Bool(False, help="Fail on a cross-reference to nothing (a chapter alone links "
                             "to others: made text).").tag(config=True)
    exclude_input_prompt = Bool(True).tag(config=True)
    exclude_output_prompt = Bool(True).tag(config=True)
    template_name = Unicode("report").tag(config=True, affects_template=True)
    template_extension = Unicode(".html.j2").tag(config=True, affects_environment=True)
    extra_template_basedirs = List(Unicode(), [str(TEMPLATES)]).tag(config=True, affects_environment=True)
    # In order: nbconvert's own that its flags enable (--clear-output; --execute, which also
    # evaluates the Markdown cells' {eval} expressions, as JupyterLab does), then the report's.
    default_preprocessors = List([
        "nbconvert.preprocessors.ClearOutputPreprocessor", ReportExecutePreprocessor,
        "nbconvert.preprocessors.CoalesceStreamsPreprocessor",
        "nbconvert.preprocessors.HighlightMagicsPreprocessor", EditionTagRemovePreprocessor,
        Numbering, RenderMarkdown]).tag(config=True)

    @default("exclude_input")
    def _exclude_input_default(self):
        return not self.analyst

    @default("file_extension")
    def _file_extension_default(self):
        return ".report.pdf" if self.output_mimetype == "application/pdf" else ".report.html"

    @property
    def default_config(self):
        config = super().default_config.copy()
        # With --execute, kernels start as the build starts them (Unix sockets, no TCP port race)
        # and leave no timing metadata behind.
        config.merge(Config({"ExecutePreprocessor": {
            "kernel_manager_class": "tashkent_report.render.kernels.AsyncIPCKernelManager",
            "record_timing": False}}))
        config.NbConvertBase.display_data_priority = [
            t for t in config.NbConvertBase.display_data_priority if t not in SCRIPTED]
        for name in ("EditionTagRemovePreprocessor", "Numbering", "RenderMarkdown"):
            config[name].enabled = True
        return config

    def from_notebook_node(self, nb, resources=None, **kw):
        resources = dict(resources or {})
        if not resources.get("report"):  # one chapter, from nbconvert or JupyterLab: the report's title
            from tashkent_report.analysis.dataset import load_facts
            from tashkent_report.render.meta import fingerprint, report_meta

            facts, name = load_facts(), resources.get("metadata", {}).get("name")
            resources["report"] = {**report_meta(facts.article, fingerprint(), facts.events),
                                   "chapter": name or "one chapter"}
        resources["report_css"] = (TEMPLATES / "report" / "report.css").read_text(encoding="utf-8")
        resources["edition"] = "analyst" if self.analyst else "reader"
        body, resources = super().from_notebook_node(nb, resources=resources, **kw)
        html, broken = finish(body, unlink_broken=not self.strict_references)
        if broken and self.strict_references:
            raise BrokenReferences(broken)
        if broken:
            self.log.info("%d links to other chapters shown as text: %s", len(broken), listed(broken))
        return html, resources


class ReportPDFExporter(ReportHTMLExporter):
    """The report's A4 PDF (WeasyPrint lays out the HTML page): no LaTeX, pandoc or browser needed."""

    export_from_notebook = "Report (PDF)"
    output_mimetype = "application/pdf"

    def from_notebook_node(self, nb, resources=None, **kw):
        html, resources = super().from_notebook_node(nb, resources=resources, **kw)
        self.log.info("Rendering the PDF with WeasyPrint")
        return write_pdf(html), resources
