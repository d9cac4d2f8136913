"""Charts: each takes a table and returns a matplotlib Figure, in one shared style.

Figures are saved to ``figures/`` as SVG and PNG that are byte-identical from the same data
(fixed SVG hash salt, no dates or software stamps), with their caption and alt text in a
JSON file beside them, and shown in notebooks as PNG with the caption as text.
"""

from __future__ import annotations

import io
import textwrap
from contextlib import contextmanager
from pathlib import Path

import matplotlib
import matplotlib.axes
import matplotlib.dates
import matplotlib.lines
import matplotlib.patches
import matplotlib.ticker
import pandas as pd
from matplotlib.figure import Figure

from tashkent_report.analysis import series
from tashkent_report.config import FIGURES
from tashkent_report.files import write_atomically

# Charts are Figure objects rendered to bytes (render): no pyplot, no backend chosen for the
# analyst's kernel, no global style left behind (style() is a context manager).

# Okabe & Ito (2008), distinguishable with the common colour-vision deficiencies.
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#7F7F7F",
    "ink": "#222222",
}
SIZE = (8.0, 4.5)  # inches; fixed so that nbval's "<Figure size ...>" text never changes
DPI = 150
# The PDF prints a figure at the text width of A4 (16 cm), unless the print style's max-height for
# it binds first (report.css: 9 cm, more for the charts named below). A chart 8 inches wide is
# shrunk to 79 %: no text may be smaller than SMALL points in the figure, 7 points on paper, and
# no chart may be so tall for its width that the max-height shrinks it further.
PRINT_WIDTH_IN = 16 / 2.54
PRINT_MAX_HEIGHT_CM = {"series": 14.0, "themes-by-statement": 14.0, "message-coverage": 12.0}
PRINT_MAX_HEIGHT_DEFAULT_CM = 9.0
MIN_PRINTED_PT = 7.0
SMALL = 9.0  # >= MIN_PRINTED_PT * SIZE[0] / PRINT_WIDTH_IN (8.9), for every chart 8 inches wide


def printed_scale(fig: Figure, name: str | None = None) -> float:
    """How much the PDF shrinks ``fig`` (saved as ``name``): to the text width, or to the print
    style's max-height for it if that binds first."""
    width, height = fig.get_size_inches()
    tallest = PRINT_MAX_HEIGHT_CM.get(name, PRINT_MAX_HEIGHT_DEFAULT_CM) / 2.54
    return min(PRINT_WIDTH_IN / width, tallest / height)


def printed_size(fig: Figure, points: float, name: str | None = None) -> float:
    """The size in points on paper of text set at ``points`` in ``fig``, as the PDF prints it."""
    return points * printed_scale(fig, name)
SOURCE_UZA = "Source: UzA (French article on the Tashkent conferences), paragraph 2"

STYLE = {
    # DejaVu Sans (shipped with matplotlib) first; the generic family gives a browser without it
    # a sans-serif fallback in the SVG's text.
    "font.family": ["DejaVu Sans", "sans-serif"],
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#555555",
    "axes.labelcolor": PALETTE["ink"],
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "svg.hashsalt": "tashkent-report",
    "text.parse_math": False,  # labels come from data: a "$" is a dollar, not mathtext
    # Text as text, not as glyph outlines: selectable and searchable in the HTML and the PDF, and
    # WeasyPrint draws the report's charts in about a seventh of the time (0.5 s against 3.2 s for
    # six of them, measured in one run).
    "svg.fonttype": "none",
    "figure.dpi": 100,
}


@contextmanager
def style():
    with matplotlib.rc_context(STYLE):
        yield


def new_figure(size: tuple[float, float] = SIZE) -> tuple[Figure, matplotlib.axes.Axes]:
    fig = Figure(figsize=size)
    ax = fig.add_subplot()
    return fig, ax


def source_note(fig: Figure, text: str) -> None:
    """The source line every chart carries, bottom left."""
    fig.text(0.01, 0.015, text, fontsize=SMALL, color="#555555", ha="left", va="bottom")


