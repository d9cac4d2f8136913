"""The built report: offline, byte-identical on rebuild, numbered, and safe when a build fails."""

import re
from html.parser import HTMLParser

import nbformat
import pandas as pd
import pytest

from tashkent_report.config import NOTEBOOKS
from tashkent_report.render import pipeline as build
from tashkent_report.render import publish
from tashkent_report.render.pdf import write_pdf


class ExternalRefs(HTMLParser):
    """Collects every reference a browser would fetch from another host (or the file system)."""

    FETCHED = {"src", "srcset", "data", "poster", "background"}

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in_style = False

    @staticmethod
    def _external(value: str) -> bool:
        value = value.strip().lower()
        return not (value.startswith(("data:", "#")) or value == "")

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if name in self.FETCHED and self._external(value):
                self.found.append(f"<{tag} {name}={value}>")
            if name == "href" and tag in {"link", "script", "use", "image"} and self._external(value):
                self.found.append(f"<{tag} href={value}>")
            if name == "style" and ("url(" in value or "@import" in value):
                self.found.append(f"<{tag} style={value}>")
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style and ("@import" in data or "url(" in data):
            self.found.append("a stylesheet that imports or loads url(...)")


def external_refs(html: str) -> list[str]:
    parser = ExternalRefs()
    parser.feed(html)
    return parser.found


def test_the_offline_check_catches_what_it_should():
    assert external_refs('<script src="https://cdn.example/require.js"></script>')
    assert external_refs('<link rel="stylesheet" href="//fonts.example/css">')
    assert external_refs('<img src="figure.png">')
    assert external_refs("<style>@import url(https://x/y.css);</style>")
    assert not external_refs('<img src="data:image/png;base64,AAAA"><a href="https://uza.uz/">UzA</a>')


