"""Finishing the rendered HTML: section ids, numbered figures and tables, cross-references, contents.

nbconvert renders cells; what a briefing needs beyond that is done here, on the parsed HTML,
so that the same anchors serve the HTML and the PDF (WeasyPrint follows internal links and
makes bookmarks from the headings).
"""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup

from tashkent_report.analysis.audit import FRENCH as FRENCH_QUOTE  # one pattern for the audit and the HTML

SECTION_NUMBER = re.compile(r"^(?:Appendix\s+)?([A-Z]|\d+)((?:\.\d+)*)\.?(?:\s|$)")


def section_number(text: str) -> str | None:
    match = SECTION_NUMBER.match(text)
    return match.group(1) + match.group(2) if match else None


def number_sections(soup: BeautifulSoup) -> list[tuple[int, str, str, str]]:
    """Give every numbered heading the id ``sec-<number>``; return (level, id, number, title)."""
    entries = []
    for anchor in soup.select("a.anchor-link"):
        anchor.decompose()
    for heading in soup.find_all(["h1", "h2", "h3"]):
        text = heading.get_text(" ", strip=True)
        number = section_number(text)
        if number is None:
            heading.attrs.pop("id", None)
            continue
        heading["id"] = f"sec-{number}"
        entries.append((int(heading.name[1]), heading["id"], number, text))
    return entries


LOCAL_LINK = re.compile(r"^(?P<file>[\w.-]+\.ipynb)?#(?P<fragment>.+)$")
CELL = "cell-id="  # JupyterLab's fragment for a cell; nbconvert's id for the cell's <div>
TARGET_ID = re.compile(r"^(?:sec|tab|fig)-")


BOOK_CELL = re.compile(r"^n([^-]+)-")


def book_cell_id(chapter: str, cell_id: str) -> str:
    """A cell's id in the combined report ('03-context', 'x' -> 'n03-x'): unique across chapters."""
    return f"n{chapter.split('-', 1)[0]}-{cell_id}"


def localise(soup: BeautifulSoup, chapter: str | None = None) -> list[str]:
    """Links written for JupyterLab, made links within the one page of the report.

    In a notebook, a link to another chapter names its file (``05-appendix.ipynb#q-delegations``)
    and a link to a heading or chart that only JupyterLab's cells can find names the cell
    (``03-context.ipynb#cell-id=sec-3-1``, ``#cell-id=fig-series``): JupyterLab opens that
    notebook there. In the report each becomes the id of what it points to: the fragment, or the
    section, figure or table that the cell holds. ``chapter``: the notebook's name when one
    chapter is exported alone (its cell ids are not prefixed). Returns the cell links that find
    nothing, each left as ``#cell-id=…``.
    """
    unresolved = []
    cells = {div["id"].removeprefix(CELL): div for div in soup.find_all(id=re.compile("^" + CELL))}
    for link in soup.find_all("a", href=True):
        match = LOCAL_LINK.match(link["href"])
        if match is None:
            continue
        file, fragment = match["file"], match["fragment"]
        if not fragment.startswith(CELL):
            link["href"] = f"#{fragment}"
            continue
        cell_id = fragment.removeprefix(CELL)
        if file is None:  # a cell of the link's own chapter: its number is in the link's cell's id
            own = link.find_parent(id=re.compile("^" + CELL))
            number = BOOK_CELL.match(own["id"].removeprefix(CELL)) if own else None
            keys = [book_cell_id(number.group(1), cell_id)] if number else []
        else:
            keys = [book_cell_id(Path(file).stem, cell_id)]
        if file is None or Path(file).stem == chapter:
            keys.append(cell_id)
        cell = next((cells[k] for k in keys if k in cells), None)
        target = cell.find(id=TARGET_ID) if cell is not None else None
        link["href"] = f"#{target['id']}" if target is not None else f"#{fragment}"
        if target is None:
            unresolved.append(fragment)
    return unresolved


def number_floats(soup: BeautifulSoup) -> dict[str, str]:
    """Prefix 'Figure N.' and 'Table N.' to captions, in order; return {anchor id: label}."""
    labels = {}
    for kind, selector, prefix in (("fig", "figure", "Figure"), ("tab", "table", "Table")):
        count = 0
        for element in soup.select(selector):
            caption = element.find("figcaption" if kind == "fig" else "caption")
            if caption is None:
                continue
            count += 1
            label = f"{prefix} {count}"
            strong = soup.new_tag("strong")
            strong.string = f"{label}. "
            caption.insert(0, strong)
            if element.get("id"):
                labels[element["id"]] = label
    return labels


def resolve_references(soup: BeautifulSoup, labels: dict[str, str], sections: dict[str, str]) -> list[str]:
    """Links to #fig-…, #tab-… and #sec-… get their label as text; return the broken ones."""
    broken = []
    for link in soup.find_all("a", href=True):
        href = link["href"]
        if not href.startswith("#"):
            continue
        target = href[1:]
        if target in labels:
            link.string = labels[target]
        elif target in sections:
            if not link.get_text(strip=True):
                link.string = f"§{sections[target]}"
        elif target.startswith(("fig-", "tab-", "sec-", "q-", "src-")) and soup.find(id=target) is None:
            broken.append(target)
    return broken