def participation_chart(table: pd.DataFrame) -> Figure:
    """Horizontal bars, one per organisation type, largest on top, labelled with count and unit."""
    with style():
        fig, ax = new_figure()
        rows = table.iloc[::-1]  # barh draws bottom-up; keep the largest on top
        colours = [PALETTE["blue"] if lvl == "participant" else PALETTE["sky"] for lvl in rows["level"]]
        bars = ax.barh(range(len(rows)), rows["value"], color=colours, height=0.62)
        for i, h in enumerate(rows["level"]):
            if h == "represented":
                bars[i].set_hatch("///")
                bars[i].set_edgecolor("white")
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels(
            [textwrap.fill(en, 34) + "\n" + textwrap.fill(f"« {fr} »", 34)
             for en, fr in zip(rows["label_en"], rows["term_fr"], strict=True)],
            fontsize=SMALL,
        )
        for bar, label in zip(bars, rows["count"], strict=True):
            ax.text(bar.get_width() + 0.3, bar.get_y() + bar.get_height() / 2, label,
                    va="center", fontsize=9, color=PALETTE["ink"])
        ax.set_xlim(0, max(rows["value"]) * 1.25)
        ax.set_xlabel("Number stated in the article (each bar counts its own unit)")
        ax.set_title("Who took part, by organisation type", pad=10)
        ax.xaxis.grid(True, color="#e5e5e5")
        ax.set_axisbelow(True)
        if (rows["level"] == "represented").any():
            ax.text(0.99, 0.02, "hatched: the organisations that the bodies of international\n"
                    "organisations represent; not an additional group", transform=ax.transAxes,
                    ha="right", va="bottom", fontsize=SMALL, color="#555555")
        source_note(fig, SOURCE_UZA)
        fig.subplots_adjust(left=0.36, right=0.97, top=0.9, bottom=0.16)
    return fig


def _stack(ax, y: float, values: list[int], labels: list[str], colours: list[str], height: float,
           numbers: bool = False) -> int:
    """One horizontal stacked bar, a legend entry per segment; returns where it ends."""
    left = 0
    for value, label, colour in zip(values, labels, colours, strict=False):
        ax.barh(y, value, left=left, color=colour, height=height, edgecolor="white", label=label)
        if numbers and value >= 5:
            ax.text(left + value / 2, y, f"{value}", ha="center", va="center", color="white",
                    fontsize=9, fontweight="bold")
        left += value
    return left


def consistency_chart(parts: pd.DataFrame, total: int, total_label: str) -> Figure:
    """The parts stacked in one bar against the stated total in another, the gap marked."""
    colours = [PALETTE[c] for c in ("blue", "orange", "green", "purple", "vermillion", "sky", "yellow")]
    with style():
        fig, ax = new_figure((8.0, 4.2))
        labels = [f"{label} ({v})" for label, v in zip(parts["label_en"], parts["value"], strict=True)]
        summed = _stack(ax, 1, list(parts["value"]), labels, colours, 0.5, numbers=True)
        ax.barh(0, total, color=PALETTE["grey"], height=0.5)
        ax.text(total / 2, 0, f"{total}", ha="center", va="center", color="white", fontweight="bold")
        ax.plot([total, total], [-0.4, 1.4], color=PALETTE["ink"], linestyle="--", linewidth=1)
        gap = summed - int(total)
        if gap:
            ax.annotate("", xy=(summed, 0.5), xytext=(total, 0.5),
                        arrowprops={"arrowstyle": "<->", "color": PALETTE["vermillion"], "lw": 1.5})
            ax.text((summed + total) / 2, 0.58, f"{gap:+d}", ha="center", va="bottom",
                    fontsize=10, fontweight="bold", color=PALETTE["vermillion"])
        ax.set_yticks([0, 1])
        ax.set_yticklabels([total_label, f"Entities listed\n(= {summed})"])
        ax.set_xlim(0, max(summed, total) * 1.08)
        ax.set_ylim(-0.45, 2.45)
        ax.legend(loc="upper left", ncol=2, fontsize=SMALL, frameon=False)
        ax.set_xlabel("Count")
        ax.set_title("Entities listed and delegations stated", pad=8)
        source_note(fig, SOURCE_UZA)
        fig.subplots_adjust(left=0.24, right=0.97, top=0.88, bottom=0.2)
    return fig


