"""Execute the notebooks, each in a fresh kernel (nbclient), and stop cleanly at the first failure.

They run in one asyncio loop on a thread of its own, the main thread taking the signals; a failure
or an interrupt cancels them all, and every kernel is shut down before :func:`execute` returns. A
failure is a :class:`BuildError` naming the notebook, the cell (numbered from 1 as JupyterLab shows
them, and its id), the ``{eval}`` expression where a Markdown cell's was running, and what to do."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from tashkent_report.config import EXECUTED_VARIABLE, relative
from tashkent_report.errors import BuildError

CELL_TIMEOUT = 120  # no cell of this report needs more than seconds: two minutes means stuck
TIMEOUT_VARIABLE = "TASHKENT_CELL_TIMEOUT"
CLEANUP_WAIT = 30.0  # seconds to wait for the kernels to shut down after a failure or interrupt
RUNNING: dict[Path, dict] = {}  # notebook: the cell it runs (index, id, cell), for the heartbeat
RUN_HINT = "open the notebook (make lab) and run it top to bottom; then run make report again."


def cell_timeout(value: str | None = None) -> int:
    """The cell time limit in seconds: ``value``, else $TASHKENT_CELL_TIMEOUT, else 120."""
    given = value if value is not None else os.environ.get(TIMEOUT_VARIABLE)
    if not given:
        return CELL_TIMEOUT
    if given.isdigit() and int(given) > 0:
        return int(given)
    source = "--timeout" if value is not None else TIMEOUT_VARIABLE
    raise BuildError(f"{source} is {given!r}, not a positive whole number of seconds",
                     f"Give the cell time limit in seconds, e.g. {source}{' ' if value else '='}300.")


def load_notebook(path: Path):
    """Read and validate one notebook; anything wrong is a BuildError naming the file."""
    import nbformat

    where = relative(path)
    hint = (f"Restore it (git checkout -- {where}) or open and save it again in JupyterLab (make lab), "
            "then run make report again.")
    try:
        text = Path(path).read_bytes().decode("utf-8")
        data = json.loads(text)
    except OSError as exc:
        raise BuildError(f"{where}: cannot read the notebook: {exc.strerror or exc}", hint) from exc
    except UnicodeDecodeError as exc:
        raise BuildError(f"{where}: not a notebook: not UTF-8 (byte {exc.start})", hint) from exc
    except json.JSONDecodeError as exc:
        raise BuildError(f"{where}: not a notebook: not valid JSON (line {exc.lineno}, column {exc.colno}: "
                         f"{exc.msg})", hint) from exc
    if not isinstance(data, dict) or "cells" not in data or "nbformat" not in data:
        raise BuildError(f"{where}: not a notebook: valid JSON, but without 'nbformat' and 'cells'", hint)
    if data["nbformat"] != 4:
        raise BuildError(f"{where}: notebook format {data['nbformat']!r}; the build reads format 4", hint)
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # nbformat.ValidationError and whatever a malformed file raises
        raise BuildError(f"{where}: not a valid notebook: {_short(exc, 200) or type(exc).__name__}",
                         hint) from exc
    return nb


def _short(text, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def failure(path: Path, run: dict, exc: BaseException, timeout: int) -> BuildError:
    """The BuildError for an exception out of nbclient, naming the notebook, cell and expression."""
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    from tashkent_report.analysis.myst import expressions
    from tashkent_report.render.expressions import ExpressionError

    if isinstance(exc, ExpressionError):
        return BuildError(f"{relative(path)}, {exc}", "Define the name in a code cell above the Markdown "
                          f"cell, or correct the expression: {RUN_HINT}")
    where = relative(path)
    if run.get("index") is not None:
        where += f", cell {run['index'] + 1} (id {run.get('id') or '?'})"
        cell = run.get("cell") or {}
        found = [f"{{eval}}`{e}`" for e in expressions(cell.get("source", ""))] if cell.get(
            "cell_type") == "markdown" else []
        where += f", the expression{'s' * (len(found) > 1)} {', '.join(found)}" if found else ""
    if isinstance(exc, CellExecutionError):
        return BuildError(f"{where} failed: {exc.ename}: {_short(exc.evalue)}", f"Fix the cell: {RUN_HINT}")
    if isinstance(exc, CellTimeoutError):
        return BuildError(f"{where} was still running after the {timeout} s cell time limit", "Look for a "
                          "loop or a wait that never ends; if the cell really needs longer, raise the limit: "
                          f"make report ARGS='--timeout 600' (or {TIMEOUT_VARIABLE}=600).")
    if isinstance(exc, DeadKernelError):
        return BuildError(f"{where}: the kernel died while running this cell", "Its process ended "
                          "(os._exit, a crash in compiled code, or memory ran out): run the notebook in "
                          "JupyterLab (make lab) to find the cause.")
    if run.get("index") is None:
        return BuildError(f"{where}: the kernel did not start: {_short(exc) or type(exc).__name__}",
                          getattr(exc, "hint", "") or "Run make report again; if this happens again, "
                          "reinstall the environment (make clean-venv venv).")
    return BuildError(f"{where} could not be run: {type(exc).__name__}: {_short(exc)}",
                      "Run make report again; if this happens again, report the traceback of ARGS=--debug.")


def check_stderr(path: Path, nb) -> None:
    """No stream on stderr in a cell readers see (any but remove-cell): it would be published, and a
    warning naming a random folder would make two builds differ."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "remove-cell" in cell.get("metadata", {}).get("tags", []):
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                raise BuildError(
                    f"{relative(path)}, cell {index + 1} (id {cell.get('id')}) wrote to stderr: "
                    f"{_short(output.get('text', ''))}",
                    "The readers' report would show it. Remove its cause (or catch the warning in the cell), "
                    "or tag the cell remove-cell if readers need none of it.")