def render_committed(analyst: bool = True):
    """Render the committed notebooks (whose outputs strict nbval proves a fresh run gives)."""
    from tashkent_report.analysis.dataset import load_facts

    book = build.combine([(p, nbformat.read(p, as_version=4)) for p in build.notebooks(NOTEBOOKS)])
    facts = load_facts()
    meta = build.report_meta(facts.article, build.fingerprint(), facts.events)
    html = build.to_html(book, meta)
    return html, build.to_html(book, meta, analyst=True) if analyst else None, write_pdf(html)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The report rendered and written as `make report` writes it, into a temporary folder.

    The full build, notebooks executed, is exercised in tests/test_pipeline.py.
    """
    out = tmp_path_factory.mktemp("built") / "reports"
    html, analyst, pdf = render_committed()
    outputs = {
        out / "report.html": html.encode("utf-8"),
        out / "report-analyst.html": analyst.encode("utf-8"),
        out / "report.pdf": pdf,
        out / build.FINGERPRINT: (build.fingerprint() + "\n").encode("ascii"),
    }
    publish.publish(out, {path.name: data for path, data in outputs.items()})
    return out, outputs


def test_build_writes_all_three_reports(built):
    out, _ = built
    for name in ("report.html", "report-analyst.html", "report.pdf"):
        assert (out / name).stat().st_size > 10_000


def test_report_html_is_self_contained(built):
    out, _ = built
    for name in ("report.html", "report-analyst.html"):
        html = (out / name).read_text(encoding="utf-8")
        assert external_refs(html) == [], name
        assert "require.js" not in html and "mathjax" not in html.lower()
        assert 'src="data:image/svg+xml;base64,' in html
        assert "data:image/png" not in html  # every chart the vector SVG of figures/


def test_report_is_numbered_and_cross_referenced(built):
    out, _ = built
    html = (out / "report.html").read_text(encoding="utf-8")
    assert '<nav aria-labelledby="toc-title" id="toc">' in html
    assert "<strong>Figure 1. </strong>" in html and "<strong>Table 1. </strong>" in html
    # the readers' edition numbers its own sections: chapter 2 leaves who read the message and the
    # point-by-point coverage to the analysts', so the French summary is its second section
    assert 'id="sec-french-summary"' in html and '<a href="#sec-french-summary">§2.2</a>' in html
    assert 'id="fig-participation-by-type"' in html
    assert "Show code" not in html  # readers' edition: no code at all
    assert "Show code" in (out / "report-analyst.html").read_text(encoding="utf-8")


def test_rebuild_is_byte_identical(built):
    """A second, separate rendering gives the same bytes, HTML and PDF.

    With strict nbval (a fresh execution reproduces every committed text and HTML output) and
    the figure tests (charts rebuild byte-identical), this makes the whole build reproducible.
    """
    out, _ = built
    html, _, pdf = render_committed(analyst=False)  # the analysts' edition renders the same way
    assert html.encode("utf-8") == (out / "report.html").read_bytes()
    assert pdf == (out / "report.pdf").read_bytes()


def test_pdf_has_metadata_bookmarks_fonts_and_text(built):
    from pypdf import PdfReader

    out, _ = built
    reader = PdfReader(out / "report.pdf")
    meta = reader.metadata
    assert meta.title.startswith("Countering terrorism in Tashkent")
    assert meta.author and meta.subject
    assert "/CreationDate" not in meta and "/ModDate" not in meta
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    assert outline[1:7] == ["Key findings", "Contents", "1. Who came to Tashkent",
                            "2. The president's message", "3. The event in its setting",
                            "4. How we worked"]
    assert "Appendix A. The French source" in outline
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=1)  # A4
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            if "/FontDescriptor" in font:
                descriptor = font["/FontDescriptor"].get_object()
            else:
                descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            fonts.add(any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")))
    assert fonts == {True}  # every font embedded
    text = "".join(page.extract_text() for page in reader.pages)
    assert "quelque 250 représentants" in text  # text stays text
    last = reader.pages[-1].extract_text()
    assert f"Page {len(reader.pages)} of {len(reader.pages)}" in last


def test_second_build_with_nothing_changed_does_nothing(built, capsys):
    out, _ = built
    assert build.build(out) == {}
    assert "up to date" in capsys.readouterr().out


def test_failed_build_leaves_the_previous_report(built, monkeypatch):
    out, _ = built
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken_render(*args, **kwargs):
        raise build.BuildError("renderer failed on purpose")

    committed = [(p, nbformat.read(p, as_version=4)) for p in build.notebooks(NOTEBOOKS)]
    monkeypatch.setattr(build, "execute_all", lambda paths, timeout: committed)
    monkeypatch.setattr(build, "to_html", broken_render)
    with pytest.raises(build.BuildError):
        build.build(out, force=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_failing_cell_is_named(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("1 / 0")]
    path = tmp_path / "09-broken.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(build.BuildError) as caught:
        build.execute(path)
    assert "09-broken.ipynb, cell 2" in str(caught.value)
    assert "ZeroDivisionError" in str(caught.value)


def test_pdf_does_not_depend_on_the_clock(monkeypatch):
    """Embedded font subsets carry a timestamp; two builds at different times give one PDF."""
    import fontTools.misc.timeTools as clock

    html = '<html lang="en"><body><p>Tashkent, quelque 250 représentants</p></body></html>'
    monkeypatch.setattr(clock.time, "time", lambda: 1_800_000_000.0)
    early = write_pdf(html)
    monkeypatch.setattr(clock.time, "time", lambda: 1_900_000_000.0)
    assert write_pdf(html) == early


def _structure(reader):
    """Every structure element of a tagged PDF, depth first."""
    found, stack, seen = [], [reader.trailer["/Root"]["/StructTreeRoot"]], set()
    while stack:
        node = stack.pop().get_object()
        if not hasattr(node, "get") or id(node) in seen:
            continue
        seen.add(id(node))
        found.append(node)
        kids = node.get("/K")
        if kids is not None:
            stack.extend(kids if isinstance(kids, list) else [kids])
    return found


def test_pdf_is_tagged_with_languages_and_alt_texts(built):
    """PDF/UA-1: a structure tree, English as the document language, French passages marked
    French, and every figure with the same alternative text as in the HTML."""

    from pypdf import PdfReader


    out, _ = built
    reader = PdfReader(out / "report.pdf")
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en" and root["/MarkInfo"]["/Marked"]
    elements = _structure(reader)
    french = [e for e in elements if e.get("/Lang") == "fr"]
    assert len(french) >= 20  # quotations in the prose, French table columns, Appendix A
    alts = {str(e["/Alt"]) for e in elements if e.get("/S") == "/Figure"}
    assert alts == shown_alt_texts((out / "report.html").read_text(encoding="utf-8"))
    assert alts and alts <= alt_texts_from_the_data()  # the readers' charts
    assert shown_alt_texts((out / "report-analyst.html").read_text(encoding="utf-8")) == (
        alt_texts_from_the_data())
    metadata = reader.xmp_metadata
    assert metadata is not None
    assert b"pdfuaid" in reader.trailer["/Root"]["/Metadata"].get_object().get_data()


def test_french_quotations_are_marked_in_the_html(built):
    out, _ = built
    html = (out / "report.html").read_text(encoding="utf-8")
    assert '<span lang="fr">« a été lu »</span>' in html
    assert '<td lang="fr">' in html  # French table columns and the source text


def test_every_number_link_lands_on_a_highlighted_quote(built):
    from bs4 import BeautifulSoup

    out, _ = built
    soup = BeautifulSoup((out / "report.html").read_text(encoding="utf-8"), "html.parser")
    from tashkent_report.analysis.dataset import load_facts

    figures = load_facts().figures
    values = {f"#q-{i}": str(v) for i, v in zip(figures["id"], figures["value"], strict=True)}
    links = soup.select('a.num[href^="#q-"]')
    assert len(links) >= 20
    for link in links:
        target = soup.find(id=link["href"][1:])
        assert target is not None and target.name == "mark", link  # highlighted in Appendix A
        assert link.get_text() == values[link["href"]], link  # the number is that figure's
    heading = next(h for h in soup.find_all("h1") if h.get_text(strip=True).startswith("Key findings"))
    event = heading.find_next("ol")  # the findings on the event, then those on the article's editing
    editing = event.find_next("ol")
    assert event.select('a.num[href="#q-states"]') and editing.select('a.num[href="#q-delegations"]')


def test_pdf_links_from_numbers_to_their_quotes(built):
    from pypdf import PdfReader

    out, _ = built
    reader = PdfReader(out / "report.pdf")
    names = set(reader.named_destinations)
    assert {"q-delegations", "q-states", "q-representatives"} <= names
    internal = [a.get_object() for page in reader.pages for a in page.get("/Annots", []) or []
                if a.get_object().get("/Subtype") == "/Link" and "/Dest" in a.get_object()]
    targets = {str(a["/Dest"]) for a in internal}
    assert "q-delegations" in targets


def test_pdf_bookmarks_nest_as_the_chapters_do(built):
    """Top level: the title, Key findings, Contents, the chapters and appendices; under each
    chapter, its own sections and nothing else."""
    from pypdf import PdfReader

    out, _ = built
    outline = PdfReader(out / "report.pdf").outline
    top, children = [], {}
    for item in outline:
        if isinstance(item, list):
            children[top[-1]] = [child.title for child in item]
        else:
            top.append(item.title)
    assert top[0].startswith("Countering terrorism in Tashkent")
    assert top[1:] == ["Key findings", "Contents", "1. Who came to Tashkent", "2. The president's message",
                       "3. The event in its setting", "4. How we worked",
                       "Appendix A. The French source", "Appendix B. Sources"]  # the readers' edition
    assert set(children) == {t for t in top if t[:1].isdigit()}  # nothing under Key findings
    for chapter, sections in children.items():
        number = chapter.split(".")[0]
        assert sections and all(s.startswith(f"{number}.") for s in sections), chapter


def _number_tree(node, found):
    node = node.get_object()
    numbers = node.get("/Nums", [])
    for i in range(0, len(numbers), 2):
        found[int(numbers[i])] = numbers[i + 1]
    for kid in node.get("/Kids", []):
        _number_tree(kid, found)
    return found


def page_contents(pdf: bytes) -> list[list[tuple[str, ...]]]:
    """For each page, what its marked content is, in the order drawn: the structure types from
    the root down to it (e.g. ("Document", "Part", ..., "Table", "Caption", "Span")).

    Read from the tagged PDF's parent tree (marked-content id -> structure element). WeasyPrint
    tags the running header and footer as the document's own NonStruct elements: left out.
    """
    import io
    import re

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    parents = _number_tree(reader.trailer["/Root"]["/StructTreeRoot"]["/ParentTree"], {})
    pages = []
    for page in reader.pages:
        ids = [int(m) for m in re.findall(rb"/MCID\s+(\d+)", page.get_contents().get_data())]
        elements = parents[int(page["/StructParents"])].get_object() if ids else []
        content = []
        for mcid in ids:
            element, path = elements[mcid].get_object(), []
            while element is not None and "/S" in element:
                path.append(str(element["/S"])[1:])
                element = element["/P"].get_object() if "/P" in element else None
            path.reverse()
            if path[1:2] != ["NonStruct"]:  # not the running header or footer
                content.append(tuple(path))
        pages.append(content)
    return pages


def stray_pages(pdf: bytes) -> list[str]:
    """Pages that hold nothing but captions and headings, and pages that end with a heading or
    a table's caption (parted from what it belongs to)."""
    import re

    def kind(path):
        if any(re.fullmatch(r"H\d", t) for t in path):
            return "heading"
        if "Caption" in path:
            return "table caption" if path[path.index("Caption") - 1] == "Table" else "caption"
        return "other"

    found = []
    for number, content in enumerate(page_contents(pdf), 1):
        kinds = [kind(path) for path in content]
        if kinds and "other" not in kinds:
            found.append(f"page {number}: only {', '.join(sorted(set(kinds)))}")
        elif kinds and kinds[-1] in ("heading", "table caption"):
            found.append(f"page {number}: ends with a {kinds[-1]}")
    return found


