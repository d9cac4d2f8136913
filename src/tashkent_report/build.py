"""Build the report: check the data, execute the notebooks, render HTML and PDF.

``python -m tashkent_report.build`` prints each step with its time; any failure names the
file (and the notebook cell) and exits non-zero, and nothing in ``reports/`` is replaced
until every output of the build exists, so the last good report survives a failed build.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import nbformat

from .config import NOTEBOOKS, REPORTS, ROOT, relative
from .dataset import DataError, load_facts

TEMPLATES = Path(__file__).parent / "templates"


class BuildError(Exception):
    """A build step failed; the message names the notebook and cell or the data file."""


def notebooks(folder: Path = NOTEBOOKS) -> list[Path]:
    """The chapters, in the order their numbers give."""
    return sorted(folder.glob("[0-9][0-9]-*.ipynb"))


@contextmanager
def step(label: str):
    print(f"  {label} ...", end="", flush=True)
    started = time.perf_counter()
    try:
        yield
    except BaseException:
        print(" failed", flush=True)
        raise
    print(f" {time.perf_counter() - started:.1f} s", flush=True)


def _failed_cell(nb) -> tuple[int, str, str]:
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return index, output.get("ename", "Error"), output.get("evalue", "")
    return -1, "Error", ""


def execute(path: Path, timeout: int = 600):
    """Run a notebook top to bottom in a fresh kernel, from its own folder."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    try:
        client.execute()
    except CellExecutionError as exc:
        index, ename, evalue = _failed_cell(nb)
        cell_id = nb.cells[index].get("id", "?") if index >= 0 else "?"
        raise BuildError(
            f"{relative(path)}, cell {index + 1} (id {cell_id}) failed: {ename}: {evalue}"
        ) from exc
    return nb


def combine(executed: list[tuple[Path, object]]):
    """One notebook holding every chapter's cells, in order, with ids kept unique."""
    book = nbformat.v4.new_notebook()
    book.metadata = dict(executed[0][1].metadata)
    for path, nb in executed:
        prefix = path.stem.split("-", 1)[0]
        for cell in nb.cells:
            cell = nbformat.from_dict(cell)
            cell.id = f"n{prefix}-{cell.get('id', '')}"
            book.cells.append(cell)
    return book


def to_html(nb, analyst: bool = False) -> str:
    """Render with the project's offline template; readers' edition hides all code."""
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config

    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = {"remove-cell"}
    config.TagRemovePreprocessor.remove_input_tags = {"remove-input"} if analyst else set()
    exporter = HTMLExporter(
        config=config,
        template_name="report",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=not analyst,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    exporter.register_preprocessor(TagRemovePreprocessor(config=config), enabled=True)
    css = (TEMPLATES / "report" / "report.css").read_text(encoding="utf-8")
    body, _ = exporter.from_notebook_node(
        nb, resources={"report_css": css, "edition": "analyst" if analyst else "reader"}
    )
    return body


def to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=str(ROOT)).write_pdf()


def write_atomically(outputs: dict[Path, bytes]) -> None:
    """Write every file beside its target first, then move them all into place."""
    staged = []
    try:
        for target, data in outputs.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            staged.append((tmp, target))
        for tmp, target in staged:
            os.replace(tmp, target)
    finally:
        for tmp, _ in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)


def build(out: Path = REPORTS) -> dict[Path, bytes]:
    print("Building the report")
    with step("checking data/ (hash, schemas, quotes, numeral audit)"):
        load_facts()
    executed = []
    for path in notebooks():
        with step(f"executing {relative(path)}"):
            executed.append((path, execute(path)))
    book = combine(executed)
    outputs = {}
    with step("rendering HTML (readers' and analysts' editions)"):
        html = to_html(book)
        outputs[out / "report.html"] = html.encode("utf-8")
        outputs[out / "report-analyst.html"] = to_html(book, analyst=True).encode("utf-8")
    with step("rendering PDF (WeasyPrint)"):
        outputs[out / "report.pdf"] = to_pdf(html)
    with step(f"writing {', '.join(relative(p) for p in outputs)}"):
        write_atomically(outputs)
    return outputs


def execute_in_place() -> None:
    """Re-execute every notebook and save it with its outputs (for committing)."""
    for path in notebooks():
        with step(f"executing {relative(path)} in place"):
            nbformat.write(execute(path), path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--execute-in-place", action="store_true", help="re-execute the notebooks and save them"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        execute_in_place() if args.execute_in_place else build()
    except (DataError, BuildError) as exc:
        print(f"\nBuild stopped: {exc}\nThe previous report, if any, is left in place.", file=sys.stderr)
        return 1
    print(f"Done in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
