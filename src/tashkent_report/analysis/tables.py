"""Reader-facing tables built from the facts: provenance, source paragraphs, audits."""

from __future__ import annotations

import html
import re
from urllib.parse import unquote

import pandas as pd

from tashkent_report.analysis.dataset import quote_spans, sha256
from tashkent_report.analysis.model import Facts, cited_as, paragraphs
from tashkent_report.config import relative


def source_record(facts: Facts) -> pd.DataFrame:
    """What we know of the source, and whether the file still matches its recorded hash."""
    meta, path = facts.article, facts.paths["article"]
    recorded = meta["hash"].removeprefix("sha256:")
    computed = sha256(path)
    rows = [
        ("File", relative(path)),
        ("Publisher", meta["publisher"]),
        ("Language", meta["language"]),
        ("Date", meta["date"] or f"none: {meta['dateNote']}"),
        ("Characters", f"{len(facts.text):,}"),
        ("Paragraphs", str(len(paragraphs(facts.text)))),
        ("sha256 recorded", recorded),
        ("sha256 computed", computed),
        ("Unchanged", "yes" if recorded == computed else "NO"),
    ]
    return pd.DataFrame(rows, columns=["", "value"]).set_index("")


def source_paragraphs(facts: Facts) -> pd.DataFrame:
    """The article, one numbered paragraph per row."""
    return paragraphs(facts.text).set_index("paragraph")[["text"]]


def provenance(facts: Facts) -> pd.DataFrame:
    """For every table and quote column: how many quotes, and how many sit at their offsets."""
    rows = []
    for name, frame in facts.tables.items():
        for prefix in quote_spans(frame.columns):
            q, s, e = (frame[f"{prefix}{k}"] for k in ("quote", "start", "end"))
            present = q.notna()
            exact = sum(
                facts.text[a:b] == quote
                for quote, a, b in zip(q[present], s[present], e[present], strict=True)
            )
            rows.append(
                {
                    "file": relative(facts.paths[name]),
                    "column": f"{prefix}quote",
                    "rows": len(frame),
                    "quotes": int(present.sum()),
                    "at their offsets": int(exact),
                }
            )
    return pd.DataFrame(rows)


class Table:
    """A table as the report shows it. Its label and caption are its cell's (the cell's id,
    ``tab-…``, and its ``#| tbl-cap:`` option), numbered 'Table N' by the report's exporter.

    ``row_ids`` gives each body row the id ``<row_ids>-<index>`` (a link target, e.g. one
    source of the sources table); ``french`` names the columns that hold French text, marked
    ``lang="fr"`` for screen readers and hyphenation; ``links`` names columns of URLs, shown
    as links.
    """

    def __init__(self, frame: pd.DataFrame, row_ids: str | None = None, french: tuple[str, ...] = (),
                 links: tuple[str, ...] = ()):
        self.frame = frame
        self.row_ids, self.french, self.links = row_ids, tuple(french), tuple(links)

    def _repr_html_(self) -> str:
        from bs4 import BeautifulSoup

        frame = self.frame.astype(object).where(self.frame.notna(), "")
        plain_index = frame.index.name is None and isinstance(self.frame.index, pd.RangeIndex)
        body = frame.to_html(escape=True, border=0, index=not plain_index)
        opening = body[: body.index(">") + 1]
        body = body.replace(opening, '<table class="dataframe">', 1)
        soup = BeautifulSoup(body, "html.parser")
        tidy_header(soup.find("table"))
        if not (self.row_ids or self.french or self.links):
            return str(soup)
        columns = list(frame.columns)
        offset = 0 if plain_index else 1
        for key, row in zip(frame.index, soup.select("tbody tr"), strict=True):
            if self.row_ids:
                row["id"] = f"{self.row_ids}-{key}"
            cells = row.find_all(["td", "th"])[offset:]
            for column, cell in zip(columns, cells, strict=True):
                if column in self.french and cell.get_text():
                    cell["lang"] = "fr"
                if column in self.links and cell.get_text().startswith(("http://", "https://")):
                    url = cell.get_text()
                    cell.string = ""
                    link = soup.new_tag("a", href=url)
                    link.string = url
                    cell.append(link)
        return str(soup)

    def __repr__(self) -> str:
        frame = self.frame.astype(object).where(self.frame.notna(), "")
        return frame.to_string()


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


def shown(frame: pd.DataFrame, **marks) -> Table:
    return Table(frame, **marks)


def highlighted_source(facts: Facts) -> Table:
    """The article, paragraph by paragraph, each figure's quote highlighted as its link target.

    A number in the report that states an article figure links to ``#q-<figure id>`` here.
    """
    return SourceText(facts)


