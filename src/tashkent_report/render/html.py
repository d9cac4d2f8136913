"""The report's structure computed on the notebook and the finished page: Numbering and
RenderMarkdown (nbconvert preprocessors) number headings, tables and charts and render the Markdown
with its links shown as labels ("§3.1"); ``finish`` sanitises the page and links it up."""

from __future__ import annotations

import html
import re

import nh3
from bs4 import BeautifulSoup
from markdown_it.token import Token
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from tashkent_report.analysis.audit import FRENCH as FRENCH_QUOTE  # one pattern for the audit and the HTML
from tashkent_report.analysis.myst import is_eval, options, parser, shown, stored
from tashkent_report.render.expressions import checked

BOOK_CELL = re.compile(r"^n(\d\d)-")
CELL = "cell-id="  # JupyterLab's fragment for a cell
KINDS = {"fig-cap": ("fig-", "Figure"), "tbl-cap": ("tab-", "Table")}
# A table of at most this many rows and characters fits on a page: the PDF keeps it whole.
SHORT_TABLE = (16, 2000)


def book_cell_id(chapter: str, cell_id: str) -> str:
    """A cell's id in the combined report ('03-context', 'x' -> 'n03-x'): unique across chapters."""
    return f"n{chapter.split('-', 1)[0]}-{cell_id}"


def label_of(cell_id: str) -> tuple[str | None, str]:
    """(chapter number or None, label) of a cell id, combined ('n03-sec-event') or not."""
    match = BOOK_CELL.match(cell_id)
    return (match.group(1), cell_id[match.end():]) if match else (None, cell_id)


class StructureError(ValueError):
    """A label typed twice, a section without a heading, or a caption on a cell whose id is not its label."""

    def __init__(self, cell_id: str, detail: str, other: str = ""):  # other: the first cell with the label
        self.cell_id, self.detail, self.other = cell_id, detail, other
        super().__init__(f"cell {cell_id}: {detail}" + f" (the other: cell {other})" * bool(other))


class Numbering(Preprocessor):
    """Numbers headings (chapter N is notebook NN, its ``##`` N.1…; ``appendix``-tagged: Appendix A…),
    tables and charts into ``resources``: ``labels`` {label: what a link shows}, ``contents``, and
    ``aliases`` (the labels a cell ``stands_for``, left out of its edition: their links go to it)."""

    def preprocess(self, nb, resources):
        chapter = str(resources.get("metadata", {}).get("name", ""))[:2]
        labels, contents, counts = {}, [], {"Figure": 0, "Table": 0, "Appendix": 0, "chapter": 0}
        top, sub = "", 0
        resources["contents_before"] = None  # the contents go before the first chapter,
        for index, cell in enumerate(nb.cells):
            prefix, label = label_of(cell.get("id", ""))
            if label in labels:
                first = next(c.id for c in nb.cells if label_of(c.get("id", ""))[1] == label)
                raise StructureError(cell.get("id", ""), f"the label {label} is given to two cells", first)
            if cell.cell_type == "code" and (number := caption(cell, label, counts)):
                labels[label] = number
            if cell.cell_type != "markdown":
                continue
            tokens = parser().parse(cell.source)
            if found := captioned_tables(tokens, counts["Table"] + 1):  # numbered in place
                cell.metadata["tables"], counts["Table"] = counts["Table"] + 1, counts["Table"] + found
            if not label.startswith("sec-"):
                continue
            opened = next((i for i, t in enumerate(tokens) if t.type == "heading_open"), None)
            if opened is None:
                raise StructureError(cell.id, "a cell labelled as a section has no heading: "
                                     f"{cell.source[:60]!r}")
            level, title = int(tokens[opened].tag[1]), "".join(
                t.content for t in tokens[opened + 1].children if t.type in ("text", "code_inline"))
            if level > 1:
                sub += 1
                number = f"{top.removeprefix('Appendix ')}.{sub}"
                labels[label] = f"§{number}"
            else:
                sub, kind = 0, "Appendix" if "appendix" in cell.metadata.get("tags", []) else "chapter"
                counts[kind] += 1
                named = prefix or chapter  # chapter N is notebook NN; a notebook not so named, in order
                top = (f"Appendix {chr(64 + counts[kind])}" if kind == "Appendix"
                       else str(int(named) if named.isdigit() else counts[kind]))
                number, labels[label] = f"{top}.", top if kind == "Appendix" else f"§{top}"
                if resources["contents_before"] is None:  # unless it opens the notebook
                    resources["contents_before"] = cell.id if index else ""
            cell.metadata["number"] = number
            entry = {"label": label, "number": number, "title": title, "sections": []}
            if level == 1 or not contents:
                contents.append(entry)
            elif level == 2:
                contents[-1]["sections"].append(entry)
        aliases = {}
        for cell in nb.cells:
            label = label_of(cell.get("id", ""))[1]
            for alias in cell.metadata.get("stands_for", []):
                if label in labels and alias not in labels:
                    labels[alias], aliases[alias] = labels[label], label
        resources["labels"], resources["contents"], resources["aliases"] = labels, contents, aliases
        return nb, resources


