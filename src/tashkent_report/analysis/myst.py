"""MyST in the notebooks, read with markdown-it-py and mdit-py-plugins, as JupyterLab's MyST reads it.

- Markdown cells: the ``{eval}`` role and its results. A number in the prose names a value:
  ``{eval}`fig.delegations```; JupyterLab with jupyterlab-myst (and the build) stores each
  expression's result in the cell's metadata, ``user_expressions``: a list of
  ``{"expression": ..., "result": {"status", "data", "metadata"}}``, one entry per occurrence in
  order (the same expression twice, two entries), each result as the kernel returned it.
- What an expression may be (:func:`refusal`): it reads a value, it never computes; and what its
  result may show (:func:`result_refusal`): short text, or the HTML of the report's own
  presentation types (``prose.Value``, ``Phrase``, ``cite``), nothing else.
- Code cells: the options a cell states in ``#|`` comment lines at its top, as Quarto and MyST
  write them (``#| tbl-cap: …``, ``#| fig-cap: …``): YAML.

Pure reading; evaluating expressions in a kernel is the build's (``render.expressions``).
"""

from __future__ import annotations

import ast
import functools
import re

import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.myst_blocks import myst_block_plugin
from mdit_py_plugins.myst_role import myst_role_plugin

from tashkent_report.errors import shortened

METADATA = "user_expressions"
OPTION = "#|"
# jupyterlab-myst shows a text/plain result without the quotes of a string's repr.
_REPR_QUOTES = re.compile(r"""^(["'])(.*)\1$""", re.DOTALL)

# The functions prose may call: the presentation helpers the notebooks name (cite = prose.citer),
# and len, a count of a value the cells above computed. Anything else is computed in a code cell.
CALLS = ("cite", "len")
# The longest result a reader may see in a sentence, markup included. The longest today is 446
# characters (six linked citations) and the longest phrase 367 (ten points, one list): 500 leaves a
# margin for a source or two more, and is still a sentence, not a page.
CAP = 500
# The mark the report's presentation types put on their HTML (``prose.Value`` and the others:
# ``_repr_html_`` returns it as the HTML's metadata). It says which HTML to check against their
# form (PROJECT_HTML); anyone can forge it, so the form is checked too.
MARK = "tashkent_report"
_TEXT = r"[^<>]*"
_HREF = r'"(?:[\w-]+\.ipynb)?#[\w.:-]+"'
# What prose.py writes: escaped text, links to a quote or a source (Value, cite), a number alone.
PROJECT_HTML = re.compile(
    rf'(?:<a (?:class="num" )?href={_HREF}>{_TEXT}</a>|<span class="num">{_TEXT}</span>|[^<>])*')
_WHAT = {ast.BinOp: "an operator", ast.UnaryOp: "an operator", ast.BoolOp: "an operator",
         ast.Compare: "a comparison", ast.Lambda: "a lambda", ast.IfExp: "a conditional",
         ast.ListComp: "a comprehension", ast.SetComp: "a comprehension", ast.DictComp: "a comprehension",
         ast.GeneratorExp: "a comprehension", ast.JoinedStr: "an f-string",
         ast.NamedExpr: "an assignment (:=)", ast.Await: "an await", ast.Yield: "a yield",
         ast.YieldFrom: "a yield", ast.Starred: "a starred argument",
         ast.Slice: "a slice", ast.List: "a list", ast.Tuple: "a tuple", ast.Set: "a set", ast.Dict: "a dict"}


@functools.cache
def parser() -> MarkdownIt:
    """CommonMark with raw HTML, GFM tables and MyST roles and blocks."""
    return MarkdownIt("commonmark", {"html": True}).use(myst_role_plugin).use(myst_block_plugin).enable(
        ["table", "strikethrough"])


def inline_tokens(source: str):
    """Every inline token of the Markdown, in order (roles, text, links…)."""
    for block in parser().parse(source):
        yield from block.children or ()


def is_eval(token) -> bool:
    return token.type == "myst_role" and token.meta.get("name") == "eval"


def expressions(source: str) -> list[str]:
    """The ``{eval}`` expressions of a Markdown cell, every occurrence, in order, as jupyterlab-myst
    sends and stores them."""
    return [token.content for token in inline_tokens(source) if is_eval(token)]


class Refused(ValueError):
    """Not a value to read: an expression that computes, or a result prose does not show."""


def refusal(expression: str) -> str | None:
    """Why an ``{eval}`` expression is not a value to read, or None.

    Allowed: a name, its attributes, a subscript by a literal string or integer, and calls of the
    presentation helpers (``CALLS``) whose arguments are the same or literals. No name or
    attribute that starts with an underscore (``__import__``, ``__class__``, private ones).
    """
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        return f"is not a Python expression ({exc.msg})"
    try:
        _value(tree.body, argument=False)
    except Refused as exc:
        return (f"is refused: {exc}; an {{eval}} expression only names a value (a name, its "
                f"attributes, a subscript by a literal, {' or '.join(f'{c}(…)' for c in CALLS)}): "
                "compute anything else in a code cell above")
    return None