async def _execute_one(path: Path, timeout: int, env: dict | None, ready=None) -> object:
    """One notebook in a fresh kernel that this function starts, and shuts down whatever happens;
    ``ready()`` is awaited once the kernel has started, before the first cell runs."""
    from tashkent_report.render.expressions import ReportClient
    from tashkent_report.render.kernels import AsyncIPCKernelManager

    nb = load_notebook(path)
    run = RUNNING[path] = {"index": None}
    km = AsyncIPCKernelManager(kernel_name="python3")

    async def on_cell_start(cell, cell_index):  # every cell, Markdown too: the one running is named
        run.update(index=cell_index, id=cell.get("id"), cell=cell)
        await client.evaluate_expressions(cell, cell_index)

    client = ReportClient(nb, km=km, timeout=timeout, record_timing=False, on_cell_start=on_cell_start,
                          resources={"metadata": {"path": str(path.parent)}})
    try:  # the kernel's stderr is its start-up chatter only; a cell's errors come back as outputs
        await km.start_kernel(cwd=str(path.parent), stderr=subprocess.DEVNULL,
                              env={**os.environ, **(env or {})},
                              extra_arguments=["--HistoryManager.hist_file=:memory:"])
        if ready:
            run["waiting"] = True
            await ready()
            run["waiting"] = False
        await client.async_execute()
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        if run.get("waiting"):  # another notebook's failure, named already
            raise
        raise failure(path, run, exc, timeout) from exc
    finally:
        RUNNING.pop(path, None)
        try:
            if client.kc is not None:
                client.kc.stop_channels()
            if km.has_kernel:
                await km.shutdown_kernel(now=True)
        except Exception:
            pass  # already gone
        km.cleanup_connection_file()  # the kernel's private folder goes with it (kernels.py)
    check_stderr(path, nb)
    return nb


def execute(paths: list[Path], timeout: int = CELL_TIMEOUT, workers: int = 2,
            auditors: list[Path] = ()) -> list[tuple[Path, object]]:
    """Run notebooks ``workers`` at a time; return them executed, in the order given. ``auditors``
    start their kernel as soon as a worker is free, then wait for the others, which they read as
    executed from a private folder named in $TASHKENT_EXECUTED_NOTEBOOKS."""
    import nbformat

    async def main(folder: str):
        slots, others = asyncio.Semaphore(max(1, workers)), [p for p in paths if p not in auditors]

        async def one(path, env=None, ready=None):
            async with slots:
                return await _execute_one(path, timeout, env, ready)

        async def written():
            for path, nb in zip(others, await asyncio.gather(*started.values()), strict=True):
                nbformat.write(nb, Path(folder) / path.name)

        started = {path: asyncio.ensure_future(one(path)) for path in others}
        tasks = [started.get(path) or asyncio.ensure_future(one(path, {EXECUTED_VARIABLE: folder}, written))
                 for path in paths]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            # The first failure wins: nbclient reports a notebook cancelled because of it as a dead kernel.
            failed = [t.exception() for t in tasks if t.done() and not t.cancelled() and t.exception()]
        finally:  # after a failure or an interrupt, every other notebook is cancelled
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if failed:
            raise failed[0]
        return [task.result() for task in tasks]

    folder = tempfile.mkdtemp(prefix="tashkent-executed-")
    loop = asyncio.new_event_loop()
    task = loop.create_task(main(folder))
    # An Event, not Thread.join: a signal during join makes 3.11's threading (its bpo-45274 clean-up)
    # release the running thread's lock and take it for stopped.
    finished = threading.Event()

    def run():
        try:
            loop.run_until_complete(task)
        except BaseException:
            pass  # kept in the task, for the waiting thread
        finally:  # as asyncio.run ends: what nbclient left running (its kernel-alive polls) is cancelled
            try:
                left = asyncio.all_tasks(loop)
                for pending in left:
                    pending.cancel()
                if left:
                    loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
            finally:
                finished.set()

    threading.Thread(target=run, name="notebooks", daemon=True).start()
    try:
        finished.wait()
    except BaseException:  # an interrupt: every kernel stops before it goes on
        loop.call_soon_threadsafe(task.cancel)
        finished.wait(CLEANUP_WAIT)
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if finished.is_set():
            loop.close()
    return list(zip(paths, task.result(), strict=True))


def running() -> str:
    """The cells running now, for the heartbeat: "notebooks/01-x.ipynb at cell 7", ..."""
    return ", ".join(f"{relative(path)} at cell {run['index'] + 1}" if run.get("index") is not None
                     else f"{relative(path)} starting" for path, run in list(RUNNING.items()))
