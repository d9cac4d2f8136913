"""The report's structure, computed on the notebook: numbers, captions, cross-references, contents.

Each label is typed once, in the notebooks, where JupyterLab finds it:
- a heading's label is its Markdown cell's id (``sec-event``). Its number is computed: chapter N
  is notebook NN and its ``##`` headings N.1, N.2…; the headings of cells tagged ``appendix``
  are Appendix A, B…;
- a table's or a chart's label is its code cell's id (``tab-sources``, ``fig-series``), its
  caption the cell's ``#| tbl-cap:`` or ``#| fig-cap:`` option, as Quarto and MyST write them.
A link names the cell (``03-context.ipynb#cell-id=sec-event``, ``#cell-id=fig-series``), which
JupyterLab opens; in the report its text becomes the label: "§3.1", "Appendix A", "Figure 2".

Two nbconvert preprocessors do this (Numbering, then RenderMarkdown, which renders the Markdown
with markdown-it-py, JupyterLab's MyST parser's kin); the template shows the contents and the
captions. ``finish`` then does on the page what is not structure: French passages marked, links
into other chapters made links within the one page, quotes that lead back to their mentions.
"""

from __future__ import annotations

import copy
import html
import re

import nh3
from bs4 import BeautifulSoup
from markdown_it.token import Token
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from tashkent_report.analysis.audit import FRENCH as FRENCH_QUOTE  # one pattern for the audit and the HTML
from tashkent_report.analysis.myst import is_eval, options, parser, shown, stored
from tashkent_report.render.expressions import ExpressionError, _failure

BOOK_CELL = re.compile(r"^n(\d\d)-")
CELL = "cell-id="  # JupyterLab's fragment for a cell
KINDS = {"fig-cap": ("fig-", "Figure"), "tbl-cap": ("tab-", "Table")}
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def book_cell_id(chapter: str, cell_id: str) -> str:
    """A cell's id in the combined report ('03-context', 'x' -> 'n03-x'): unique across chapters."""
    return f"n{chapter.split('-', 1)[0]}-{cell_id}"


def label_of(cell_id: str) -> tuple[str | None, str]:
    """(chapter number or None, label) of a cell id, combined ('n03-sec-event') or not."""
    match = BOOK_CELL.match(cell_id)
    return (match.group(1), cell_id[match.end():]) if match else (None, cell_id)


class StructureError(ValueError):
    """A label typed twice, or a caption on a cell whose id is not its label."""