def test_the_stray_page_check_finds_what_it_should():
    """Laid out as the report was before its break rules: a caption alone at the foot of a
    page, its table kept whole on the next; a heading parted from its figure."""
    rows = "".join(f"<tr><td>row {i}</td></tr>" for i in range(30))
    html = ('<html lang="en"><head><style>@page { size: A6 } table { break-inside: avoid } '
            'h2 { break-after: auto } .tall { height: 9cm; break-inside: avoid }</style></head><body>'
            '<p style="height: 8.5cm">Text.</p><table><caption>Table 1. Alone.</caption>'
            f'<tbody>{rows}</tbody></table>'
            '<h2>A heading</h2><div class="tall">A figure.</div></body></html>')
    found = stray_pages(write_pdf(html))
    assert any("only table caption" in f or "ends with a table caption" in f for f in found), found
    assert any("ends with a heading" in f for f in found), found
    assert stray_pages(write_pdf('<html lang="en"><body><h1>T</h1><p>Text.</p></body></html>')) == []


def test_pdf_has_no_stray_page(built):
    """No page holds only a caption or a heading, none ends with a heading or a table's caption."""
    out, _ = built
    assert stray_pages((out / "report.pdf").read_bytes()) == []


def test_pdf_charts_are_vectors_and_tables_keep_their_captions(built):
    from pypdf import PdfReader

    out, _ = built
    reader = PdfReader(out / "report.pdf")

    images, seen = [], set()

    def walk(resources):
        for reference in (resources or {}).get("/XObject", {}).values():
            if reference.idnum not in seen:  # each XObject once (they are shared between pages)
                seen.add(reference.idnum)
                xobject = reference.get_object()
                images.append(xobject.get("/Subtype"))
                walk(xobject.get("/Resources"))

    for page in reader.pages:
        walk(page.get("/Resources"))
        assert b"\nBI" not in page.get_contents().get_data()  # no inline image either
    assert "/Image" not in images  # the charts are drawn, from their SVG; no bitmap anywhere
    figures = (out / "report.html").read_text(encoding="utf-8").count('class="report-figure"')
    assert figures and len([e for e in _structure(reader) if e.get("/S") == "/Figure"]) == figures
    # WeasyPrint tags each page's part of a table as a Table of its own; the first holds the
    # caption, first, as HTML's <caption>.
    captioned = []
    for table in (e for e in _structure(reader) if e.get("/S") == "/Table"):
        kids = table["/K"] if isinstance(table["/K"], list) else [table["/K"]]
        captioned.append(kids[0].get_object()["/S"] == "/Caption")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert captioned.count(True) == html.count("<table") == html.count("<caption>")