class SourceText(Table):
    """Appendix A: French paragraphs, each figure quote a ``<mark id="q-…">``."""

    def __init__(self, facts: Facts):
        super().__init__(source_paragraphs(facts), french=("text",))
        self.facts = facts

    def _repr_html_(self) -> str:
        marks = sorted(
            (int(r.start), int(r.end), r.id) for r in self.facts.figures.itertuples(index=False)
        )
        rows = []
        for para in paragraphs(self.facts.text).itertuples(index=False):
            pieces, pos = [], para.start
            for start, end, figure_id in marks:
                if start < para.start or end > para.end:
                    continue
                pieces.append(html.escape(self.facts.text[pos:start], quote=False))
                pieces.append(f'<mark id="q-{html.escape(figure_id)}">'
                              f"{html.escape(self.facts.text[start:end], quote=False)}</mark>")
                pos = end
            pieces.append(html.escape(self.facts.text[pos:para.end], quote=False))
            rows.append(f'<tr id="para-{para.paragraph}"><th>{para.paragraph}</th>'
                        f'<td lang="fr">{"".join(pieces)}</td></tr>')
        return ('<table class="dataframe source-text">\n'
                "<thead><tr><th>paragraph</th><th>text</th></tr></thead>\n"
                f"<tbody>{''.join(rows)}</tbody></table>")


def claims(facts: Facts, ids: list[str]) -> pd.DataFrame:
    """Context claims, each with the sources it rests on (short citations) and whether it is ours."""
    table = facts.context_claims.set_index("id").loc[ids]
    name = cited_as(facts.sources)
    when = dict(zip(facts.sources["id"], facts.sources["published"], strict=True))

    def cited(ids: str) -> str:
        return "; ".join(name[i] + ("" if pd.isna(when[i]) else f", {when[i]}") for i in ids.split(";"))

    return pd.DataFrame({
        "context": table["claim"],
        "sources": [cited(s) for s in table["sources"]],
        "status": ["our inference from the sources" if i else "stated by the sources"
                   for i in table["inferred"]],
    }).reset_index(drop=True)


def cited(frame: pd.DataFrame, sources: pd.DataFrame, column: str = "sources") -> pd.DataFrame:
    """The frame with a column of source ids shown as the short citations readers see."""
    name = cited_as(sources)
    shown = frame.copy()
    shown[column] = ["; ".join(name[i] for i in str(ids).split(";")) for ids in frame[column]]
    return shown


def states_in_both(membership: pd.DataFrame) -> pd.DataFrame:
    """Each state in the SCO's or the CIS's circles, with its status in each (context)."""
    labels = {"member": "member", "observer": "observer", "dialogue_partner": "dialogue partner",
              "associate_member": "associate member"}
    wide = membership.assign(status=membership["status"].map(labels)).pivot(
        index="state", columns="organisation", values="status")
    wide = wide.reindex(columns=["sco", "cis"]).fillna("")
    both = (wide["sco"] != "") & (wide["cis"] != "")
    wide["in both"] = ["yes" if b else "" for b in both]
    order = wide.assign(k=~both, m=wide["sco"] != "member").sort_values(["k", "m", "state"]).index
    return wide.loc[order].rename(columns={"sco": "SCO", "cis": "CIS"})


KIND = {"full_text_with_quotation": "full text, with quotation", "summary": "news report (summary)",
        "press_release": "press release", "reference_page": "reference page"}


class SourcesTable(Table):
    """The sources as a bibliography: one row per source (id ``src-<id>``), outlet, title, date, URL."""

    def __init__(self, sources: pd.DataFrame):
        columns = ["cite_as", "outlet", "title", "published", "url", "kind", "credibility"]
        super().__init__(sources.set_index("id")[columns])

    def _repr_html_(self) -> str:
        def row(r, e) -> tuple[str, str]:
            date = f", {e['published']}" if e["published"] else ", undated"
            return (f'{e["cite_as"]}{date}', f'{e["outlet"]}. <cite>{e["title"]}</cite>{date}. '
                    f'<a class="url" href="{e["url"]}">{e["url"]}</a><br>'
                    f'<em>{html.escape(KIND[r["kind"]])}.</em> {e["credibility"]}')

        return source_rows(self.frame, "dataframe sources", "outlet, title, date, address; kind; how far "
                           "it can be trusted", row)


def source_rows(frame: pd.DataFrame, classes: str, header: str, row) -> str:
    """A table of sources, one row each (id ``src-<id>``): ``row(r, escaped)`` gives its two cells."""
    rows = []
    for key, r in frame.iterrows():
        e = {k: html.escape("" if pd.isna(v) else str(v), quote=True) for k, v in r.items()}
        th, td = row(r, e)
        rows.append(f'<tr id="src-{html.escape(str(key))}"><th>{th}</th><td>{td}</td></tr>')
    return (f'<table class="{classes}">\n<thead><tr><th>cited as</th><th>{header}</th></tr></thead>\n'
            f"<tbody>{''.join(rows)}</tbody></table>")