class Numbering(Preprocessor):
    """Numbers headings, tables and charts; gives each caption its place; gathers the contents.

    ``resources["labels"]``: {label: what a link to it shows}; ``resources["contents"]``: the
    chapters, each {label, number, title, sections: [its sections, alike]}; each float's cell
    gets ``metadata["float"]`` and each heading's cell ``metadata["number"]``. A cell whose
    ``metadata["stands_for"]`` lists labels of cells its edition leaves out (the readers' source
    list for the full sources table) receives the links to them (``resources["aliases"]``).
    """

    def preprocess(self, nb, resources):
        chapter = str(resources.get("metadata", {}).get("name", ""))[:2]
        labels, contents, counts = {}, [], {"Figure": 0, "Table": 0}
        top, sub, appendices, chapters = "", 0, 0, 0
        resources["contents_before"] = first = None  # the contents go before the first chapter,
        for index, cell in enumerate(nb.cells):
            prefix, label = label_of(cell.get("id", ""))
            if label in labels:
                raise StructureError(f"the label {label} is given to two cells")
            found = len(table_captions(parser().parse(cell.source))) if cell.cell_type == "markdown" else 0
            if found:  # Markdown tables with a caption, numbered where they stand
                cell.metadata["tables"] = [f"Table {counts['Table'] + n + 1}" for n in range(found)]
                counts["Table"] += found
            if cell.cell_type == "markdown" and label.startswith("sec-"):
                level, title = heading(cell.source)
                if level == 1:
                    sub = 0
                    if "appendix" in cell.metadata.get("tags", []):
                        top = f"Appendix {LETTERS[appendices]}"
                        appendices += 1
                    else:  # chapter N is notebook NN; a notebook not so named, in order
                        chapters += 1
                        named = prefix or chapter
                        top = str(int(named) if named.isdigit() else chapters)
                    number, shown_as = f"{top}.", top if top.startswith("Appendix") else f"§{top}"
                    if first is None:  # unless it opens the notebook (one chapter alone)
                        first = resources["contents_before"] = cell.id if index else ""
                else:
                    sub += 1
                    number = f"{top.removeprefix('Appendix ')}.{sub}"
                    shown_as = f"§{number}"
                cell.metadata["number"] = number
                labels[label] = shown_as
                entry = {"label": label, "number": number, "title": title, "sections": []}
                if level == 1 or not contents:
                    contents.append(entry)
                elif level == 2:
                    contents[-1]["sections"].append(entry)
            elif cell.cell_type == "code":
                found, code = options(cell.source)
                kind = next((k for k in KINDS if k in found), None)
                if kind is None:
                    continue
                start, word = KINDS[kind]
                if not label.startswith(start):
                    raise StructureError(f"cell {cell.get('id')}: a cell with {kind} has an id "
                                         f"starting with {start} (its label)")
                counts[word] += 1
                labels[label] = f"{word} {counts[word]}"
                cell.source = code
                cell.metadata["float"] = {"label": label, "number": labels[label],
                                          "caption": parser().renderInline(str(found[kind]))}
                if word == "Table":
                    caption_table(cell, cell.metadata["float"])
        aliases = {}  # a cell standing in for one the other edition has: links to that one come here
        for cell in nb.cells:
            label = label_of(cell.get("id", ""))[1]
            for alias in cell.metadata.get("stands_for", []):
                if label in labels and alias not in labels:
                    labels[alias], aliases[alias] = labels[label], label
        resources["labels"], resources["contents"], resources["aliases"] = labels, contents, aliases
        return nb, resources


def other_edition_labels(nb, resources: dict, only_there: str, only_here: str) -> dict[str, str]:
    """{label: what a link to it shows in the other edition} for the cells tagged ``only_there``.

    The other edition is this notebook without the cells tagged ``only_here``, numbered alike.
    """
    other = copy.deepcopy(nb)
    other.cells = [c for c in other.cells if only_here not in c.metadata.get("tags", [])]
    there = {label_of(c.get("id", ""))[1] for c in other.cells
             if only_there in c.metadata.get("tags", [])}
    _, numbered = Numbering().preprocess(other, {"metadata": resources.get("metadata", {})})
    return {label: shown_as for label, shown_as in numbered["labels"].items() if label in there}


def heading(source: str) -> tuple[int, str]:
    """(level, plain text) of the heading a Markdown cell opens with."""
    tokens = parser().parse(source)
    for token, inline in zip(tokens, tokens[1:], strict=False):
        if token.type == "heading_open":
            text = "".join(t.content for t in inline.children if t.type in ("text", "code_inline"))
            return int(token.tag[1]), text
    raise StructureError(f"a cell labelled as a section has no heading: {source[:60]!r}")


# A table of at most this many rows and characters fits on a page: the PDF keeps it whole
# (class "short"); a longer one runs on, its header row repeated.
SHORT_TABLE = (16, 2000)


def caption_table(cell, float_: dict) -> None:
    """The table a cell shows gets its label as id and its caption inside it (``<caption>``)."""
    for output in cell.get("outputs", []):
        markup = output.get("data", {}).get("text/html")
        if not markup or "<table" not in markup:
            continue
        soup = BeautifulSoup(markup, "html.parser")
        table = soup.find("table")
        caption = soup.new_tag("caption")
        caption.append(BeautifulSoup(f"<strong>{float_['number']}. </strong>{float_['caption']}",
                                     "html.parser"))
        table.insert(0, caption)
        table["id"], table["tabindex"] = float_["label"], "0"  # a keyboard scrolls a wide table
        if (len(table.select("tbody tr")) <= SHORT_TABLE[0]
                and len(table.get_text(" ", strip=True)) <= SHORT_TABLE[1]):
            table["class"] = [*table.get("class", []), "short"]
        output["data"]["text/html"] = str(soup)
        return