def state_pool_chart(pool: pd.DataFrame, stated: int, source: str, members: dict | None = None) -> Figure:
    """Distinct states each membership tier adds, stacked, beside the number the article gives.

    With ``members`` (``participation.member_values``), a third bar shows the distinct full
    members of the two organisations, and the gap to the article's count: the states that must be
    observers, dialogue partners or associates even if every full member came.
    """
    colours = [PALETTE[c] for c in ("blue", "sky", "green", "orange", "yellow")]
    with style():
        rows = 3 if members else 2
        fig, ax = new_figure((8.0, 4.5))  # printed at 16 cm wide within the print style's 9 cm
        y_pool, y_stated = rows - 1, 0
        tiers = pool[pool["new to the pool"] > 0]
        left = _stack(ax, y_pool, list(tiers["new to the pool"]),
                      [f"{t} (+{n})" for t, n in zip(tiers["tier"], tiers["new to the pool"], strict=True)],
                      colours, 0.55)
        ax.barh(y_stated, stated, color=PALETTE["grey"], height=0.55)
        ax.text(stated + 0.3, y_stated, f"{stated} states (article)", va="center", fontsize=SMALL)
        loose = int(tiers.loc[tiers["tier"].str.contains("associate"), "new to the pool"].sum())
        if loose:  # the CIS associate member: covered only on a loose reading of "pays membres"
            ax.barh(y_pool, loose, left=left - loose, color="white", height=0.55, hatch="///",
                    edgecolor=PALETTE["orange"])
        strict = f"{left - loose} distinct states"
        label = strict + (f"\n({left} with the CIS\nassociate member)" if loose else "")
        ax.text(left + 0.3, y_pool, label, va="center", fontsize=SMALL)
        labels = ["States present,\nper UzA", "States the wording\ncould cover"]
        if members:
            distinct, others = members["distinct"], members["non_members_at_least"]
            ax.barh(1, distinct, color=PALETTE["blue"], height=0.55)
            ax.text(distinct / 2, 1, f"{distinct}", ha="center", va="center", color="white",
                    fontsize=10, fontweight="bold")
            if others:
                ax.barh(1, others, left=distinct, color="white", height=0.55, hatch="..",
                        edgecolor=PALETTE["grey"])
            ax.text(max(distinct + others, distinct) + 0.3, 1,
                    f"{distinct} full members of the SCO or the CIS\n"
                    f"({members['both']} in both): at least {others} of the\n"
                    f"{stated} are not full members", va="center", fontsize=SMALL)
            labels.insert(1, "Full members\n(SCO or CIS)")
        ax.set_yticks(range(rows))
        ax.set_yticklabels(labels)
        ax.set_xlim(0, left * 1.6)
        ax.set_ylim(-0.5, rows + 0.55)
        ax.legend(loc="upper left", ncol=2, fontsize=SMALL, frameon=False)
        ax.set_xlabel("States")
        ax.set_title(f"The article's {stated} countries, against the pool its wording allows", pad=8)
        source_note(fig, source)
        fig.subplots_adjust(left=0.2, right=0.97, top=0.88, bottom=0.2)
    return fig


def render(fig: Figure, fmt: str) -> bytes:
    """The figure's bytes, with nothing in them that changes from one build to the next."""
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    with style():
        fig.savefig(buffer, format=fmt, dpi=DPI, metadata=metadata)
    return buffer.getvalue()


class ShownFigure:
    """What a notebook cell displays: the chart as SVG, with its alt text in the output's metadata.

    The caption is the cell's (``#| fig-cap:``), its label the cell's id; the report's exporter
    shows the SVG with the alt text and the caption (html.Numbering, the template's data_svg).
    """

    def __init__(self, name: str, svg: bytes, alt: str):
        self.name, self.svg, self.alt = name, svg, alt

    def _repr_mimebundle_(self, include=None, exclude=None):
        data = {"image/svg+xml": self.svg.decode("utf-8"), "text/plain": f"Figure ({self.name})"}
        return data, {"image/svg+xml": {"alt": self.alt}}