def test_html_tables_have_no_empty_or_index_name_headers_hold_their_captions_and_scroll(built):
    from bs4 import BeautifulSoup

    out, _ = built
    readers = BeautifulSoup((out / "report.html").read_text(encoding="utf-8"), "html.parser")
    soup = BeautifulSoup((out / "report-analyst.html").read_text(encoding="utf-8"), "html.parser")
    tables = soup.find_all("table")
    assert len(tables) >= 30
    for table in tables + readers.find_all("table"):
        empty = [th for th in table.find_all("th") if not th.get_text(strip=True)]
        assert empty == [], table.get("aria-labelledby")
        for row in table.select("thead tr"):  # pandas' index-name row: names, then empty cells
            cells = row.find_all(["th", "td"])
            assert any(c.get_text(strip=True) for c in cells[1:]), row
        assert "dataframe" in table["class"] and table["tabindex"] == "0"  # scrolls, by keyboard too
        assert table.find(recursive=False).name == "caption"
        assert table.caption.get_text().startswith("Table ")
    assert all(soup.find(id=f"tab-{name}") for name in ("figures", "sources", "source-text"))
    assert all(readers.find(id=f"tab-{name}") for name in ("source-text", "source-list"))


def test_every_quote_links_back_to_each_number_that_links_to_it(built):
    from bs4 import BeautifulSoup

    out, _ = built
    soup = BeautifulSoup((out / "report.html").read_text(encoding="utf-8"), "html.parser")
    links = soup.select('a.num[href^="#q-"]')
    assert links and all(link.get("id") for link in links)
    for link in links:
        mark = soup.find(id=link["href"][1:])
        backs = mark.find_next_sibling("span", class_="backrefs")
        assert backs.find("a", href=f"#{link['id']}"), link
    backs = [a for span in soup.select(".backrefs") for a in span.find_all("a")]
    assert len(backs) == len(links)
    assert all(soup.find(id=a["href"][1:]).name == "a" for a in backs)
    assert "scroll-margin-top" in soup.find("style").get_text()