def _value(node, argument: bool) -> None:
    if isinstance(node, ast.Name):
        _public(node.id)
    elif isinstance(node, ast.Attribute):
        _public(node.attr)
        _value(node.value, argument=False)
    elif isinstance(node, ast.Subscript):
        if not (isinstance(node.slice, ast.Constant) and type(node.slice.value) in (str, int)):
            raise Refused("it subscripts by something other than a literal string or integer")
        _value(node.value, argument=False)
    elif isinstance(node, ast.Call):
        if not (isinstance(node.func, ast.Name) and node.func.id in CALLS):
            called = shortened(ast.unparse(node.func), 40)
            raise Refused(f"it calls {called}(), which is not one of the presentation helpers "
                          f"prose may call ({', '.join(CALLS)})")
        for item in [*node.args, *(keyword.value for keyword in node.keywords)]:
            _value(item, argument=True)
        if any(keyword.arg is None for keyword in node.keywords):
            raise Refused("it unpacks keyword arguments (**)")
    elif isinstance(node, ast.Constant) and argument and type(node.value) in (str, int, float, bool):
        pass
    elif isinstance(node, ast.Constant):
        raise Refused("it types a literal, which does not come from the data: write it as text")
    else:
        raise Refused(f"it holds {_WHAT.get(type(node), type(node).__name__)}")


def _public(name: str) -> None:
    if name.startswith("_"):
        raise Refused(f"it names {name}, a special or private name")


def stored(cell) -> dict[str, dict]:
    """{expression: result} from a cell's metadata."""
    return {item["expression"]: item["result"] for item in cell.get("metadata", {}).get(METADATA, [])}


def result_refusal(result: dict) -> str | None:
    """Why a (successful) result is not shown in prose, or None: plain text, or the HTML of the
    report's own presentation types (marked with ``MARK`` and of their form), at most ``CAP``
    characters."""
    data = result.get("data", {})
    other = sorted(set(data) - {"text/plain", "text/html"})
    if other:
        return (f"shows {', '.join(other)}, not text: prose shows plain text or the report's own "
                "links; show anything else as a code cell's output")
    _, text = shown(result)
    if not isinstance(text, str):
        return f"shows a {type(text).__name__}, not text"
    if len(text) > CAP:
        return (f"shows {len(text):,} characters, more than the {CAP} a sentence may hold: name a "
                "shorter value, or show it as a table or a code cell's output")
    if "text/html" in data:
        markup = data["text/html"]
        mark = result.get("metadata", {}).get("text/html")
        marked = isinstance(mark, dict) and MARK in mark
        if not marked:
            return ("shows HTML that is not one of the report's presentation types (prose.Value, "
                    "prose.Phrase, cite): prose shows plain text or the report's own links")
        if not PROJECT_HTML.fullmatch(markup):
            return (f"shows HTML marked as the report's own that is not of their form: "
                    f"{shortened(markup, 80)!r}")
    return None


def shown(result: dict) -> tuple[str, str]:
    """(kind, text) of a result as the reader sees it: 'html' or 'text'."""
    data = result.get("data", {})
    if "text/html" in data:
        return "html", data["text/html"]
    text = data.get("text/plain", "")
    match = _REPR_QUOTES.match(text) if isinstance(text, str) else None
    return "text", match.group(2) if match else text


def prose(source: str) -> tuple[list[str], list[str]]:
    """What a reader reads of a Markdown cell: one line of text per block (headings, paragraphs,
    list items; no markup, list numbers, link targets or code), each ``{eval}`` role a space; and
    the roles' expressions, in order."""
    lines, roles = [], []
    for block in parser().parse(source):
        if block.type != "inline":
            continue
        pieces = []
        for token in block.children or ():
            if token.type == "text":
                pieces.append(token.content)
            elif token.type in ("softbreak", "hardbreak", "code_inline", "html_inline", "myst_role"):
                pieces.append(" ")
                if is_eval(token):
                    roles.append(token.content)
        lines.append("".join(pieces))
    return lines, roles


def options(source: str) -> tuple[dict, str]:
    """A code cell's ``#|`` options (YAML) and the code after them."""
    lines = source.splitlines(keepends=True)
    count = next((i for i, line in enumerate(lines) if not line.startswith(OPTION)), len(lines))
    if not count:
        return {}, source
    found = yaml.safe_load("".join(line[len(OPTION):].removeprefix(" ") for line in lines[:count]))
    return (found if isinstance(found, dict) else {}), "".join(lines[count:])