def caption(cell, label: str, counts: dict) -> str | None:
    """A code cell's ``#| fig-cap:`` or ``#| tbl-cap:`` numbered (its label must be its id), and
    the table it shows given its label as id, its caption inside and class "short" if short."""
    found, code = options(cell.source)
    kind = next((k for k in KINDS if k in found), None)
    if kind is None:
        return None
    start, word = KINDS[kind]
    if not label.startswith(start):
        raise StructureError(cell.get("id", ""), f"a cell with {kind} needs an id starting with {start} "
                             "(its label)")
    counts[word] += 1
    number, cell.source = f"{word} {counts[word]}", code
    cell.metadata["float"] = {"label": label, "number": number,
                              "caption": parser().renderInline(str(found[kind]))}
    tables = [output["data"] for output in cell.get("outputs", []) if word == "Table"
              and "<table" in output.get("data", {}).get("text/html", "")]
    if tables:
        soup = BeautifulSoup(tables[0]["text/html"], "html.parser")
        table = soup.find("table")
        table.insert(0, BeautifulSoup(f"<caption><strong>{number}. </strong>"
                                      f"{cell.metadata['float']['caption']}</caption>", "html.parser"))
        table["id"], table["tabindex"] = label, "0"  # a keyboard scrolls a wide table
        if (len(table.select("tbody tr")) <= SHORT_TABLE[0]
                and len(table.get_text(" ", strip=True)) <= SHORT_TABLE[1]):
            table["class"] = [*table.get("class", []), "short"]
        tables[0]["text/html"] = str(soup)
    return number


def captioned_tables(tokens: list, first: int) -> int:
    """Each paragraph "Table: …" just above a Markdown table (Pandoc's caption syntax) made the
    table's caption, numbered from ``first``; how many there are."""
    found = [i for i in range(len(tokens) - 3)
             if tokens[i].type == "paragraph_open" and tokens[i + 3].type == "table_open"
             and tokens[i + 1].children and tokens[i + 1].children[0].content.startswith("Table: ")]
    for number, i in enumerate(found, first):
        opened, inline, closed, table = tokens[i:i + 4]
        inline.children[0].content = inline.children[0].content.removeprefix("Table: ")
        inline.children[:0] = [html_token(f"<strong>Table {number}. </strong>")]
        opened.tag = closed.tag = "caption"
        table.attrSet("class", "dataframe")
        table.attrSet("tabindex", "0")  # a keyboard scrolls a wide table
        tokens[i:i + 4] = [table, opened, inline, closed]
    return len(found)


class RenderMarkdown(Preprocessor):
    """Each Markdown cell as HTML: headings numbered; a link to a cell shown as its label ("§3.1"),
    or as text if only the other edition holds it ("Table 27 in the analysts' edition");
    ``{eval}`` roles as their results (``strict``: one missing or failed stops the rendering)."""

    strict = Bool(False, help="Stop on an expression with no result or a failed one.").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "markdown":
            return cell, resources
        md, results, number = parser(), stored(cell), cell.metadata.get("number")
        tokens = md.parse(cell.source)
        if "tables" in cell.metadata:
            captioned_tables(tokens, cell.metadata["tables"])
        for token, inline in zip(tokens, tokens[1:], strict=False):
            if number and token.type == "heading_open":
                token.attrSet("id", label_of(cell.id)[1])
                inline.children[:0] = [html_token(f'<span class="number">{number}</span> ')]
                number = None
            if token.children:
                token.children = self.inline(token.children, results, index, cell, resources)
        cell.source = md.renderer.render(tokens, md.options, {})
        cell.metadata["rendered"] = True
        return cell, resources

    def inline(self, children, results, index, cell, resources):
        """Links to a cell (``#cell-id=…``) resolved with Numbering's ``labels`` and ``aliases`` and
        the edition's ``elsewhere``; each ``{eval}`` role replaced by its value."""
        done, skip = [], None  # skip: a resolved link's typed text ("§", "Table"), up to its end
        for token in children:
            if is_eval(token):
                token = html_token(self.value(token.content, results, index, cell))
            elif skip:
                if token.type == "link_close":
                    done += [token] if skip == "link" else []
                    skip = None
                continue
            elif token.type == "link_open" and token.attrGet("href").partition("#")[2].startswith(CELL):
                target = token.attrGet("href").partition("#" + CELL)[2]
                if label := resources.get("labels", {}).get(target):
                    token.attrSet("href", f"#{resources.get('aliases', {}).get(target, target)}")
                    done.append(token)
                    token, skip = html_token(html.escape(label)), "link"
                elif label := resources.get("elsewhere", {}).get(target):  # once for two side by side
                    if len(done) >= 2 and done[-1].content == ", " and done[-2].meta.get("elsewhere"):
                        label = f"{done[-2].meta['elsewhere']}, {label}"
                        del done[-2:]
                    token, skip = html_token(html.escape(f"{label} in {resources['other_edition']}")), "text"
                    token.meta["elsewhere"] = label
            done.append(token)
        return done

    def value(self, expression: str, results: dict, index: int, cell) -> str:
        """An expression's stored result as HTML: escaped text, or the report's own (checked) links."""
        result = checked(expression, results.get(expression), index, cell, self.strict)
        if result is None:  # not yet run (not strict): the expression, as code
            return f"<code>{html.escape(expression, quote=False)}</code>"
        kind, text = shown(result)
        if kind == "html":
            return text
        quoted = html.escape(expression, quote=True)
        return f'<span class="eval" data-expression="{quoted}">{html.escape(text, quote=False)}</span>'


