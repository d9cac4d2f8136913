"""Execute the notebooks, each in a fresh kernel, and stop cleanly at the first failure.

All notebooks run in one asyncio loop on a thread of its own (``workers`` at a time); the
calling thread only waits, prints a line every ``HEARTBEAT`` seconds while a notebook runs,
and takes the signals. The first failure (a cell's error, a cell over the time limit, a
kernel that dies or does not start) cancels the other notebooks; an interrupt cancels them
all. Every kernel is shut down and its private folder removed before :meth:`Execution.run`
returns or raises, whatever happened.

Failures become a :class:`BuildError` naming the notebook, the cell (its number, counting
every cell from 1 as JupyterLab shows them top to bottom, and its id) and what to do.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import threading
import time
from pathlib import Path

from tashkent_report.config import relative
from tashkent_report.errors import BuildError
from tashkent_report.render.expressions import ExpressionError
from tashkent_report.render.interrupts import held

# Each notebook takes 3-15 s in all; no cell of this report needs more than a few seconds, so
# two minutes means something is stuck. Raise it with --timeout or TASHKENT_CELL_TIMEOUT.
CELL_TIMEOUT = 120
TIMEOUT_VARIABLE = "TASHKENT_CELL_TIMEOUT"
HEARTBEAT = 30.0  # seconds between "still running" lines
CLEANUP_WAIT = 30.0  # seconds to wait for kernels to shut down after a failure or interrupt
RESTORE_HINT = ("Restore it (git checkout -- {path}) or open and save it again in JupyterLab "
                "(make lab), then run make report again.")


def cell_timeout(value: str | None = None) -> int:
    """The cell time limit in seconds: ``value``, else $TASHKENT_CELL_TIMEOUT, else 120."""
    given = value if value is not None else os.environ.get(TIMEOUT_VARIABLE)
    if given is None or given == "":
        return CELL_TIMEOUT
    try:
        seconds = int(given)
    except ValueError:
        seconds = 0
    if seconds <= 0:
        source = "--timeout" if value is not None else TIMEOUT_VARIABLE
        raise BuildError(f"{source} is {given!r}, not a positive whole number of seconds",
                         f"Give the cell time limit in seconds, for example {source} 300."
                         if value is not None else f"Set it in seconds, e.g. {TIMEOUT_VARIABLE}=300.")
    return seconds


def load_notebook(path: Path):
    """Read and validate one notebook; anything wrong is a BuildError naming the file."""
    import nbformat

    where = relative(path)
    hint = RESTORE_HINT.format(path=where)
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except OSError as exc:
        raise BuildError(f"{where}: cannot read the notebook: {exc.strerror or exc}", hint) from exc
    except UnicodeDecodeError as exc:
        raise BuildError(f"{where}: not a notebook: not UTF-8 (byte {exc.start})", hint) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BuildError(
            f"{where}: not a notebook: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
            hint,
        ) from exc
    if not isinstance(data, dict) or "cells" not in data or "nbformat" not in data:
        raise BuildError(f"{where}: not a notebook: valid JSON, but without 'nbformat' and 'cells'", hint)
    if data["nbformat"] != 4:
        raise BuildError(f"{where}: notebook format {data['nbformat']!r}; the build reads format 4", hint)
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # nbformat.ValidationError and whatever a malformed file raises
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BuildError(f"{where}: not a valid notebook: {detail}", hint) from exc
    return nb


def _cell(run: dict) -> str:
    if run.get("index") is None:
        return ""
    return f", cell {run['index'] + 1} (id {run.get('id') or '?'})"


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def failure(path: Path, run: dict, exc: BaseException, timeout: int) -> BuildError:
    """The BuildError for an exception out of nbclient, naming the notebook and cell."""
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    where = relative(path) + _cell(run)
    if isinstance(exc, ExpressionError):
        return BuildError(
            f"{relative(path)}, {exc}",
            "Define the name in a code cell above the Markdown cell, or correct the expression: open "
            "the notebook (make lab) and run it top to bottom; then run make report again.",
        )
    if isinstance(exc, CellExecutionError):
        return BuildError(
            f"{where} failed: {exc.ename}: {_short(exc.evalue)}",
            "Fix the cell: open the notebook (make lab) and run it top to bottom; then run make "
            "report again.",
        )
    if isinstance(exc, CellTimeoutError):
        return BuildError(
            f"{where} was still running after the {timeout} s cell time limit",
            "This report's cells take seconds: look for a loop or a wait that never ends. If the "
            f"cell really needs longer, raise the limit: make report ARGS='--timeout 600' (or "
            f"{TIMEOUT_VARIABLE}=600).",
        )
    if isinstance(exc, DeadKernelError):
        return BuildError(
            f"{where}: the kernel died while running this cell",
            "The kernel's process ended (os._exit, a crash in compiled code, or memory ran out). "
            "Run the notebook in JupyterLab (make lab) to find the cause; then run make report "
            "again.",
        )
    if run.get("index") is None and isinstance(exc, BuildError):  # a cause the kernels name themselves
        return BuildError(f"{where}: the kernel did not start: {exc}", exc.hint)
    if run.get("index") is None:
        return BuildError(
            f"{where}: the kernel did not start: {_short(exc) or type(exc).__name__}",
            "Run make report again; if this happens again, reinstall the environment "
            "(make clean-venv venv).",
        )
    return BuildError(
        f"{where} could not be run: {type(exc).__name__}: {_short(exc)}",
        "Run make report again; if this happens again, run make report ARGS=--debug and report "
        "the traceback.",
    )


def check_stderr(path: Path, nb) -> None:
    """A stream on stderr in a cell the readers' report shows (any but remove-cell) stops the build:
    a warning there would be published, and may name a random folder, so two builds would differ."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "remove-cell" in cell.get("metadata", {}).get("tags", []):
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                raise BuildError(
                    f"{relative(path)}{_cell({'index': index, 'id': cell.get('id')})} wrote to stderr: "
                    f"{_short(output.get('text', ''))}",
                    "The readers' report would show it. Remove its cause (or catch the warning in the "
                    "cell), or tag the cell remove-cell if readers need none of it; then run make report "
                    "again.")


