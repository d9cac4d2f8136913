"""Execute the notebooks, each in a fresh kernel (nbclient), in one asyncio loop on a thread of its own
(the main thread takes the signals). The first failure or an interrupt cancels them all; every kernel is
shut down before :func:`execute` returns. A failure is a :class:`BuildError` naming notebook and cell."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import tempfile
import threading
from contextlib import suppress
from pathlib import Path

from tashkent_report.config import EXECUTED_VARIABLE, relative
from tashkent_report.errors import BuildError, shortened

CELL_TIMEOUT = 120  # no cell of this report needs more than seconds: two minutes means stuck
TIMEOUT_VARIABLE = "TASHKENT_CELL_TIMEOUT"
CLEANUP_WAIT = 30.0  # seconds to wait for the kernels to shut down after an interrupt
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
    """Read and validate one notebook; anything wrong is a BuildError naming the file and the reason."""
    import nbformat

    try:
        text = Path(path).read_bytes().decode("utf-8")
        data = json.loads(text)
        version = data.get("nbformat") if isinstance(data, dict) else None
        if version != 4 or "cells" not in data:
            raise ValueError(f"valid JSON, but no notebook of format 4 ('nbformat': {version!r})")
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # OSError, UnicodeDecodeError, JSONDecodeError, nbformat.ValidationError, ...
        reason = exc.strerror if isinstance(exc, OSError) else shortened(exc, 200) or type(exc).__name__
        if isinstance(exc, json.JSONDecodeError):
            reason = f"not valid JSON: {reason}"
        raise BuildError(f"{relative(path)}: not a readable notebook: {reason}",
                         f"Restore it (git checkout -- {relative(path)}) or open and save it again in "
                         "JupyterLab (make lab), then run make report again.") from exc
    return nb


def failure(path: Path, run: dict, exc: BaseException, timeout: int) -> BuildError:
    """The BuildError for an exception out of nbclient, naming the notebook, cell and expression."""
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    from tashkent_report.analysis.myst import expressions
    from tashkent_report.render.expressions import ExpressionError

    where = relative(path)
    if isinstance(exc, ExpressionError):
        return BuildError(f"{where}, {exc}", "Define the name in a code cell above the Markdown "
                          f"cell, or correct the expression: {RUN_HINT}")
    if isinstance(exc, BuildError):  # the environment's fault (TMPDIR too long: kernels.py), not a notebook's
        return exc
    if run.get("index") is None:
        return BuildError(f"{where}: the kernel did not start: {shortened(exc) or type(exc).__name__}",
                          "Run make report again; if this happens again, "
                          "reinstall the environment (make clean-venv venv).")
    cell = run.get("cell") or {}
    source = cell.get("source", "") if cell.get("cell_type") == "markdown" else ""
    found = [f"{{eval}}`{e}`" for e in expressions(source)]
    where += f", cell {run['index'] + 1} (id {run.get('id') or '?'})"
    where += f", the expression{'s' * (len(found) > 1)} {', '.join(found)}" if found else ""
    if isinstance(exc, CellExecutionError):
        return BuildError(f"{where} failed: {exc.ename}: {shortened(exc.evalue)}",
                          f"Fix the cell: {RUN_HINT}")
    if isinstance(exc, CellTimeoutError):
        return BuildError(f"{where} was still running after the {timeout} s cell time limit", "Look for a "
                          "loop or a wait that never ends; if the cell really needs longer, raise the limit: "
                          f"make report ARGS='--timeout 600' (or {TIMEOUT_VARIABLE}=600).")
    if isinstance(exc, DeadKernelError):
        return BuildError(f"{where}: the kernel died while running this cell", "Its process ended "
                          "(os._exit, a crash in compiled code, or memory ran out): run the notebook in "
                          "JupyterLab (make lab) to find the cause.")
    return BuildError(f"{where} could not be run: {type(exc).__name__}: {shortened(exc)}",
                      "Run make report again; if this happens again, report the traceback of ARGS=--debug.")


def check_stderr(path: Path, nb) -> None:
    """No stderr stream in a cell readers see (not remove-cell): it would be published, and a warning
    naming a random folder would make two builds differ."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "remove-cell" in cell.get("metadata", {}).get("tags", []):
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                raise BuildError(
                    f"{relative(path)}, cell {index + 1} (id {cell.get('id')}) wrote to stderr: "
                    f"{shortened(output.get('text', ''))}",
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
            await ready()
        await client.async_execute()
    except Exception as exc:
        raise failure(path, run, exc, timeout) from exc
    finally:
        RUNNING.pop(path, None)
        with suppress(Exception):  # already gone
            if client.kc is not None:
                client.kc.stop_channels()
            if km.has_kernel:
                await km.shutdown_kernel(now=True)
        km.cleanup_connection_file()  # the kernel's private folder goes with it (kernels.py)
    check_stderr(path, nb)
    return nb


def execute(paths: list[Path], timeout: int = CELL_TIMEOUT, workers: int = 2,
            auditors: list[Path] = ()) -> list[tuple[Path, object]]:
    """Run notebooks ``workers`` at a time; return them executed, in the order given. ``auditors`` start
    their kernel, then wait to read the others, executed, from the folder $TASHKENT_EXECUTED_NOTEBOOKS."""
    import nbformat

    from tashkent_report.render.kernels import PREFIX

    async def main(folder: str):
        slots, others = asyncio.Semaphore(max(1, workers)), [p for p in paths if p not in auditors]

        async def one(path, env=None, ready=None):
            async with slots:
                return await _execute_one(path, timeout, env, ready)

        async def written():  # another notebook's failure cancels this one: that one is named
            for path, nb in zip(others, await asyncio.gather(*started.values()), strict=True):
                nbformat.write(nb, Path(folder) / path.name)

        # The first failure cancels the other notebooks (nbclient may report one so cancelled as a dead
        # kernel: the first failure wins), as does an interrupt.
        try:
            async with asyncio.TaskGroup() as group:
                started = {path: group.create_task(one(path)) for path in others}
                env = {EXECUTED_VARIABLE: folder}
                tasks = [started.get(path) or group.create_task(one(path, env, written)) for path in paths]
        except ExceptionGroup as failed:  # the first to fail, with its own cause
            first = failed.exceptions[0]
            raise first from first.__cause__
        return [task.result() for task in tasks]

    prefix = f"{PREFIX}{os.getpid()}-executed-"  # as a kernel's: swept if this process is killed outright
    with tempfile.TemporaryDirectory(prefix=prefix, ignore_cleanup_errors=True) as folder:
        loop = asyncio.new_event_loop()
        task = loop.create_task(main(folder))
        # An Event, not Thread.join: a signal during join makes 3.11's threading (its bpo-45274 clean-up)
        # release the running thread's lock and take it for stopped.
        finished = threading.Event()

        def run():
            try:
                with suppress(BaseException):  # the outcome is the task's, for the waiting thread
                    loop.run_until_complete(task)
                # As asyncio.run ends: what nbclient left running (its kernel-alive polls) is cancelled.
                if left := asyncio.all_tasks(loop):
                    for pending in left:
                        pending.cancel()
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
            if finished.is_set():
                loop.close()
    return list(zip(paths, task.result(), strict=True))


def running() -> str:
    """The cells running now, for the heartbeat: "notebooks/01-x.ipynb at cell 7", ..."""
    return ", ".join(f"{relative(path)} at cell {run['index'] + 1}" if run.get("index") is not None
                     else f"{relative(path)} starting" for path, run in list(RUNNING.items()))