def html_token(content: str) -> Token:
    return Token("html_inline", "", 0, content=content)


LOCAL_LINK = re.compile(r"^(?:[\w.-]+\.ipynb)?#(?P<fragment>.+)$")


def localise(soup: BeautifulSoup, unlink: bool) -> list[tuple[str, str]]:
    """Links written for JupyterLab (``05-appendix.ipynb#q-delegations``) made links within the page;
    returns (fragment, id of the cell holding the link) of those that find nothing on it, whose links
    become text if ``unlink``."""
    ids = {element["id"] for element in soup.find_all(id=True)}
    broken = []
    for link in soup.find_all("a", href=LOCAL_LINK):
        fragment = LOCAL_LINK.match(link["href"])["fragment"]
        link["href"] = f"#{fragment}"
        if fragment not in ids or fragment.startswith(CELL):
            cell = link.find_parent(id=re.compile(f"^{CELL}"))  # the template's cell anchor
            broken.append((fragment, cell["id"].removeprefix(CELL) if cell else ""))
            if unlink:
                link.unwrap()
    return list(dict.fromkeys(broken))


def mark_french(soup: BeautifulSoup) -> None:
    """Every « … » quotation in English prose gets lang="fr" (screen readers, hyphenation)."""
    for node in list(soup.find_all(string=FRENCH_QUOTE)):
        parent = node.parent
        if (parent.name in ("script", "style", "code", "pre") or parent.get("lang") == "fr"
                or parent.find_parent(attrs={"lang": "fr"})):
            continue
        node.replace_with(BeautifulSoup(FRENCH_QUOTE.sub(
            lambda quote: f'<span lang="fr">{quote[0]}</span>', html.escape(str(node), quote=False)),
            "html.parser"))


def link_back(soup: BeautifulSoup) -> None:
    """Each number link to a quote (``#q-…``) gets an id, and the quote, after it, ``↩`` and a link
    back to each section that mentions it (``a``, ``b``… for several mentions in one section)."""
    section, mentions = "the title block", {}
    for element in soup.find_all(["h1", "h2", "h3", "a"]):
        href = element.get("href", "")
        if element.name == "a" and "num" in element.get("class", []) and href.startswith("#q-"):
            mentions.setdefault(href[1:], []).append(section)
            element["id"] = f"ref-{href[1:]}-{len(mentions[href[1:]])}"
        elif element.name != "a" and "title" not in element.get("class", []):  # '§1.3', 'Appendix A'
            number = element.find(class_="number")
            shown_as = number.get_text(strip=True).rstrip(".") if number else ""
            section = (element.get_text(" ", strip=True) or section if number is None
                       else shown_as if shown_as.startswith("Appendix") else f"§{shown_as}")
    for target, sections in mentions.items():
        if (mark := soup.find(id=target)) is None:
            continue
        groups = {}
        for index, where in enumerate(sections, 1):
            groups.setdefault(html.escape(where), []).append(index)
        links = []
        for where, indices in groups.items():
            link = '<a aria-label="back to {}" href="#ref-' + target + '-{}">{}</a>'
            if len(indices) == 1:
                links.append(link.format(where, indices[0], where))
                continue
            letters = [chr(97 + k) if k < 26 else str(k + 1) for k in range(len(indices))]
            links.append(where + "".join(" " + link.format(f"{where}, mention {letter}", index, letter)
                                         for letter, index in zip(letters, indices, strict=True)))
        # the arrow never ends a line alone (\u00a0)
        mark.insert_after(BeautifulSoup('<span class="backrefs" lang="en"> <span aria-hidden="true">↩</span>'
                                        f'\u00a0{" · ".join(links)}</span>', "html.parser"))


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


def finish(page: str, unlink_broken: bool = False) -> tuple[str, list[tuple[str, str]]]:
    """The finished page, its <main> (every cell) allow-listed; and its links that point nowhere."""
    head, opened, rest = page.partition("<main>")
    body, closed, tail = rest.rpartition("</main>")
    if not closed:  # fail closed: the template holds every cell in one <main>
        raise ValueError("the page has no <main>…</main> to sanitise")
    soup = BeautifulSoup(head + opened + SANITISER.clean(body) + closed + tail, "html.parser")
    mark_french(soup)
    broken = localise(soup, unlink_broken)
    link_back(soup)
    return str(soup), broken