def table_captions(tokens: list) -> list[int]:
    """Where a paragraph "Table: …" stands just above a Markdown table (Pandoc's caption syntax)."""
    return [i for i in range(len(tokens) - 3)
            if tokens[i].type == "paragraph_open" and tokens[i + 3].type == "table_open"
            and tokens[i + 1].children and tokens[i + 1].children[0].content.startswith("Table: ")]


def captioned_tables(tokens: list, numbers: list[str]) -> list:
    """Each such paragraph becomes its table's caption: inside the table, numbered (``numbers``,
    Numbering's, found by the same table_captions), as every table of the report has it."""
    for i, number in zip(table_captions(tokens), numbers, strict=False):  # none unnumbered
        opened, inline, closed, table = tokens[i:i + 4]
        inline.children[0].content = inline.children[0].content.removeprefix("Table: ")
        inline.children[:0] = [html_token(f"<strong>{number}. </strong>")]
        opened.tag = closed.tag = "caption"
        table.attrSet("class", "dataframe")
        table.attrSet("tabindex", "0")  # a keyboard scrolls a wide table
        tokens[i:i + 4] = [table, opened, inline, closed]
    return tokens


class RenderMarkdown(Preprocessor):
    """Each Markdown cell as HTML: headings numbered with their label as id, links to a cell
    shown as its label ("§3.1", "Table 4"), ``{eval}`` roles as their stored results.

    A link to a cell that only the other edition holds (``resources["elsewhere"]``, see
    exporters.EditionTagRemovePreprocessor) becomes plain text, its label there and where:
    "Table 27 in the analysts' edition"; two such links side by side (", " between them) name
    the edition once: "Table 27, Appendix D in the analysts' edition".

    ``strict`` (the build): an expression with no result or a failed one stops the rendering;
    otherwise (one chapter exported from JupyterLab) it is shown as inline code.
    """

    strict = Bool(False, help="Stop on an expression with no result or a failed one.").tag(config=True)
    labels: dict[str, str] = {}  # {label: what a link to it shows}, html.Numbering's
    aliases: dict[str, str] = {}  # {label of a cell left out: label of the cell standing in for it}
    elsewhere: dict[str, str] = {}  # {label: what it shows in the other edition}
    other_edition = "the other edition"

    def preprocess(self, nb, resources):
        self.labels = resources.get("labels", {})
        self.aliases = resources.get("aliases", {})
        self.elsewhere = resources.get("elsewhere", {})
        self.other_edition = resources.get("other_edition", self.other_edition)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "markdown":
            return cell, resources
        md, results = parser(), stored(cell)
        tokens = captioned_tables(md.parse(cell.source), cell.metadata.get("tables", []))
        number = cell.metadata.get("number")
        for token, inline in zip(tokens, tokens[1:], strict=False):
            if number and token.type == "heading_open":
                token.attrSet("id", label_of(cell.id)[1])
                inline.children[:0] = [html_token(f'<span class="number">{number}</span> ')]
                number = None
            if token.children:
                token.children = self.inline(token.children, results, index, cell)
        cell.source = md.renderer.render(tokens, md.options, {})
        cell.metadata["rendered"] = True
        return cell, resources

    def inline(self, children, results, index, cell):
        done, label, away = [], None, False
        for token in children:
            if is_eval(token):
                token = html_token(self.value(token.content, results, index, cell))
            elif token.type == "link_open":  # a link to a labelled cell: to its id, its text its label
                _, _, fragment = token.attrGet("href").partition("#")
                target = fragment.removeprefix(CELL) if fragment.startswith(CELL) else None
                label = self.labels.get(target) if target else None
                if label:
                    token.attrSet("href", f"#{self.aliases.get(target, target)}")
                    done += [token, html_token(html.escape(label))]
                    continue
                label = self.elsewhere.get(target) if target else None
                if label:  # in the other edition only: text, not a link
                    away = True
                    elsewhere(done, label, self.other_edition)
                    continue
            elif label:  # the link's typed text ("§", "Table"), up to its end
                label = None if token.type == "link_close" else label
                if label or away:
                    away = away and token.type != "link_close"
                    continue
            done.append(token)
        return done

    def value(self, expression: str, results: dict, index: int, cell) -> str:
        problem = _failure(results.get(expression))
        if problem and self.strict:
            raise ExpressionError(index, cell.get("id", "?"), expression, problem)
        if problem:
            return f"<code>{html.escape(expression, quote=False)}</code>"
        kind, text = shown(results[expression])
        if kind == "markdown":
            return parser().renderInline(text)
        if kind == "text":
            quoted = html.escape(expression, quote=True)
            return f'<span class="eval" data-expression="{quoted}">{html.escape(text, quote=False)}</span>'
        return text


