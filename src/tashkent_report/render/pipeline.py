"""Build the report: check the data, execute the notebooks, audit the prose's numbers, render HTML and
PDF, switch ``reports/`` (publish.py). Every failure ends in one message, "Build stopped: ...", naming
the file (notebook, cell) and what to do; status 1, or 130/143 for SIGINT/SIGTERM; --debug: traceback."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from contextlib import contextmanager, suppress
from pathlib import Path

from tashkent_report.config import NOTEBOOKS, REPORTS, chapters, relative
from tashkent_report.errors import BuildError
from tashkent_report.render import execution, publish
from tashkent_report.render.interrupts import SIGNALS, Interrupted, raised_as_exceptions, swallowed
from tashkent_report.render.meta import fingerprint, report_meta

FINGERPRINT = ".inputs.sha256"
OUTPUT_NAMES = ("report.html", "report-analyst.html", "report.pdf", FINGERPRINT)  # all a build writes
HEARTBEAT = 30.0  # seconds between "still working" notes in a long step
WORKERS = max(1, min(4, os.cpu_count() or 1))
DOING = [""]  # the step under way, for the message of an interrupted build
DONE = [""]  # what a finished build left, for a signal that comes after it
OUTSIDE: list[int] = []  # signals that came before main's handlers were in place, or after
notebooks = chapters  # the chapters, in the order their numbers give
# pdf.write_pdf as the exporters call it, in a process of its own: same HTML and SOURCE_DATE_EPOCH.
PDF_WORKER = [sys.executable, "-m", "tashkent_report.render.pdf"]


@contextmanager
def step(label: str):
    """Print a step, then its time; a note every HEARTBEAT seconds while it runs (and which cells)."""
    swallowed()  # a signal dropped during the step before stops the build here
    print(f"  {label} ...", end="", flush=True)
    DOING[0], started, done = label.split(" (")[0], time.perf_counter(), threading.Event()

    def heartbeat():
        while not done.wait(HEARTBEAT):
            cells = execution.running()
            print(f" (still working, {time.perf_counter() - started:.0f} s{': ' * bool(cells)}{cells})",
                  end="", flush=True)

    threading.Thread(target=heartbeat, daemon=True).start()
    try:
        yield
    except BaseException as exc:
        print(" interrupted" if isinstance(exc, Interrupted) else " failed", flush=True)
        raise
    finally:
        done.set()
    print(f" {time.perf_counter() - started:.1f} s", flush=True)


def execute(path: Path, timeout: int = execution.CELL_TIMEOUT):
    """Run a notebook top to bottom in a fresh kernel, from its own folder."""
    return execution.execute([path], timeout, workers=1)[0][1]


def execute_all(paths: list[Path], timeout: int = execution.CELL_TIMEOUT) -> list[tuple[Path, object]]:
    """Execute notebooks side by side; a chapter whose metadata says it audits the report reads the others."""
    auditors = [p for p in paths if execution.load_notebook(p).metadata.get("tashkent_report", {})
                .get("audits_the_report")]
    return execution.execute(paths, timeout, WORKERS, auditors)


def combine(executed: list[tuple[Path, object]]):
    """One notebook holding every chapter's cells, in order, with ids kept unique; its metadata's
    ``cells_from`` says where each came from, as JupyterLab numbers the cells (for messages)."""
    import nbformat

    from tashkent_report.render.html import book_cell_id

    book = nbformat.v4.new_notebook(metadata={**executed[0][1].metadata, "cells_from": {}})
    for path, nb in executed:
        for index, cell in enumerate(map(nbformat.from_dict, nb.cells)):
            own = cell.get("id", "")
            cell.id = book_cell_id(path.stem, own)
            book.metadata["cells_from"][cell.id] = f"{relative(path)}, cell {index + 1} (id {own})"
            book.cells.append(cell)
    return book


def to_html(nb, meta: dict, analyst: bool = False) -> str:
    """The readers' or the analysts' edition, as `jupyter nbconvert --to report` renders it, strictly."""
    from traitlets.config import Config

    from tashkent_report.render.exporters import BrokenReferences, ReportHTMLExporter
    from tashkent_report.render.expressions import ExpressionError
    from tashkent_report.render.html import StructureError

    exporter = ReportHTMLExporter(config=Config({"RenderMarkdown": {"strict": True}}), analyst=analyst,
                                  strict_references=True)
    hint = "Correct the cell in JupyterLab (make lab), then run make report again."

    def where(cell_id: str) -> str:  # the notebook and cell, as combine recorded them
        return nb.metadata.get("cells_from", {}).get(cell_id, f"cell {cell_id}")
    try:
        return exporter.from_notebook_node(nb, resources={"report": meta})[0]
    except BrokenReferences as exc:
        broken = (f"#{fragment} in {where(cell)}" for fragment, cell in exc.broken)
        raise BuildError(f"cross-references point nowhere: {'; '.join(broken)}", hint) from exc
    except ExpressionError as exc:
        raise BuildError(f"{where(exc.cell_id)}: {exc.what}", hint) from exc
    except StructureError as exc:
        other = f"; the other is {where(exc.other)}" * bool(exc.other)
        raise BuildError(f"{where(exc.cell_id)}: {exc.detail}{other}", hint) from exc


@contextmanager
def pdf_worker():
    """``render(html)`` -> ``result()``, the PDF: laid out by a process started now, which imports
    WeasyPrint while the notebooks run and lays the PDF out while this one renders the analysts'
    edition. In a session of its own: a Ctrl-C is this process's to handle, which kills it."""
    with tempfile.TemporaryFile() as errors:
        worker = subprocess.Popen(PDF_WORKER, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=errors, start_new_session=True)

        def render(html: str):
            with suppress(BrokenPipeError):  # the worker failed: result() says why
                worker.stdin.write(html.encode())
                worker.stdin.close()
            return result

        def result() -> bytes:
            pdf = worker.stdout.read()
            if worker.wait():
                errors.seek(0)
                raise BuildError(f"WeasyPrint could not render the PDF: {errors.read().decode()[-500:]}")
            return pdf
        try:
            yield render
        finally:
            worker.kill()
            worker.wait()