async def _shutdown(client) -> None:
    """Kill the notebook's kernel if it still runs; remove its connection folder either way."""
    import atexit

    from jupyter_core.utils import ensure_async

    # nbclient registers a clean-up at exit and, when a start is cancelled, never takes it
    # back; done here, it would fail at exit with a traceback.
    atexit.unregister(client._cleanup_kernel)
    km = client.km
    if km is None:  # nbclient has shut it down and cleaned up
        return
    try:
        if km.has_kernel:
            await ensure_async(km.shutdown_kernel(now=True))
    except Exception:
        pass
    finally:
        try:
            if getattr(client, "kc", None) is not None:
                client.kc.stop_channels()
        except Exception:
            pass
        km.cleanup_connection_file()  # the private folder goes with it (kernels.py)


class Execution:
    """Run notebooks side by side; :meth:`run` returns them executed, in the order given."""

    def __init__(self, paths: list[Path], timeout: int = CELL_TIMEOUT, workers: int = 2,
                 env: dict[str, str] | None = None):
        self.paths = list(paths)
        self.env = env  # extra environment variables for the kernels
        self.timeout = timeout
        self.workers = max(1, workers)
        self.running: dict[Path, dict] = {}
        self._results: list | None = None
        self._error: BaseException | None = None
        self._finished = threading.Event()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self._cancelled = False

    def run(self) -> list[tuple[Path, object]]:
        thread = threading.Thread(target=self._thread, name="notebooks", daemon=True)
        thread.start()
        try:
            last = time.monotonic()
            while not self._finished.wait(0.2):
                if time.monotonic() - last >= HEARTBEAT:
                    last = time.monotonic()
                    self._heartbeat()
        except BaseException:  # an interrupt: stop every kernel before going on
            self.cancel()
            with held():
                self._finished.wait(CLEANUP_WAIT)
            raise
        if self._error is not None:
            raise self._error
        return list(zip(self.paths, self._results, strict=True))

    def _heartbeat(self) -> None:
        now = time.monotonic()
        for path, run in list(self.running.items()):
            at = f"cell {run['index'] + 1}, " if run.get("index") is not None else ""
            print(f"    still running {relative(path)} ({at}{now - run['started']:.0f} s so far)", flush=True)

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            if self._loop is not None and self._task is not None:
                try:
                    self._loop.call_soon_threadsafe(self._task.cancel)
                except RuntimeError:  # the loop has already closed
                    pass

    def _thread(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # handed to the waiting thread
            self._error = exc
        finally:
            self._finished.set()

    async def _main(self) -> None:
        with self._lock:
            self._loop, self._task = asyncio.get_running_loop(), asyncio.current_task()
            if self._cancelled:
                raise asyncio.CancelledError
        slots = asyncio.Semaphore(self.workers)
        tasks = [asyncio.ensure_future(self._one(path, slots)) for path in self.paths]
        failed = []
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            # The first failure wins; the others were cancelled because of it.
            failed = [t.exception() for t in tasks if t.done() and not t.cancelled() and t.exception()]
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if failed:
            raise failed[0]
        self._results = [task.result() for task in tasks]

    async def _one(self, path: Path, slots: asyncio.Semaphore):
        from tashkent_report.render.expressions import ReportClient
        from tashkent_report.render.kernels import AsyncIPCKernelManager

        async with slots:
            nb = load_notebook(path)
            run = self.running[path] = {"index": None, "id": None, "started": time.monotonic()}

            def on_cell_execute(cell, cell_index, **_):
                run.update(index=cell_index, id=cell.get("id"))

            client = ReportClient(
                nb, timeout=self.timeout, kernel_name="python3", record_timing=False,
                kernel_manager_class=AsyncIPCKernelManager, shutdown_kernel="immediate",
                on_cell_execute=on_cell_execute,
                resources={"metadata": {"path": str(path.parent)}},
            )
            try:
                # The kernel's own stderr is only its start-up chatter; errors come back as outputs.
                extra = {"env": {**os.environ, **self.env}} if self.env else {}
                await client.async_execute(stderr=subprocess.DEVNULL, **extra)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                raise failure(path, run, exc, self.timeout) from exc
            finally:
                self.running.pop(path, None)
                await _shutdown(client)
            check_stderr(path, nb)
            print(f"    executed {relative(path)} in {time.monotonic() - run['started']:.1f} s", flush=True)
            return nb