def test_the_readers_pdf_fits_in_24_pages_its_body_before_the_methods_in_12(built):
    """Findings, contents and the chapters before the methods on at most 12 A4 pages; with the
    short method and the appendices a reader consults, at most 24."""
    from pypdf import PdfReader

    out, _ = built
    reader = PdfReader(out / "report.pdf")

    def items(outline):
        for item in outline:
            yield from items(item) if isinstance(item, list) else [item]

    starts = {item.title: reader.get_destination_page_number(item) for item in items(reader.outline)}
    methods = next(page for title, page in starts.items() if title.startswith("4. How we worked"))
    assert methods <= 12, f"the methods chapter starts on page {methods + 1}"
    assert len(reader.pages) <= 24


# What a reader should never meet: a code identifier (snake_case), a file name or path, a
# Python truth value, and words about how pages were fetched and held.
PLUMBING = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b|\bdata/\S+|\b[\w-]+\.(?:csv|json|ipynb|py)\b"
                      r"|\b(?:True|False)\b|\b[Ss]tored\b|\breadable (?:part|copy)")


def plumbing(text: str, addresses: set[str]) -> list[str]:
    """The plumbing words in a text, but for pieces of the web addresses it shows (a PDF breaks a
    long address over lines, so a piece of one stands alone)."""
    found = []
    for match in PLUMBING.finditer(text):
        start = text.rfind(" ", 0, match.start()) + 1
        end = min(i for i in (text.find(" ", match.end()), len(text)) if i >= 0)
        token = text[start:end].strip(".,;:()")
        if not any(token in address for address in addresses):
            found.append(text[max(0, match.start() - 50):match.end() + 20])
    return found


