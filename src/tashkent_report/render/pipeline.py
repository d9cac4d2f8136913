"""Build the report: check the data, execute the notebooks, render HTML and PDF.

``python -m tashkent_report.render`` prints each step with its time (and a note every 30 s in a
long one). Cheap checks come first (every notebook parses, the output folder can take the
reports, the data check out); then the notebooks run, the numbers in the prose are audited, the
editions are rendered, and ``reports/`` is switched to the new build in one rename (publish.py).

Every failure ends in one message, "Build stopped: ...", naming the file (and the notebook and
cell where there is one) and what to do; exit status 1, or 130/143 for SIGINT/SIGTERM, and no
traceback unless ``--debug``. Kernels are shut down and ``reports/`` stays as the last good build
left it.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from tashkent_report.config import EXECUTED_VARIABLE, NOTEBOOKS, REPORTS, chapters, relative
from tashkent_report.errors import BuildError
from tashkent_report.render import execution, publish
from tashkent_report.render.interrupts import Interrupted, raised_as_exceptions
from tashkent_report.render.meta import fingerprint, report_meta  # noqa: F401 (the build's API)

FINGERPRINT = ".inputs.sha256"
OUTPUT_NAMES = ("report.html", "report-analyst.html", "report.pdf", FINGERPRINT)  # all a build writes
HEARTBEAT = 30.0  # seconds between "still working" notes in a long step
DOING = [""]  # the step under way, for the message of an interrupted build
notebooks = chapters  # the chapters, in the order their numbers give


@contextmanager
def step(label: str):
    """Print a step, then its time; a note every HEARTBEAT seconds while it runs."""
    print(f"  {label} ...", end="", flush=True)
    DOING[0], started, done = label, time.perf_counter(), threading.Event()

    def heartbeat():
        while not done.wait(HEARTBEAT):
            print(f" (still working, {time.perf_counter() - started:.0f} s)", end="", flush=True)

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


WORKERS = max(1, min(4, os.cpu_count() or 1))


def execute_all(paths: list[Path], timeout: int = execution.CELL_TIMEOUT) -> list[tuple[Path, object]]:
    """Execute notebooks side by side (each its own kernel process); report each as it ends.

    A chapter whose metadata says it audits the report (the methods chapter) runs after the others
    and reads them as this build executed them, from a private folder named in
    $TASHKENT_EXECUTED_NOTEBOOKS. The first failure stops the others.
    """
    import json
    import tempfile

    import nbformat

    def audits(path: Path) -> bool:
        metadata = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
        return bool(metadata.get("tashkent_report", {}).get("audits_the_report"))

    auditors = [p for p in paths if audits(p)]
    executed = dict(execution.execute([p for p in paths if p not in auditors], timeout, WORKERS))
    if auditors:
        with tempfile.TemporaryDirectory(prefix="tashkent-executed-") as folder:
            for path, nb in executed.items():
                nbformat.write(nb, Path(folder) / path.name)
            executed.update(execution.execute(auditors, timeout, WORKERS, env={EXECUTED_VARIABLE: folder}))
    return [(path, executed[path]) for path in paths]


def audit_numbers(executed: list[tuple[Path, object]], facts, meta: dict) -> None:
    """No number in the prose that the data do not give or the allow-list does not explain."""
    from tashkent_report.analysis.audit import AuditError, check, check_quotes

    title = [meta[key] for key in ("title", "subtitle", "source", "date_note")]
    try:
        check(executed, facts.figures, title)
        check_quotes(executed, facts.text)
    except AuditError as exc:
        raise BuildError(str(exc)) from exc


def combine(executed: list[tuple[Path, object]]):
    """One notebook holding every chapter's cells, in order, with ids kept unique."""
    import nbformat

    from tashkent_report.render.html import book_cell_id

    book = nbformat.v4.new_notebook()
    book.metadata = dict(executed[0][1].metadata)
    for path, nb in executed:
        for cell in nb.cells:
            cell = nbformat.from_dict(cell)
            cell.id = book_cell_id(path.stem, cell.get("id", ""))
            book.cells.append(cell)
    return book


def to_html(nb, meta: dict, analyst: bool = False) -> str:
    """Render with the report exporter (the one `jupyter nbconvert --to report` uses).

    Readers' edition: no code at all. Analysts' edition: code shown, cells tagged hide-input
    folded; cells tagged remove-input or remove-cell are left out of both. A cross-reference
    that points nowhere stops the build.
    """
    from traitlets.config import Config

    from tashkent_report.render.exporters import BrokenReferences, ReportHTMLExporter
    from tashkent_report.render.expressions import ExpressionError
    from tashkent_report.render.html import StructureError

    strict = Config({"RenderMarkdown": {"strict": True}})
    exporter = ReportHTMLExporter(config=strict, analyst=analyst, strict_references=True)
    try:
        html, _ = exporter.from_notebook_node(nb, resources={"report": meta})
    except (BrokenReferences, ExpressionError, StructureError) as exc:
        raise BuildError(str(exc)) from exc
    return html