def build(out: Path = REPORTS, force: bool = False, timeout: int = execution.CELL_TIMEOUT) -> dict:
    inputs, stamp = fingerprint(), out / FINGERPRINT
    DONE[0] = f"{publish.shown(out)}/ is unchanged"
    if not force and stamp.is_file() and stamp.read_text().strip() == inputs and all(
            (out / name).is_file() for name in OUTPUT_NAMES):
        print(f"Report up to date: no input changed since the last build ({publish.shown(stamp)}).")
        return {}
    from tashkent_report.analysis.audit import check, check_quotes
    from tashkent_report.analysis.dataset import load_facts
    from tashkent_report.render.kernels import scan_fonts

    print("Building the report")
    paths = notebooks()
    with step(f"checking {relative(NOTEBOOKS)}/ and {publish.shown(out)}/"):
        check_notebooks(paths)
        publish.check(out)
    scan_fonts()  # for the kernels, while the data are checked
    with pdf_worker() as render_pdf:
        with step("checking data/ (hash, schemas, quotes, numeral audit)"):
            facts = load_facts()
        meta = report_meta(facts.article, inputs, facts.events)
        with step(f"executing the notebooks ({len(paths)}, {WORKERS} at a time, each in a fresh kernel; "
                  f"cell time limit {timeout} s)"):
            executed = execute_all(paths, timeout)
        title = [meta[key] for key in ("title", "subtitle", "source", "date_note")]
        with step("auditing every number in the report's prose"):
            check(executed, facts.figures, title)
            check_quotes(executed, facts.text)
        book = combine(executed)
        with step("rendering HTML and PDF (readers' and analysts' editions)"):
            html = to_html(book, meta)
            pdf, analyst = render_pdf(html), to_html(book, meta, analyst=True)
            outputs = {"report.html": html.encode(), "report-analyst.html": analyst.encode(),
                       "report.pdf": pdf(), FINGERPRINT: (inputs + "\n").encode()}
    with step(f"switching {publish.shown(out)}/ to the new build"):
        publish.publish(out, outputs)
    DONE[0] = f"{publish.shown(out)}/ holds the complete new build"
    return {out / name: data for name, data in outputs.items()}


def check_notebooks(paths: list[Path]) -> None:
    """Every chapter parses as a valid notebook, before any kernel starts."""
    if not paths:
        raise BuildError(f"{relative(NOTEBOOKS)}/ holds no chapter (NN-name.ipynb)",
                         "Restore the notebooks (git checkout -- notebooks), then run make report again.")
    for path in paths:
        execution.load_notebook(path)


def execute_in_place(timeout: int = execution.CELL_TIMEOUT, paths: list[Path] | None = None) -> None:
    """Re-execute every notebook, each in a fresh kernel, and save it with its outputs and its
    Markdown cells' expression results: nothing is saved unless every notebook ran."""
    import nbformat

    from tashkent_report.files import write_atomically

    check_notebooks(paths := notebooks() if paths is None else paths)
    executed = {path: (nbformat.writes(nb).rstrip("\n") + "\n").encode()  # as nbformat.write
                for path, nb in execute_all(paths, timeout)}
    try:
        write_atomically(executed)
    except OSError as exc:
        raise BuildError(f"{relative(NOTEBOOKS)}: cannot save the executed notebooks: {exc.strerror or exc}",
                         "Check that notebooks/ is writable, then run make execute again.") from exc
    DONE[0] = "every notebook was saved with its new outputs"


