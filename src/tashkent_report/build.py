"""Build the report: check the data, execute the notebooks, render HTML and PDF.

``python -m tashkent_report.build`` prints each step with its time; any failure names the
file (and the notebook cell) and exits non-zero, and nothing in ``reports/`` is replaced
until every output of the build exists, so the last good report survives a failed build.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from . import __version__
from .config import DATA, NOTEBOOKS, REPORTS, ROOT, relative

TEMPLATES = Path(__file__).parent / "templates"
PACKAGE = Path(__file__).parent
FINGERPRINT = ".inputs.sha256"
# Everything a build reads; if none of it changed, the last build's reports stand.
INPUT_GLOBS = [
    (NOTEBOOKS, "[0-9][0-9]-*.ipynb"),
    (DATA, "**/*"),
    (PACKAGE, "**/*.py"),
    (PACKAGE, "templates/**/*"),
    (ROOT, "requirements.txt"),
    (ROOT, "pyproject.toml"),
]


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
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    from .kernels import AsyncIPCKernelManager

    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", record_timing=False,
        kernel_manager_class=AsyncIPCKernelManager,
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        # The kernel's own stderr is only its start-up chatter; errors come back as cell outputs.
        client.execute(stderr=subprocess.DEVNULL)
    except CellExecutionError as exc:
        index, ename, evalue = _failed_cell(nb)
        cell_id = nb.cells[index].get("id", "?") if index >= 0 else "?"
        raise BuildError(
            f"{relative(path)}, cell {index + 1} (id {cell_id}) failed: {ename}: {evalue}"
        ) from exc
    return nb


def fingerprint() -> str:
    """sha256 over the names and bytes of every input of the build."""
    import hashlib

    digest = hashlib.sha256()
    for folder, pattern in INPUT_GLOBS:
        for path in sorted(p for p in folder.glob(pattern) if p.is_file() and "__pycache__" not in p.parts):
            digest.update(f"{folder.name}/{path.relative_to(folder).as_posix()}".encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def report_meta(article: dict, inputs: str) -> dict:
    """What the title block and the PDF metadata say."""
    source = article["sources"][0]
    return {
        "title": "Countering terrorism in Tashkent: the joint RATS SCO and CIS conferences, "
        "as UzA reported them",
        "subtitle": "The 10th International Conference of the SCO's Regional Anti-Terrorist "
        "Structure and the 2nd CIS Conference on countering terrorism and extremism, read from "
        "one French article by UzA, the national news agency of Uzbekistan",
        "source": f"{source['title']}: {source['path']}",
        "date_note": "The article gives no date. The conferences were held on 4-5 September 2024 "
        "(context, not from the article: RATS SCO concept note, ecrats.org; EAG, eurasiangroup.org).",
        "version": f"{__version__}, inputs {inputs[:12]}",
        "author": "tashkent-report project",
        "subject": "Participation figures and the themes of President Mirziyoyev's message at the "
        "joint RATS SCO / CIS counter-terrorism conferences in Tashkent, from one UzA article",
    }


WORKERS = max(1, min(4, os.cpu_count() or 1))


def execute_all(paths: list[Path]) -> list[tuple[Path, object]]:
    """Execute notebooks side by side (each its own kernel process); report each as it ends."""
    from concurrent.futures import ThreadPoolExecutor

    def run(path: Path):
        started = time.perf_counter()
        nb = execute(path)
        print(f"    executed {relative(path)} in {time.perf_counter() - started:.1f} s", flush=True)
        return nb

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(pool.map(run, paths))
    return list(zip(paths, results, strict=True))


def combine(executed: list[tuple[Path, object]]):
    """One notebook holding every chapter's cells, in order, with ids kept unique."""
    import nbformat

    book = nbformat.v4.new_notebook()
    book.metadata = dict(executed[0][1].metadata)
    for path, nb in executed:
        prefix = path.stem.split("-", 1)[0]
        for cell in nb.cells:
            cell = nbformat.from_dict(cell)
            cell.id = f"n{prefix}-{cell.get('id', '')}"
            book.cells.append(cell)
    return book