def test_the_plumbing_check_finds_what_it_should():
    text = ("The rats_conference_ordinal column of data/facts/figures.csv, double count True, read "
            "from a stored copy of sources.csv; see https://x.org/a_b and its tail region_631573.")
    found = plumbing(text, {"https://x.org/a_b", "https://y.org/la-region_631573"})
    assert [f for f in found if "rats_conference_ordinal" in f and "data/facts" in f]
    assert len(found) == 5, found  # the identifier, the path, True, stored, the file name


def test_the_readers_edition_shows_no_code_identifier_file_name_or_stored(built):
    from bs4 import BeautifulSoup
    from pypdf import PdfReader

    out, _ = built
    soup = BeautifulSoup((out / "report.html").read_text(encoding="utf-8"), "html.parser")
    addresses = {a["href"] for a in soup.find_all("a", href=True)}
    addresses |= {a.get_text() for a in soup.find_all("a", href=True)}  # as shown (unescaped)
    for element in soup(["style", "script", "head"]):
        element.decompose()
    html_text = " ".join(soup.get_text(" ").split())
    pdf_text = " ".join(" ".join(page.extract_text() for page in PdfReader(out / "report.pdf").pages)
                        .split())
    assert plumbing(html_text, addresses) == []
    assert plumbing(pdf_text, addresses) == []


def test_each_edition_holds_its_own_cells(built):
    """The numeral audit, the coding, the fact and method tables and the full source notes are the
    analysts'; the readers' edition has the compact source list instead, and names the analysts'
    edition where its text points to what only that edition holds."""
    from bs4 import BeautifulSoup

    out, _ = built
    readers = BeautifulSoup((out / "report.html").read_text(encoding="utf-8"), "html.parser")
    analysts = BeautifulSoup((out / "report-analyst.html").read_text(encoding="utf-8"), "html.parser")
    for label in ("tab-report-numbers", "tab-numeral-audit", "tab-sources", "tab-codebook",
                  "fig-themes-by-statement", "sec-coding", "sec-own-numbers"):
        assert analysts.find(id=label) and not readers.find(id=label), label
    assert readers.find(id="tab-source-list") and not analysts.find(id="tab-source-list")
    audit = analysts.find(id="tab-report-numbers")
    number, _, caption = audit.caption.get_text().partition(". ")
    assert re.fullmatch(r"Table \d+", number) and caption.startswith("Every number in the report's prose")
    # every citation lands on its source in either edition
    for soup in (readers, analysts):
        cited = {a["href"][1:] for a in soup.select('a[href^="#src-"]')}
        assert cited and all(soup.find(id=target) for target in cited)
    assert "in the analysts' edition" in readers.get_text()
    assert "in the analysts' edition" not in analysts.get_text()


def test_source_list_one_line_per_source():
    from bs4 import BeautifulSoup

    from tashkent_report.analysis import tables
    from tashkent_report.analysis.dataset import load_facts

    sources = load_facts().sources
    soup = BeautifulSoup(tables.source_list(sources)._repr_html_(), "html.parser")
    rows = soup.select("tbody tr")
    assert [row["id"] for row in rows][0] == "src-uza_fr"  # the article first
    assert sorted(row["id"] for row in rows) == sorted(f"src-{i}" for i in sources["id"])
    assert "[untitled" not in soup.get_text()  # an untitled page: its address says enough
    for row, (_, source) in zip(rows, sources.set_index("id").loc[[r["id"][4:] for r in rows]].iterrows(),
                                strict=True):
        text = row.td.get_text(" ", strip=True)
        assert text.startswith(source["outlet"]) and row.td.a["href"] == source["url"]
        assert "%" not in row.td.a.get_text() and len(row.td.em.get_text()) <= 92
    cyrillic = soup.find(id="src-centralasia_research_2024").td.a.get_text()
    assert "узбекистан" in cyrillic