def to_pdf(html: str) -> bytes:
    """The A4 PDF (the one `jupyter nbconvert --to reportPDF` writes), clock-independent."""
    from tashkent_report.render.exporters import write_pdf

    return write_pdf(html)


def check_notebooks(paths: list[Path]) -> None:
    """Every chapter parses as a valid notebook, before any kernel starts."""
    if not paths:
        raise BuildError(f"{relative(NOTEBOOKS)}/ holds no chapter (NN-name.ipynb)",
                         "Restore the notebooks (git checkout -- notebooks), then run make report again.")
    for path in paths:
        execution.load_notebook(path)


def build(out: Path = REPORTS, force: bool = False,
          timeout: int = execution.CELL_TIMEOUT) -> dict[Path, bytes]:
    inputs = fingerprint()
    stamp = out / FINGERPRINT
    if not force and stamp.is_file() and stamp.read_text().strip() == inputs and all(
            (out / name).is_file() for name in OUTPUT_NAMES):
        print("Report up to date: no input changed since the last build "
              f"({publish.shown(out)}/{FINGERPRINT}).")
        return {}
    from tashkent_report.analysis.dataset import load_facts

    print("Building the report")
    paths = notebooks()
    with step(f"checking {relative(NOTEBOOKS)}/ and {publish.shown(out)}/"):
        check_notebooks(paths)
        publish.check(out, OUTPUT_NAMES)
    with step("checking data/ (hash, schemas, quotes, numeral audit)"):
        facts = load_facts()
    meta = report_meta(facts.article, inputs, facts.events)
    print(f"  executing {len(paths)} notebooks, {WORKERS} at a time, each in a fresh kernel "
          f"(cell time limit {timeout} s)", flush=True)
    started, DOING[0] = time.perf_counter(), "executing the notebooks"
    executed = execute_all(paths, timeout)
    print(f"  executed all notebooks in {time.perf_counter() - started:.1f} s")
    with step("auditing every number in the report's prose"):
        audit_numbers(executed, facts, meta)
    book = combine(executed)
    with step("rendering HTML (readers' and analysts' editions)"):
        html = to_html(book, meta)
        outputs = {"report.html": html.encode("utf-8"),
                   "report-analyst.html": to_html(book, meta, analyst=True).encode("utf-8")}
    with step("rendering PDF (WeasyPrint)"):
        outputs["report.pdf"] = to_pdf(html)
    outputs[FINGERPRINT] = (inputs + "\n").encode("ascii")
    with step(f"switching {publish.shown(out)}/ to the new build"):
        publish.publish(out, outputs, OUTPUT_NAMES)
    return {out / name: data for name, data in outputs.items()}


def execute_in_place(timeout: int = execution.CELL_TIMEOUT, paths: list[Path] | None = None) -> None:
    """Re-execute every notebook, each in a fresh kernel, and save it with its outputs and its
    Markdown cells' expression results: nothing is saved unless every notebook ran."""
    import nbformat

    from tashkent_report.files import write_atomically

    paths = notebooks() if paths is None else paths
    check_notebooks(paths)
    executed = {path: (nbformat.writes(nb).rstrip("\n") + "\n").encode("utf-8")  # as nbformat.write
                for path, nb in execute_all(paths, timeout)}
    try:
        write_atomically(executed)
    except OSError as exc:
        raise BuildError(f"{relative(NOTEBOOKS)}: cannot save the executed notebooks: {exc.strerror or exc}",
                         "Check that notebooks/ is writable, then run make execute again.") from exc