def sources_table(sources: pd.DataFrame) -> SourcesTable:
    return SourcesTable(sources)


UNTITLED = "[untitled"  # a page without a title: the sources table says what its address reads


def in_brief(credibility: str, limit: int = 90) -> str:
    """A source's credibility in a few words: its first clause, asides in brackets left out."""
    clause = re.sub(r"\s*\([^)]*\)", "", str(credibility).split(";")[0]).strip().rstrip(".")
    if ": " in clause and not clause.lower().startswith("low credibility"):
        clause = clause.split(": ")[0]  # 'Scholarly abstract: RATS agreement signed…' -> the kind
    if len(clause) > limit:
        clause = clause[: clause.rfind(" ", 0, limit)].rstrip(",;") + "…"
    return clause


class SourceList(Table):
    """The readers' source list: one line per source (id ``src-<id>``, as the full sources
    table's), the article first, then by short citation: outlet, title, date, address (its
    percent-escapes shown as the letters they stand for), and its credibility in a few words."""

    def __init__(self, sources: pd.DataFrame):
        order = sources.assign(other=sources["held_as"].fillna("") != "article",  # the article first
                               key=sources["cite_as"].str.casefold()).sort_values(
            ["other", "key", "published"], na_position="first", kind="stable")
        super().__init__(order.set_index("id")[["cite_as", "outlet", "title", "published", "url",
                                                 "credibility"]])

    def _repr_html_(self) -> str:
        def row(r, e) -> tuple[str, str]:
            title = "" if str(r["title"]).startswith(UNTITLED) else f" <cite>{e['title']}</cite>."
            address = html.escape(unquote(r["url"]), quote=False)
            return (e["cite_as"], f'{e["outlet"]}.{title} {e["published"] or "undated"}. '
                    f'<a class="url" href="{e["url"]}">{address}</a>. '
                    f'<em>{html.escape(in_brief(r["credibility"]), quote=False)}.</em>')

        return source_rows(self.frame, "dataframe sources source-list",
                           "outlet, title, date, address; credibility", row)


def source_list(sources: pd.DataFrame) -> SourceList:
    """The sources one line each, for readers; the full notes are ``sources_table``'s."""
    return SourceList(sources)


OCCASIONS = {"this_event": "at the conference", "earlier_edition": "an earlier edition",
             "later_edition": "a later edition", "other": "around the event"}


def threats_table(threats: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """Who named which threat, on which occasion, on whose report; a low-credibility row says so."""
    shown = cited(threats, sources)
    return pd.DataFrame({
        "occasion": [OCCASIONS[o] for o in threats["occasion"]],
        "named by": threats["named_by"],
        "threat": threats["threat"],
        "reported by": shown["sources"],
        "credibility": ["low: one unattributed video caption, not confirmed" if low else "as reported"
                        for low in threats["low_credibility"]],
    }).set_index("occasion")


def figures_table(figures: pd.DataFrame) -> pd.DataFrame:
    """The article's figures for readers: what each counts, its value, how it is stated, its words."""
    return pd.DataFrame({
        "what it counts": figures["counts"],
        "value": figures["value"],
        "as stated": ["approximate ('quelque')" if a else "total ('au total')" if t else "exact"
                      for a, t in zip(figures["approximate"], figures["stated_as_total"], strict=True)],
        "French words": figures["quote"],
        "translation": figures["translation"],
    }).set_index("what it counts")


def statements_table(statements: pd.DataFrame) -> pd.DataFrame:
    """The article's sentences on the message, numbered as the report cites them."""
    return pd.DataFrame({
        "statement": statements["order"].astype(int),
        "in the article": ["attributed to the president" if a == "explicit" else "not attributed"
                           for a in statements["attribution"]],
        "attributing words": statements["attribution_quote"],
        "French": statements["quote"],
        "our translation": statements["text_en"],
    }).set_index("statement")


def events_table(events: pd.DataFrame) -> pd.DataFrame:
    """The conferences, by their English names, with the article's French names and words."""
    return events[["name_en", "name_fr", "host_city_en", "quote"]].rename(columns={
        "name_en": "conference", "name_fr": "French name", "host_city_en": "host city",
        "quote": "French words"}).set_index("conference")


def organisations_table(organisations: pd.DataFrame) -> pd.DataFrame:
    """The organisations named, by their English acronyms, with the article's French names and words."""
    return organisations[["acronym_en", "name_en", "acronym_fr", "name_fr", "quote"]].rename(columns={
        "acronym_en": "organisation", "name_en": "full name", "acronym_fr": "French acronym",
        "name_fr": "French name", "quote": "French words"}).set_index("organisation")