def save_figure(fig: Figure, name: str, alt: str, folder: Path = FIGURES) -> ShownFigure:
    """Write name.svg and name.png to folder; return the chart for display, with its alt text."""
    folder.mkdir(parents=True, exist_ok=True)
    svg = render(fig, "svg")
    outputs = {folder / f"{name}.svg": svg, folder / f"{name}.png": render(fig, "png")}
    changed = {path: data for path, data in outputs.items()  # leave identical files untouched
               if not path.exists() or path.read_bytes() != data}
    write_atomically(changed)
    return ShownFigure(name, svg, alt)


def theme_matrix_chart(matrix: pd.DataFrame, statements: pd.DataFrame, codebook: pd.DataFrame) -> Figure:
    """Statements against themes; a filled cell shows the cue words that matched there."""
    labels = dict(zip(codebook["theme"], codebook["label_en"], strict=True))
    attribution = dict(zip(statements["id"], statements["attribution"], strict=True))
    order = dict(zip(statements["id"], statements["order"], strict=True))
    with style():
        fig, ax = new_figure((8.0, 7.0))
        n_rows, n_cols = matrix.shape
        for r, statement in enumerate(matrix.index):
            inferred = attribution[statement] == "unattributed"  # by the article
            for c, theme in enumerate(matrix.columns):
                words = matrix.loc[statement, theme]
                face = ("#FBE3B0" if inferred else PALETTE["blue"]) if words else "#f2f2f2"
                edge = PALETTE["orange"] if inferred and words else "white"
                rect = matplotlib.patches.Rectangle((c + 0.02, r + 0.03), 0.92, 0.88, facecolor=face,
                                                    edgecolor=edge, linewidth=1.5,
                                                    linestyle="--" if inferred and words else "-")
                ax.add_patch(rect)
                if words:
                    wrapped = textwrap.fill(words, 13, break_long_words=False)
                    ax.text(c + 0.48, r + 0.47, wrapped, ha="center", va="center",
                            fontsize=SMALL, linespacing=1.05,
                            color="white" if not inferred else PALETTE["ink"])
        ax.set_xlim(0, n_cols)
        ax.set_ylim(n_rows, 0)
        ax.set_xticks([c + 0.48 for c in range(n_cols)])
        ax.set_xticklabels([textwrap.fill(labels[t], 16) for t in matrix.columns], fontsize=SMALL)
        ax.xaxis.tick_top()
        ax.set_yticks([r + 0.47 for r in range(n_rows)])
        ax.set_yticklabels(
            [f"Statement {order[s]}\n({attribution[s]})" for s in matrix.index], fontsize=SMALL
        )
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_title("Themes in the article's sentences on the message", pad=52)
        source_note(fig, "Source: UzA, paragraphs 4-6; coding by the authors (the codebook, appendix).\n"
                    "Light orange, dashed: not attributed by the article (the president's, by the outside "
                    "versions: 'Who said what').")
        fig.subplots_adjust(left=0.15, right=0.98, top=0.83, bottom=0.09)
    return fig


COVERAGE_STYLE = {"full": (PALETTE["blue"], "white", "full"),
                  "part": (PALETTE["sky"], PALETTE["ink"], "part"),
                  "absent": ("#e6e6e6", "#555555", "–"),
                  "unreadable": ("white", "#999999", "?")}
COVERAGE_LEGEND = {"full": "carries the point in full", "part": "in part",
                   "absent": "does not carry it", "unreadable": "page consulted ends before it"}