def elsewhere(done: list[Token], label: str, edition: str) -> None:
    """Appends "<label> in <edition>", or joins the same words just before it."""
    if (len(done) >= 2 and done[-1].type == "text" and done[-1].content == ", "
            and done[-2].meta.get("elsewhere")):
        labels = [*done[-2].meta["elsewhere"], label]
        del done[-2:]
    else:
        labels = [label]
    token = html_token(html.escape(f"{', '.join(labels)} in {edition}"))
    token.meta["elsewhere"] = labels
    done.append(token)


def html_token(content: str) -> Token:
    return Token("html_inline", "", 0, content=content)


LOCAL_LINK = re.compile(r"^(?:[\w.-]+\.ipynb)?#(?P<fragment>.+)$")


def localise(soup: BeautifulSoup, unlink: bool) -> list[str]:
    """Links written for JupyterLab (``05-appendix.ipynb#q-delegations``) made links within the
    page (``#q-delegations``); returns the fragments that find nothing on the page, whose links
    become their text if ``unlink`` (a chapter rendered alone links to others)."""
    ids = {element["id"] for element in soup.find_all(id=True)}
    broken = []
    for link in soup.find_all("a", href=LOCAL_LINK):
        fragment = LOCAL_LINK.match(link["href"])["fragment"]
        link["href"] = f"#{fragment}"
        if fragment not in ids or fragment.startswith(CELL):
            broken.append(fragment)
            if unlink:
                link.unwrap()
    return list(dict.fromkeys(broken))


def mark_french(soup: BeautifulSoup) -> None:
    """Every « … » quotation in English prose gets lang="fr" (screen readers, hyphenation)."""
    for node in list(soup.find_all(string=FRENCH_QUOTE)):
        parent = node.parent
        if parent is None or parent.name in ("script", "style", "code", "pre") or parent.find_parent(
            attrs={"lang": "fr"}
        ) or parent.get("lang") == "fr":
            continue
        pieces, pos, text = [], 0, str(node)
        for match in FRENCH_QUOTE.finditer(text):
            pieces.append(text[pos:match.start()])
            span = soup.new_tag("span", lang="fr")
            span.string = match.group(0)
            pieces.append(span)
            pos = match.end()
        pieces.append(text[pos:])
        for piece in pieces:
            if piece:
                node.insert_before(piece)
        node.extract()


def section_name(element) -> str | None:
    """How a back link names the section a heading opens: '§1.3', 'Appendix A', or its text."""
    number = element.find(class_="number")
    if number is None:
        return element.get_text(" ", strip=True) or None
    shown_as = number.get_text(strip=True).rstrip(".")
    return shown_as if shown_as.startswith("Appendix") else f"§{shown_as}"