def table_of_contents(soup: BeautifulSoup, entries: list[tuple[int, str, str, str]]) -> None:
    """Fill <nav id="toc"> with the chapters and their sections."""
    nav = soup.find("nav", id="toc")
    if nav is None:
        first = soup.find(id="sec-1")
        if first is None:
            return
        cell = first.find_parent(class_="jp-Cell") or first
        nav = soup.new_tag("nav", id="toc")
        cell.insert_before(nav)
    heading = soup.new_tag("h2", attrs={"class": "toc-title"})
    heading.string = "Contents"
    nav.append(heading)
    top = soup.new_tag("ol", attrs={"class": "toc"})
    nav.append(top)
    current = None
    for level, anchor, _number, title in entries:
        if level > 2:
            continue
        item = soup.new_tag("li", attrs={"class": f"toc-level-{level}"})
        link = soup.new_tag("a", href=f"#{anchor}")
        link.string = title
        item.append(link)
        if level == 1:
            top.append(item)
            current = soup.new_tag("ol")
            item.append(current)
        elif current is not None:
            current.append(item)
    for empty in nav.find_all("ol"):
        if not empty.find("li"):
            empty.decompose()




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


def unlink(soup: BeautifulSoup, targets: list[str]) -> None:
    """Links to these anchors become their text (a chapter rendered alone links to others)."""
    hrefs = {f"#{target}" for target in targets}
    for link in soup.find_all("a", href=True):
        if link["href"] in hrefs:
            link.unwrap()


def _is_empty(cell) -> bool:
    return not cell.get_text(strip=True)


def tidy_header(table) -> None:
    """No row of pandas' index names, and no empty header cell.

    pandas writes the index's name(s) in a header row of their own, under the columns' names,
    every other cell of it empty. Here the names take the empty cells at the head of the
    row-header column(s), and their row goes. A header cell still empty after that (an index
    without a name) heads nothing: it becomes a data cell.
    """
    head = table.find("thead")
    rows = head.find_all("tr", recursive=False) if head else []
    first_body = table.select_one("tbody tr")
    levels = 0
    if first_body is not None:
        for cell in first_body.find_all(["th", "td"], recursive=False):
            if cell.name != "th":
                break
            levels += 1
    if len(rows) >= 2 and levels:
        names = rows[-1].find_all(["th", "td"], recursive=False)
        if len(names) > levels and all(_is_empty(c) for c in names[levels:]):
            corner = rows[-2].find_all(["th", "td"], recursive=False)[:levels]
            for cell, name in zip(corner, names[:levels], strict=False):
                if not _is_empty(name):
                    cell.clear()
                    cell.string = name.get_text(strip=True)
            rows[-1].decompose()
    for cell in table.find_all("th"):
        if _is_empty(cell):
            cell.name = "td"


# A table of at most this many rows and characters fits on a page: the PDF keeps it whole
# (class "short"); a longer one runs on, its header row repeated.
SHORT_TABLE = (16, 2000)


def wrap_tables(soup: BeautifulSoup) -> None:
    """Each table in a box of its own that scrolls sideways when the table is wider than the
    page, with its caption above, outside the box (a phone shows it whole).

    The box is a named region a keyboard can reach (``tabindex="0"``: arrow keys scroll it),
    named by the caption, as the table is. The table's ``id`` (``tab-…``, what cross-references
    link to) moves to the block, so that a link lands on the caption. pdf.py puts the caption
    back into the table for the PDF, where it is the table's tagged Caption.
    """
    for number, table in enumerate(soup.find_all("table"), 1):
        tidy_header(table)
        anchor = table.attrs.pop("id", None)
        short = (len(table.select("tbody tr")) <= SHORT_TABLE[0]
                 and len(table.get_text(" ", strip=True)) <= SHORT_TABLE[1])
        block = soup.new_tag("div", attrs={"class": "table-block short" if short else "table-block"})
        if anchor:
            block["id"] = anchor
        table.wrap(block)
        scroll = soup.new_tag("div", attrs={"class": "table-scroll", "role": "region", "tabindex": "0"})
        table.wrap(scroll)
        caption = table.find("caption", recursive=False)
        if caption is None:
            scroll["aria-label"] = "Table"
            continue
        caption.name = "div"
        caption["class"] = "table-caption"
        caption["id"] = f"{anchor or f'table-{number}'}-caption"
        scroll.insert_before(caption.extract())
        scroll["aria-labelledby"] = table["aria-labelledby"] = caption["id"]


def link_back(soup: BeautifulSoup) -> None:
    """Each number link gets an id, and each quote it links to, links back to every mention.

    A reader who follows a number to its French words (Appendix A) can return to the very place
    they came from, without a script, footnote style: after the quote, ``↩`` and the sections
    that mention it, each a link back (``a``, ``b``, … where a section mentions it more than once).
    """
    section, mentions = "the title block", {}
    for element in soup.find_all(["h1", "h2", "h3", "a"]):
        if element.name != "a":
            if element.get("id", "").startswith("sec-"):
                section = "§" + element["id"].removeprefix("sec-")
            elif element.get_text(strip=True) and "title" not in element.get("class", []):
                section = element.get_text(" ", strip=True)
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


def finish(html: str, unlink_broken: bool = False, chapter: str | None = None) -> tuple[str, list[str]]:
    """The finished HTML, and the cross-references that point nowhere (text, if unlink_broken).

    ``chapter``: the notebook's name when one chapter is rendered alone (see localise).
    """
    soup = BeautifulSoup(html, "html.parser")
    mark_french(soup)
    entries = number_sections(soup)
    unresolved = localise(soup, chapter)
    labels = number_floats(soup)
    broken = resolve_references(soup, labels, {anchor: number for _, anchor, number, _ in entries})
    broken = list(dict.fromkeys(unresolved + broken))
    if broken and unlink_broken:
        unlink(soup, broken)
    table_of_contents(soup, entries)
    wrap_tables(soup)
    link_back(soup)
    return str(soup), broken