def coverage_chart(matrix: pd.DataFrame, row_labels: list[str], column_labels: list[str],
                   source: str, split_before: int | None = None) -> Figure:
    """Points of the message (rows) against versions (columns): carried in full, in part, or not.

    ``split_before``: a column index before which a gap separates two groups of versions.
    """
    with style():
        labels = [textwrap.fill(lab, 40) for lab in row_labels]  # one line for the data's labels
        height = 0.27 * len(matrix) + 2.2  # printed at 16 cm wide within the print style's 12 cm
        fig, ax = new_figure((8.0, height))
        split = len(matrix.columns) if split_before is None else split_before
        gap = [0.35 if c >= split else 0 for c in range(len(matrix.columns))]
        for r, point in enumerate(matrix.index):
            for c, version in enumerate(matrix.columns):
                level = matrix.loc[point, version]
                face, ink, word = COVERAGE_STYLE[level]
                ax.add_patch(matplotlib.patches.Rectangle(
                    (c + gap[c] + 0.05, r + 0.07), 0.9, 0.86, facecolor=face, linewidth=0.8,
                    edgecolor="#aaaaaa" if level == "unreadable" else "white",
                    linestyle=":" if level == "unreadable" else "-"))
                ax.text(c + gap[c] + 0.5, r + 0.5, word, ha="center", va="center", fontsize=SMALL,
                        color=ink)
        ax.set_xlim(0, len(matrix.columns) + max(gap))
        ax.set_ylim(len(matrix), 0)
        ax.set_xticks([c + gap[c] + 0.5 for c in range(len(matrix.columns))])
        ax.set_xticklabels(column_labels, fontsize=SMALL, rotation=40, ha="left", rotation_mode="anchor")
        ax.xaxis.tick_top()
        ax.set_yticks([r + 0.5 for r in range(len(matrix))])
        ax.set_yticklabels(labels, fontsize=SMALL, linespacing=1.0)
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        fig.suptitle("The president's message point by point: which version carries what",
                     x=0.01, y=0.995, ha="left", va="top", fontsize=12, fontweight="bold")
        handles = [matplotlib.patches.Patch(facecolor=COVERAGE_STYLE[k][0], edgecolor="#aaaaaa",
                                            linestyle=":" if k == "unreadable" else "-", label=label)
                   for k, label in COVERAGE_LEGEND.items()]
        fig.legend(handles=handles, loc="lower right", ncol=4, fontsize=SMALL, frameon=False,
                   bbox_to_anchor=(0.99, 0.035))
        source_note(fig, source)
        fig.subplots_adjust(left=0.39, right=0.93, top=1 - 1.25 / height, bottom=0.6 / height)
    return fig


SERIES_COLOURS = {"rats": PALETTE["blue"], "cis": PALETTE["orange"], "joint": PALETTE["purple"]}
SERIES_NAMES = {"rats": "RATS conference", "cis": "CIS conference", "joint": "joint (RATS 10 + CIS 2)"}
QUALIFIER_MARKERS = {"about": ("o", "about"), "more_than": ("^", "more than"), None: ("s", "exact")}