def stop_message(exc: BaseException, out: Path | None, doing: str = "") -> tuple[str, int]:
    """The one message a build stops with, and its exit status (``out`` None: execute in place)."""
    from tashkent_report.analysis.dataset import DataError

    if out is None:
        unchanged = "No notebook was saved."
    elif publish.holds_a_build(out):
        unchanged = f"{publish.shown(out)}/ is unchanged: it still holds the last good build."
    elif os.path.lexists(out):
        unchanged = f"Nothing was written: {publish.shown(out)} is as it was."
    else:
        unchanged = f"Nothing was written: there is no {publish.shown(out)}/ yet."
    if isinstance(exc, KeyboardInterrupt | Interrupted):
        signum = exc.signum if isinstance(exc, Interrupted) else 2
        name = Interrupted(signum).name
        switched = out is not None and publish.absolute(out) in publish.SWITCHED  # even if not flagged
        if out is not None and (getattr(exc, "published", False) or switched):
            return (f"Build stopped by {name}, just after the new report was switched in: "
                    f"{publish.shown(out)}/ holds the complete new build.", 128 + signum)
        return (f"Build stopped by {name}{f' while {doing}' if doing else ''}; every kernel was shut down.\n"
                f"{unchanged}\nRun make {'execute' if out is None else 'report'} again when you are ready.",
                128 + signum)
    if isinstance(exc, DataError):
        hint = "Correct the file (docs/data.md: How to add or correct a fact), then run make report again."
    elif isinstance(exc, BuildError):
        hint = exc.hint or "Correct what the message names, then run make report again."
    else:
        return (f"Build stopped: unexpected {type(exc).__name__}: {exc}\n{unchanged}\n"
                "This is a bug in the build: run make report ARGS=--debug and report the traceback.", 1)
    return f"Build stopped: {exc}\n{hint}\n{unchanged}", 1


class _Parser(argparse.ArgumentParser):
    """argparse, but a wrong command line is one "Build stopped" message, not a usage dump."""

    def error(self, message: str):
        if message.startswith("unrecognized arguments: "):
            words = message.removeprefix("unrecognized arguments: ").split()
            message = f"unknown option{'s' if len(words) > 1 else ''} {' '.join(words)}"
        elif message.startswith("argument ") and ": expected one argument" in message:
            message = f"{message.removeprefix('argument ').split(':')[0]} needs a value"
        print(f"Build stopped: {message}\nThe build takes --force, --out FOLDER, --timeout SECONDS, --debug "
              "and --execute-in-place, e.g. make report ARGS='--timeout 300' (make help lists the targets)."
              "\nNothing was built.", file=sys.stderr, flush=True)
        raise SystemExit(2)


def main(argv: list[str] | None = None) -> int:
    from tashkent_report.render.checkout import foreign_package
    from tashkent_report.render.pdf import SOURCE_DATE_EPOCH

    # fontTools stamps the PDF's fonts with the time unless this is set (see pdf.py).
    os.environ.setdefault("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    foreign = foreign_package()  # before anything else: whose code, data and reports/ are these?
    if foreign:
        print(f"Build stopped: {foreign}\nNothing was built.", file=sys.stderr, flush=True)
        return 1
    parser = _Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--execute-in-place", action="store_true",
                        help="re-execute the notebooks and save them")
    parser.add_argument("--force", action="store_true", help="build even if no input changed")
    parser.add_argument("--out", type=Path, default=REPORTS, help="folder for the reports")
    parser.add_argument("--timeout", metavar="SECONDS", help="time limit for each cell (default "
                        f"${execution.TIMEOUT_VARIABLE}, else {execution.CELL_TIMEOUT})")
    parser.add_argument("--debug", action="store_true", help="print the traceback of a failure")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0  # --help, or the message printed
    started = time.perf_counter()
    from tashkent_report.render.kernels import sweep

    with raised_as_exceptions(once=True):  # a second signal cannot cut the clean-up or the message
        try:
            sweep()  # folders of kernels whose build was killed outright
            timeout = execution.cell_timeout(args.timeout)
            if args.execute_in_place:
                execute_in_place(timeout)
            else:
                build(args.out, force=args.force, timeout=timeout)
            print(f"Done in {time.perf_counter() - started:.1f} s", flush=True)
        except Exception as exc:  # every failure ends in one message
            return _stopped(exc, None if args.execute_in_place else args.out, args.debug)
        except (KeyboardInterrupt, Interrupted) as exc:
            return _stopped(exc, None if args.execute_in_place else args.out, args.debug)
    return 0


def _stopped(exc: BaseException, out: Path | None, debug: bool) -> int:
    if debug:
        import traceback

        traceback.print_exc()
    message, status = stop_message(exc, out, DOING[0])
    print(f"\n{message}", file=sys.stderr, flush=True)
    return status


def _run() -> int:
    """``main`` as the process it is: a signal in its last instants, once the build is done, is
    named rather than left to kill the process silently or print a traceback."""
    import signal

    late = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda signum, frame: late.append(signum))  # main installs its own over these
    status = main()
    if status == 0 and late:
        argv = sys.argv[1:]
        out = Path(next((argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--out"), REPORTS))
        if "--execute-in-place" in argv:
            where = "every notebook was saved with its new outputs"
        elif publish.absolute(out) in publish.SWITCHED:
            where = f"{publish.shown(out)}/ holds the complete new build"
        else:
            where = f"{publish.shown(out)}/ is unchanged"
        print(f"\nBuild stopped by {Interrupted(late[0]).name} after the build was done: {where}.",
              file=sys.stderr, flush=True)
        status = 128 + late[0]
    return status