def stop_message(exc: BaseException, out: Path | None, doing: str = "") -> tuple[str, int]:
    """The one message a build stops with, and its exit status (``out`` None: execute in place)."""
    from tashkent_report.analysis.audit import AuditError
    from tashkent_report.analysis.dataset import DataError

    if out is None:
        unchanged = "No notebook was saved."
    elif publish.holds_a_build(out):
        unchanged = f"{publish.shown(out)}/ is unchanged: it still holds the last good build."
    else:
        unchanged = f"Nothing was written: {publish.shown(out)} is as it was."
    if isinstance(exc, Interrupted):
        signum, name = exc.signum, signal.Signals(exc.signum).name
        if out is not None and publish.absolute(out) in publish.SWITCHED:
            return (f"Build stopped by {name}, just after the new report was switched in: "
                    f"{publish.shown(out)}/ holds the complete new build.", 128 + signum)
        return (f"Build stopped by {name}{f' while {doing}' if doing else ''}; every kernel was shut down.\n"
                f"{unchanged}\nRun make {'execute' if out is None else 'report'} again when you are ready.",
                128 + signum)
    if isinstance(exc, DataError):
        hint = "Correct the file (docs/data.md: How to add or correct a fact), then run make report again."
    elif isinstance(exc, BuildError | AuditError):
        hint = getattr(exc, "hint", "") or "Correct what the message names, then run make report again."
    else:
        return (f"Build stopped: unexpected {type(exc).__name__}: {exc}\n{unchanged}\n"
                "This is a bug in the build: run make report ARGS=--debug and report the traceback.", 1)
    return f"Build stopped: {exc}\n{hint}\n{unchanged}", 1


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # a wrong command line is one "Build stopped" message, not a usage dump
        print(f"Build stopped: {message}\nThe build takes --force, --out FOLDER, --timeout SECONDS, --debug "
              "and --execute-in-place, e.g. make report ARGS='--timeout 300' (make help lists the targets)."
              "\nNothing was built.", file=sys.stderr, flush=True)
        raise SystemExit(2)


def main(argv: list[str] | None = None) -> int:
    from tashkent_report.render.checkout import foreign_package
    from tashkent_report.render.kernels import sweep
    from tashkent_report.render.pdf import SOURCE_DATE_EPOCH

    os.environ.setdefault("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)  # fontTools stamps fonts with the time
    if foreign := foreign_package():  # before anything else: whose code, data and reports/ are these?
        print(f"Build stopped: {foreign}\nNothing was built.", file=sys.stderr, flush=True)
        return 1
    parser = _Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--execute-in-place", action="store_true", help="re-execute and save the notebooks")
    parser.add_argument("--force", action="store_true", help="build even if no input changed")
    parser.add_argument("--out", type=Path, default=REPORTS, help="folder for the reports")
    parser.add_argument("--timeout", metavar="SECONDS", help="time limit for each cell (default "
                        f"${execution.TIMEOUT_VARIABLE}, else {execution.CELL_TIMEOUT})")
    parser.add_argument("--debug", action="store_true", help="print the traceback of a failure")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0  # --help, or the message printed
    started, out = time.perf_counter(), None if args.execute_in_place else args.out
    with raised_as_exceptions():  # only the first signal: a second cannot cut the clean-up or the message
        try:
            if OUTSIDE:  # one that came as main started (its imports): the build stops before it begins
                signal.raise_signal(OUTSIDE.pop())
            sweep()  # folders of kernels whose build was killed outright
            timeout = execution.cell_timeout(args.timeout)
            execute_in_place(timeout) if out is None else build(out, force=args.force, timeout=timeout)
            swallowed()
            print(f"Done in {time.perf_counter() - started:.1f} s", flush=True)
        except (Exception, Interrupted) as exc:  # every failure ends in one message
            if args.debug:
                traceback.print_exc()
            message, status = stop_message(exc, out, DOING[0])
            print(f"\n{message}", file=sys.stderr, flush=True)
            return status
    return 0


def run() -> int:
    """``main`` as the process it is: a signal in its first or last instants, outside main's handlers,
    is raised as the build begins or named after it, rather than left to kill the process silently."""
    OUTSIDE.clear()
    for signum in SIGNALS:
        signal.signal(signum, lambda signum, frame: OUTSIDE.append(signum))  # main's own replace these
    status = main()
    if status == 0 and OUTSIDE:
        print(f"\nBuild stopped by {signal.Signals(OUTSIDE[0]).name} after the build was done: {DONE[0]}.",
              file=sys.stderr, flush=True)
        status = 128 + OUTSIDE[0]
    return status