def series_chart(table: pd.DataFrame, baseline: int | None = None,
                 source: str = "Sources: the pages listed for each edition in the appendix; one point per "
                               "value a page gives") -> Figure:
    """The RATS and CIS conferences on a time axis: which editions are reported, head counts, states.

    Three panels on one axis of dates (an edition at the first day any page gives; a page that
    gives only a month or a year places it mid-month or mid-year, ``series.when``), each panel in
    its own unit: the editions any page reports; the head counts pages give (with ``baseline``,
    the size the series had grown to by the concept note, as a dashed line); the number of states.
    Each distinct value an edition's pages give is one point, so two pages that disagree show as
    two points.
    """
    editions = series.editions(table)
    data = table.merge(editions, left_on="event", right_index=True)
    first, last = int(editions["year"].min()), int(editions["year"].max())
    with style():
        fig = Figure(figsize=(8.0, 6.6))
        grid = fig.add_gridspec(3, 1, height_ratios=[1.3, 2.3, 2.3], hspace=0.42)
        top, heads, states = (fig.add_subplot(grid[i]) for i in range(3))
        for ax in (heads, states):
            ax.sharex(top)
        lanes = {"rats": 1.0, "joint": 0.5, "cis": 0.0}
        x = {event: matplotlib.dates.date2num(date) for event, date in editions["date"].items()}
        for event, edition in editions.iterrows():
            lane = lanes[edition["series"]]
            top.scatter(x[event], lane, s=60, color=SERIES_COLOURS[edition["series"]], zorder=3)
            name = edition["label"].replace("RATS ", "").replace("CIS ", "")
            if edition["series"] == "joint":
                name = edition["label"].replace(" + ", "\n+ ")
            top.text(x[event], lane + (0.22 if lane < 1 else -0.22), name, ha="center",
                     va="bottom" if lane < 1 else "top", fontsize=SMALL, color=PALETTE["ink"])
        top.set_yticks([1.0, 0.0])
        top.set_yticklabels(["RATS", "CIS"], fontsize=SMALL)
        top.set_ylim(-0.35, 1.35)
        top.set_title("Editions, numbered, where pages report them", fontsize=10, pad=4)
        top.tick_params(labelbottom=False, length=0)
        top.spines["left"].set_visible(False)

        def points(ax, column, style_of):
            values = data.dropna(subset=[column]).drop_duplicates(["event", column])
            for row in values.itertuples():
                marker, face = style_of(row)
                colour = SERIES_COLOURS[row.series]
                ax.scatter(x[row.event], getattr(row, column), s=55, marker=marker,
                           zorder=3, color=colour if face else "white", edgecolors=colour, linewidths=1.5)
            for event, group in values.groupby("event", sort=False):  # pages that differ: one label
                label = " / ".join(str(v) for v in sorted(group[column]))
                before = group["series"].iloc[0] == "cis"  # CIS left, RATS right: 2023 and 2025 hold both
                ax.text(x[event] + (-75 if before else 75), max(group[column]), label, va="center",
                        ha="right" if before else "left", fontsize=SMALL, color=PALETTE["ink"])
            ax.yaxis.grid(True, color="#e5e5e5")
            ax.set_axisbelow(True)

        def head_style(row):
            qualifier = row.participants_qualifier if pd.notna(row.participants_qualifier) else None
            return QUALIFIER_MARKERS[qualifier][0], True

        points(heads, "participants", head_style)
        left = matplotlib.dates.date2num(pd.Timestamp(f"{first}-01-01"))
        right = matplotlib.dates.date2num(pd.Timestamp(f"{last + 1}-04-01"))  # room for a label
        if baseline is not None:
            heads.axhline(baseline, color=PALETTE["grey"], linestyle="--", linewidth=1)
            heads.text(left + 30, baseline + 8, f"RATS series 'has grown to {baseline}' (concept note)",
                       fontsize=SMALL, color="#555555", va="bottom")
        heads.set_ylim(0, max([*data["participants"].dropna(), baseline or 0, 1]) * 1.35)
        heads.set_ylabel("People", fontsize=SMALL)
        heads.set_title("Head count, where a page gives one", fontsize=10, pad=4)
        heads.tick_params(labelbottom=False)

        points(states, "states", lambda row: ("o", row.states_basis == "stated"))
        states.set_ylim(0, max([*data["states"].dropna(), 1]) * 1.3)
        states.set_ylabel("States", fontsize=SMALL)
        states.set_title("States taking part (hollow: counted from the names a page gives)",
                         fontsize=10, pad=4)
        states.set_xlim(left, right)
        states.xaxis.set_major_locator(matplotlib.dates.YearLocator())
        states.xaxis.set_major_formatter(matplotlib.dates.DateFormatter("%Y"))
        states.tick_params(axis="x", labelsize=SMALL)
        for ax in (top, heads, states):
            ax.xaxis.grid(True, color="#eeeeee")  # a line at each 1 January: a point sits in its year
            ax.set_axisbelow(True)
        handles = [matplotlib.patches.Patch(color=c, label=SERIES_NAMES[k])
                   for k, c in SERIES_COLOURS.items()]
        counted = data.dropna(subset=["participants"])["participants_qualifier"]
        shown = {None if pd.isna(q) else q for q in counted}  # a marker in the legend only if drawn
        handles += [matplotlib.lines.Line2D([], [], marker=m, linestyle="", color=PALETTE["ink"],
                                            label=f"head count: {word}")
                    for q, (m, word) in QUALIFIER_MARKERS.items() if q in shown]
        fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=SMALL, frameon=False,
                   bbox_to_anchor=(0.5, 0.04))
        fig.suptitle("The RATS and CIS counter-terrorism conferences, edition by edition",
                     x=0.01, y=0.995, ha="left", va="top", fontsize=12, fontweight="bold")
        source_note(fig, source)
        fig.subplots_adjust(left=0.1, right=0.97, top=0.9, bottom=0.18)
    return fig