def to_html(nb, meta: dict, analyst: bool = False) -> str:
    """Render with the report exporter (the one `jupyter nbconvert --to report_html` uses).

    Readers' edition: no code at all. Analysts' edition: code shown, cells tagged hide-input
    folded; cells tagged remove-input or remove-cell are left out of both. A cross-reference
    that points nowhere stops the build.
    """
    from .exporters import BrokenReferences, ReportHTMLExporter

    exporter = ReportHTMLExporter(analyst=analyst, strict_references=True)
    try:
        html, _ = exporter.from_notebook_node(nb, resources={"report": meta})
    except BrokenReferences as exc:
        raise BuildError(str(exc)) from exc
    return html


def to_pdf(html: str) -> bytes:
    """The A4 PDF (the one `jupyter nbconvert --to report_pdf` writes), clock-independent."""
    from .exporters import write_pdf

    return write_pdf(html)


def write_atomically(outputs: dict[Path, bytes]) -> None:
    """Write every file beside its target first, then move them all into place."""
    staged = []
    try:
        for target, data in outputs.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
            staged.append((tmp, target))
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        for tmp, target in staged:
            os.replace(tmp, target)
    finally:
        for tmp, _ in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)


def up_to_date(out: Path, inputs: str) -> bool:
    stamp = out / FINGERPRINT
    outputs = [out / "report.html", out / "report-analyst.html", out / "report.pdf"]
    return stamp.is_file() and stamp.read_text().strip() == inputs and all(p.is_file() for p in outputs)


def build(out: Path = REPORTS, force: bool = False) -> dict[Path, bytes]:
    inputs = fingerprint()
    if not force and up_to_date(out, inputs):
        print(f"Report up to date: no input changed since the last build ({relative(out)}/{FINGERPRINT}).")
        return {}
    from .dataset import load_facts

    print("Building the report")
    with step("checking data/ (hash, schemas, quotes, numeral audit)"):
        facts = load_facts()
    meta = report_meta(facts.article, inputs)
    paths = notebooks()
    print(f"  executing {len(paths)} notebooks, {WORKERS} at a time, each in a fresh kernel")
    started = time.perf_counter()
    executed = execute_all(paths)
    print(f"  executed all notebooks in {time.perf_counter() - started:.1f} s")
    book = combine(executed)
    outputs = {}
    with step("rendering HTML (readers' and analysts' editions)"):
        html = to_html(book, meta)
        outputs[out / "report.html"] = html.encode("utf-8")
        outputs[out / "report-analyst.html"] = to_html(book, meta, analyst=True).encode("utf-8")
    with step("rendering PDF (WeasyPrint)"):
        outputs[out / "report.pdf"] = to_pdf(html)
    outputs[out / FINGERPRINT] = (inputs + "\n").encode("ascii")
    with step(f"writing {', '.join(relative(p) for p in outputs if p.name != FINGERPRINT)}"):
        write_atomically(outputs)
    return outputs


def execute_in_place() -> None:
    """Re-execute every notebook, each in a fresh kernel, and save it with its outputs."""
    import nbformat

    for path, nb in execute_all(notebooks()):
        nbformat.write(nb, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--execute-in-place", action="store_true", help="re-execute the notebooks and save them"
    )
    parser.add_argument("--force", action="store_true", help="build even if no input changed")
    parser.add_argument("--out", type=Path, default=REPORTS, help="folder for the reports")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    from .dataset import DataError

    try:
        execute_in_place() if args.execute_in_place else build(args.out, force=args.force)
    except (DataError, BuildError) as exc:
        print(f"\nBuild stopped: {exc}\nThe previous report, if any, is left in place.", file=sys.stderr)
        return 1
    print(f"Done in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