def link_back(soup: BeautifulSoup) -> None:
    """Each number link gets an id, and each quote it links to, links back to every mention.

    A reader who follows a number to its French words (Appendix A) can return to the very place
    they came from, without a script, footnote style: after the quote, ``↩`` and the sections
    that mention it, each a link back (``a``, ``b``, … where a section mentions it more than once).
    """
    section, mentions = "the title block", {}
    for element in soup.find_all(["h1", "h2", "h3", "a"]):
        if element.name != "a":
            if "title" not in element.get("class", []):
                section = section_name(element) or section
            continue
        href = element.get("href", "")
        if "num" in element.get("class", []) and href.startswith("#q-"):
            found = mentions.setdefault(href[1:], [])
            found.append(section)
            element["id"] = f"ref-{href[1:]}-{len(found)}"
    for target, sections in mentions.items():
        mark = soup.find(id=target)
        if mark is None:
            continue
        backs = soup.new_tag("span", attrs={"class": "backrefs", "lang": "en"})
        arrow = soup.new_tag("span", attrs={"aria-hidden": "true"})
        arrow.string = "↩"
        backs.extend([" ", arrow])
        groups = {}
        for index, where in enumerate(sections, 1):
            groups.setdefault(where, []).append(index)
        for n, (where, indices) in enumerate(groups.items()):
            backs.append(" · " if n else "\u00a0")  # the arrow never ends a line alone
            if len(indices) == 1:
                link = soup.new_tag("a", href=f"#ref-{target}-{indices[0]}",
                                    attrs={"aria-label": f"back to {where}"})
                link.string = where
                backs.append(link)
                continue
            backs.append(where)
            for k, index in enumerate(indices):
                letter = "abcdefghijklmnopqrstuvwxyz"[k] if k < 26 else str(k + 1)
                link = soup.new_tag("a", href=f"#ref-{target}-{index}",
                                    attrs={"aria-label": f"back to {where}, mention {letter}"})
                link.string = letter
                backs.extend([" ", link])
        mark.insert_after(backs)


EMBEDDED = re.compile(r"data:image/(png|jpeg|gif|svg\+xml);base64,", re.IGNORECASE)


def url_kept(tag: str, name: str, value: str) -> str | None:
    """An image's src only if the image is embedded; a link never to a data: URL."""
    if name == "src":
        return value if EMBEDDED.match(value) else None
    return None if name == "href" and value.strip().lower().startswith("data:") else value


# The allow-list: the tags and attributes both built editions use, and what Markdown writes. No
# script, style, event handler, form, frame or SVG; a URL only in a link (http, https, mailto or
# within the page) or an image embedded in the page: nothing is fetched from elsewhere.
SANITISER = nh3.Cleaner(
    tags={"a", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details", "div", "dl", "dt",
          "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "img", "li",
          "mark", "nav", "ol", "p", "pre", "s", "span", "strong", "sub", "summary", "sup", "table",
          "tbody", "td", "tfoot", "th", "thead", "tr", "ul"},
    attributes={"*": {"class", "id", "lang", "role", "tabindex", "title"}, "a": {"href"},
                "img": {"src", "alt"}, "ol": {"start"}, "td": {"colspan", "rowspan", "valign"},
                "th": {"colspan", "rowspan", "valign"}},
    tag_attribute_values={"tr": {"style": {"text-align: right;"}}},  # pandas' header rows
    generic_attribute_prefixes={"aria-", "data-"}, link_rel=None,
    url_schemes={"http", "https", "mailto", "data"}, attribute_filter=url_kept)


def sanitised(page: str) -> str:
    """The page with its <main>, where every cell is, Markdown and outputs alike, allow-listed."""
    head, opened, rest = page.partition("<main>")
    body, closed, tail = rest.rpartition("</main>")
    return head + opened + SANITISER.clean(body) + closed + tail


def finish(page: str, unlink_broken: bool = False) -> tuple[str, list[str]]:
    """The finished HTML, and the links that point nowhere on the page (text, if unlink_broken)."""
    soup = BeautifulSoup(sanitised(page), "html.parser")
    mark_french(soup)
    broken = localise(soup, unlink_broken)
    link_back(soup)
    return str(soup), broken
