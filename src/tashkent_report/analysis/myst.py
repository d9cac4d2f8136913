"""MyST in the notebooks, read with markdown-it-py and mdit-py-plugins, as JupyterLab's MyST reads it.

- Markdown cells: the ``{eval}`` role and its results. A number in the prose names a value:
  ``{eval}`fig.delegations```; JupyterLab with jupyterlab-myst (and the build) stores each
  expression's result in the cell's metadata, ``user_expressions``: a list of
  ``{"expression": ..., "result": {"status", "data", "metadata"}}``.
- Code cells: the options a cell states in ``#|`` comment lines at its top, as Quarto and MyST
  write them (``#| tbl-cap: …``, ``#| fig-cap: …``): YAML.

Pure reading; evaluating expressions in a kernel is the build's (``render.expressions``).
"""

from __future__ import annotations

import functools
import re

import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.myst_blocks import myst_block_plugin
from mdit_py_plugins.myst_role import myst_role_plugin

METADATA = "user_expressions"
OPTION = "#|"
# jupyterlab-myst shows a text/plain result without the quotes of a string's repr.
_REPR_QUOTES = re.compile(r"""^(["'])(.*)\1$""", re.DOTALL)


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
    """The ``{eval}`` expressions of a Markdown cell, each once, in the order they first appear."""
    return list(dict.fromkeys(token.content for token in inline_tokens(source) if is_eval(token)))


def stored(cell) -> dict[str, dict]:
    """{expression: result} from a cell's metadata."""
    return {item["expression"]: item["result"] for item in cell.get("metadata", {}).get(METADATA, [])}


def shown(result: dict) -> tuple[str, str]:
    """(kind, text) of a result as the reader sees it: 'html', 'markdown' or 'text'."""
    data = result.get("data", {})
    if "text/html" in data:
        return "html", data["text/html"]
    if "text/markdown" in data:
        return "markdown", data["text/markdown"]
    text = data.get("text/plain", "")
    match = _REPR_QUOTES.match(text)
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
