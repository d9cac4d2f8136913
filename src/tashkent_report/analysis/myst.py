"""MyST in the notebooks' Markdown: the ``{eval}`` role and its results, and targets.

Pure reading of a notebook's Markdown cells and their ``user_expressions`` metadata (where
jupyterlab-myst, mystmd and the build store each expression's result); evaluating them in a
kernel is the build's (``tashkent_report.render.expressions``).
"""

from __future__ import annotations

import re

METADATA = "user_expressions"
# The role, not a mention of it in inline code (``{eval}`` preceded by a backtick).
ROLE = re.compile(r"(?<!`)\{eval\}`([^`\n]+)`")
# A target, ``(sec-1.4)=`` alone on the line before a heading: the label that a link within the
# notebook (``[§1.4](#sec-1.4)``) names, which jupyterlab-myst makes a cross-reference.
TARGET = re.compile(r"^\(([^()\s]+)\)=[ \t]*$", re.MULTILINE)
# jupyterlab-myst shows a text/plain result without the quotes of a string's repr.
_REPR_QUOTES = re.compile(r"""^(["'])(.*)\1$""", re.DOTALL)


def expressions(source: str) -> list[str]:
    """The expressions of a Markdown cell, each once, in the order they first appear."""
    return list(dict.fromkeys(match.group(1) for match in ROLE.finditer(source)))


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


def targets(source: str) -> list[str]:
    """The labels of a Markdown cell's MyST targets, in order."""
    return TARGET.findall(source)


def without_targets(source: str) -> str:
    """The Markdown without its target lines: what a renderer that does not know MyST should get."""
    return TARGET.sub("", source).lstrip("\n")