def test_credibility_in_brief():
    from tashkent_report.analysis.tables import in_brief

    assert in_brief("State news agency; the analysed article itself.") == "State news agency"
    assert in_brief("Uzbek English-language news site (ownership not checked)") == (
        "Uzbek English-language news site")
    assert in_brief("Scholarly abstract: RATS agreement signed 7 June 2002") == "Scholarly abstract"
    assert in_brief("Low credibility: video caption on a mirror site") == (
        "Low credibility: video caption on a mirror site")
    assert in_brief("word " * 40).endswith("…") and len(in_brief("word " * 40)) <= 91


def shown_alt_texts(page: str) -> set[str]:
    """The alternative texts of the charts an HTML edition shows."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page, "html.parser")
    return {figure.img["alt"] for figure in soup.select("figure.report-figure")}


def alt_texts_from_the_data() -> set[str]:
    """Each chart's alternative text, computed here from the data by the package's functions."""
    from tashkent_report.analysis import message, participation, series, themes
    from tashkent_report.analysis.dataset import load_facts

    facts = load_facts()
    total = participation.stated_total(facts)["value"]
    states = facts.figure("states")["value"]
    order = message.versions(facts.coverage, facts.sources)
    matrix = message.coverage_matrix(facts.message_points, facts.coverage, order)
    labels = list(facts.message_points.set_index("id").loc[matrix.index, "label"])
    names = list(facts.sources.set_index("id").loc[order, "cite_as"])
    coded = themes.code_statements(facts.annotations, facts.statements, facts.codebook, facts.text)
    grid = themes.coding_matrix(coded, facts.statements, facts.codebook)
    baseline = series.values(facts).baseline
    return {
        participation.participation_alt(participation.participation_table(facts)),
        participation.consistency_alt(participation.participants(facts), total),
        participation.pool_alt(participation.state_pool(facts.membership, facts.sources), states),
        message.coverage_alt(matrix, labels, names),
        themes.matrix_alt(grid, facts.statements, facts.codebook),
        series.chart_alt(facts.series, baseline),
    }


def test_numbering_cross_references_and_contents_on_a_small_notebook():
    """Sections get their labels as ids and computed numbers, tables are numbered in order, links
    take their labels, and the contents list the chapters with their sections."""
    from bs4 import BeautifulSoup

    from tashkent_report.analysis.tables import shown

    def table(label, caption):
        cell = nbformat.v4.new_code_cell(f"#| tbl-cap: {caption}\nshown(frame)")
        cell.id = label
        frame = shown(pd.DataFrame({"a": [1]}))
        data = {"text/html": frame._repr_html_(), "text/plain": repr(frame)}
        cell.outputs = [nbformat.v4.new_output("execute_result", data=data, execution_count=1)]
        return cell

    def heading(label, source):
        cell = nbformat.v4.new_markdown_cell(source)
        cell.id = label
        return cell

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        heading("n01-sec-a", "# A chapter\n\nSee [Table](#cell-id=tab-two) and [§](#cell-id=sec-two)."),
        heading("n01-sec-one", "## One"), table("n01-tab-one", "The first."),
        heading("n01-sec-two", "## Two"), table("n01-tab-two", "The second."),
    ]
    html = build.to_html(nb, {"title": "t", "subtitle": "s", "source": "x", "date_note": "d",
                              "version": "v", "author": "a", "subject": "s"})
    soup = BeautifulSoup(html, "html.parser")
    assert [(h["id"], h.get_text(" ", strip=True)) for h in soup.find_all(["h1", "h2"])
            if h.get("id", "").startswith("sec-")] == [
        ("sec-a", "1. A chapter"), ("sec-one", "1.1 One"), ("sec-two", "1.2 Two")]
    assert [link.get_text() for link in soup.select('main a[href="#tab-two"], main a[href="#sec-two"]')
            if not link.find_parent("nav")] == ["Table 2", "§1.2"]
    assert "Table 1. The first." in soup.get_text() and "Table 2. The second." in soup.get_text()
