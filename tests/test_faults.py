"""Fault injection: every way a build can fail ends in one message, and reports/ and data/ stay as they were.

Three layers:

- the switch of reports/ (publish.py), in-process: a failure injected at every step, and a real
  SIGINT or SIGTERM delivered at every step, from each starting state (a last build, nothing),
  leave either the last good build or the new one, each whole, and nothing half-written beside
  them;
- the messages, in-process: each kind of failure is named with its file, notebook and cell;
- the build itself, in a subprocess (``python -m tashkent_report.render``), for each case of
  issue 12's table and the cases added since: status, the one message (no traceback), data/ and
  reports/ byte-identical afterwards, and no kernel process or connection folder left behind.
  Every case starts from a copy of one good build of a one-cell notebook (``good``). Cases that
  need seconds of kernel time or a second full build are marked ``slow``: `make test` leaves
  them out, `make test-slow` (run by CI, .ci/run) runs them.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from tashkent_report.config import ROOT
from tashkent_report.errors import BuildError
from tashkent_report.render import execution, interrupts, meta, publish
from tashkent_report.render import pipeline as build
from tashkent_report.render.kernels import PREFIX, sweep

from .test_pipeline import build_command, copy_project, digest, set_cell

NAMES = build.OUTPUT_NAMES
slow = pytest.mark.slow


# --- the switch of reports/, in-process -------------------------------------------------------


def outputs(tag: str) -> dict[str, bytes]:
    return {name: f"{tag} {name}\n".encode() for name in NAMES}


def files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def snapshot(out: Path) -> dict:
    """Everything a reader or the next build can see of reports/ and its build folders."""
    store = publish.store(out)
    return {
        "kind": ("link" if out.is_symlink() else "folder" if out.is_dir()
                 else "file" if out.exists() else None),
        "target": os.readlink(out) if out.is_symlink() else None,
        "files": digest(out) if out.is_dir() else None,
        "store": sorted(set(os.listdir(store)) - {publish.LOCK}) if store.is_dir() else [],
    }


def last_good(out: Path, kind: str) -> None:
    """reports/ as a last good build left it (our link), or nothing."""
    if kind == "link":
        publish.publish(out, outputs("old"))


STATES = ["link", "absent"]


def run_with_fault(tmp_path: Path, kind: str, n: int, fault):
    """Publish a new build over ``kind``, ``fault(label)`` called at the n-th step."""
    out = tmp_path / f"{kind}-{n}" / "reports"
    out.parent.mkdir()
    last_good(out, kind)
    publish.SWITCHED.clear()  # only this publish's switch counts
    before = snapshot(out)
    seen: list[str] = []

    def checkpoint(label: str) -> None:
        seen.append(label)
        if len(seen) == n:
            fault(label)

    original = publish._checkpoint
    publish._checkpoint = checkpoint
    try:
        publish.publish(out, outputs("new"))
        error = None
    except BaseException as exc:  # the injected failure or signal
        error = exc
    finally:
        publish._checkpoint = original
    return out, before, seen, error


def assert_new_and_whole(out: Path) -> None:
    assert out.is_symlink()
    assert files(out) == outputs("new")
    assert set(os.listdir(publish.store(out))) == {publish.LOCK, os.path.basename(os.readlink(out))}


@pytest.mark.parametrize("kind", STATES)
def test_a_failure_at_any_step_leaves_the_last_good_build(tmp_path, kind):
    failed_at = []
    for n in range(1, 50):
        def fail(label):
            raise OSError(errno.EIO, f"injected at {label}")

        out, before, seen, error = run_with_fault(tmp_path, kind, n, fail)
        if len(seen) < n:  # every step passed: the loop has covered them all
            assert error is None
            assert_new_and_whole(out)
            break
        assert isinstance(error, BuildError), error
        assert f"injected at {seen[-1]}" in str(error) and error.hint
        assert snapshot(out) == before, seen[-1]
        failed_at.append(seen[-1])
    expected = {"create the new build's folder", "write the new build's files",
                "flush the new build's folder", "make the new link", "switch"}
    assert expected <= set(failed_at)


@pytest.mark.parametrize("kind", STATES)
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_at_any_step_leaves_one_whole_build(tmp_path, kind, signum):
    assert threading.current_thread() is threading.main_thread()  # where signals are handled
    published, kept = [], []
    for n in range(1, 50):
        with interrupts.raised_as_exceptions():
            out, before, seen, error = run_with_fault(
                tmp_path, kind, n, lambda label: signal.raise_signal(signum))
        if len(seen) < n:
            assert error is None
            break
        assert isinstance(error, interrupts.Interrupted) and error.signum == signum, error
        if publish.absolute(out) in publish.SWITCHED:
            assert_new_and_whole(out)
            published.append(seen[-1])
        else:
            assert snapshot(out) == before, seen[-1]
            kept.append(seen[-1])
    # A signal while the outputs are written leaves the old build; one at the switch is held
    # back until the switch is done, so the new build is whole and the build says so.
    assert {"write the new build's files", "make the new link"} <= set(kept)
    assert "switch" in published


def test_a_signal_python_drops_in_a_del_still_stops_the_build(tmp_path, monkeypatch):
    """A signal can land in a weakref callback or a __del__ (seen during rendering: threading's WeakSet),
    whose exception Python prints as "Exception ignored" and drops: the build went on and switched
    reports/. It is not printed, and the next step (here the switch) raises it again."""
    out = tmp_path / "reports"
    publish.publish(out, outputs("old"))
    before, dropped = snapshot(out), []
    monkeypatch.setattr(sys, "unraisablehook", dropped.append)  # what Python would print

    class Collected:
        def __del__(self):
            signal.raise_signal(signal.SIGTERM)  # its handler runs here, and raises here

    with pytest.raises(interrupts.Interrupted) as caught, interrupts.raised_as_exceptions():
        Collected()  # collected at once: the Interrupted its __del__ raised is dropped
        publish.publish(out, outputs("new"))
    assert caught.value.signum == signal.SIGTERM
    assert dropped == [] and snapshot(out) == before


def test_a_signal_before_mains_handlers_stops_the_build_before_it_begins(tmp_path, monkeypatch, capsys):
    """Ctrl-C while the build starts (main's imports, before its handlers): run's handler keeps it, and
    the build stops at once; it used to run whole, switch reports/ and say it stopped after it was done."""
    from tashkent_report.render import checkout

    def foreign_package():
        signal.raise_signal(signal.SIGINT)  # as main starts: only run's handler is in place
        return None

    monkeypatch.setattr(checkout, "foreign_package", foreign_package)
    monkeypatch.setattr(build, "build", lambda *args, **kwargs: pytest.fail("the build began"))
    monkeypatch.setattr(sys, "argv", ["build", "--out", str(tmp_path / "reports")])
    handlers = {signum: signal.getsignal(signum) for signum in interrupts.SIGNALS}
    try:
        status = build.run()
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    err = capsys.readouterr().err.strip()
    assert status == 130 and err.startswith("Build stopped by SIGINT") and err.count("Build stopped") == 1


def test_outputs_are_readable_by_others_under_the_usual_umask(tmp_path):
    previous = os.umask(0o022)
    try:
        out = tmp_path / "reports"
        publish.publish(out, outputs("new"))
    finally:
        os.umask(previous)
    assert {oct(p.stat().st_mode & 0o777) for p in out.iterdir()} == {oct(0o644)}
    assert oct(out.resolve().stat().st_mode & 0o777) == oct(0o755)
    assert oct(publish.store(out).stat().st_mode & 0o777) == oct(0o755)


def test_outputs_follow_a_stricter_umask(tmp_path):
    previous = os.umask(0o077)
    try:
        out = tmp_path / "reports"
        publish.publish(out, outputs("new"))
    finally:
        os.umask(previous)
    assert {oct(p.stat().st_mode & 0o777) for p in out.iterdir()} == {oct(0o600)}


def test_old_builds_and_a_killed_builds_folder_go(tmp_path):
    """A build has a folder in the store only while it holds the lock; what else is there goes."""
    out = tmp_path / "reports"
    publish.publish(out, outputs("old"))
    old = publish.store(out) / os.path.basename(os.readlink(out))
    killed = publish.store(out) / "v-4243-0a0b0c0d"  # a build killed outright
    killed.mkdir()
    link = publish.store(out) / f".link-{killed.name}"  # what an earlier version's killed build left
    link.symlink_to(killed.name)
    publish.publish(out, outputs("new"))
    assert files(out) == outputs("new")
    assert set(os.listdir(publish.store(out))) == {publish.LOCK, os.path.basename(os.readlink(out))}
    assert not old.exists() and not killed.exists() and not os.path.lexists(link)


@pytest.mark.parametrize("make, expected", [
    (lambda out: out.write_text("notes"), "reports is a file, not the link"),
    (lambda out: (out.mkdir(), (out / "report.pdf").write_text("an older build's")),
     "reports is a folder, not the link"),
    (lambda out: (out.mkdir(), (out / "notes.txt").write_text("mine")), "reports is a folder, not the link"),
    (lambda out: os.symlink("/var/www", out), "reports is a link to /var/www, not the link"),
])
def test_what_the_build_did_not_make_is_refused_untouched(tmp_path, make, expected):
    out = tmp_path / "reports"
    make(out)
    before = snapshot(out)
    with pytest.raises(BuildError) as caught:
        publish.check(out)
    assert expected.replace("reports", str(out), 1) in str(caught.value)
    assert "mv " in caught.value.hint and "--out" in caught.value.hint
    with pytest.raises(BuildError):
        publish.publish(out, outputs("new"))
    assert snapshot(out) == before


def test_a_folder_that_cannot_be_written_is_named_with_what_to_do(tmp_path, monkeypatch):
    def refuse(label):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(publish, "_checkpoint", refuse)
    with pytest.raises(BuildError) as caught:
        publish.check(tmp_path / "reports")
    assert "Permission denied" in str(caught.value)
    assert "writable" in caught.value.hint and "--out" in caught.value.hint


# --- the messages, in-process ------------------------------------------------------------------


def write_notebook(path: Path, *sources: str) -> list[str]:
    """A chapter: a heading, then one code cell per source; returns every cell's id."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    # No digits in the prose: the build's prose audit would stop on them.
    nb.cells = [nbformat.v4.new_markdown_cell("# A chapter\n\nSome text.")]
    nb.cells += [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(nb, path)
    return [cell.id for cell in nb.cells]


@pytest.mark.parametrize("text, expected", [
    ('{"cells": [', "not valid JSON: Expecting value: line 1 column 12"),
    ("", "not valid JSON: Expecting value: line 1 column 1"),
    ("[1, 2]", "valid JSON, but no notebook of format 4"),
    ('{"nbformat": 3, "nbformat_minor": 0, "cells": []}', "no notebook of format 4 ('nbformat': 3)"),
    ('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code"}]}',
     "missing an expected key"),
    (b"\xff\xfe{}", "'utf-8' codec can't decode byte 0xff"),
])
def test_a_broken_notebook_file_is_named(tmp_path, text, expected):
    path = tmp_path / "02-broken.ipynb"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(BuildError) as caught:
        execution.load_notebook(path)
    assert str(caught.value).startswith(f"{path}: ") and expected in str(caught.value)
    assert "git checkout --" in caught.value.hint


def test_each_kernel_failure_names_notebook_and_cell():
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    path = ROOT / "notebooks" / "01-participation.ipynb"
    at = {"index": 3, "id": "abc123"}
    cases = [
        (CellExecutionError("traceback", "RuntimeError", "failed on purpose"), at,
         "01-participation.ipynb, cell 4 (id abc123) failed: RuntimeError: failed on purpose", "make lab"),
        (CellTimeoutError("Cell execution timed out"), at,
         "cell 4 (id abc123) was still running after the 7 s cell time limit", "--timeout"),
        (DeadKernelError("Kernel died"), at,
         "cell 4 (id abc123): the kernel died while running this cell", "os._exit"),
        (RuntimeError("Kernel died before replying to kernel_info"), {"index": None},
         "01-participation.ipynb: the kernel did not start: Kernel died before replying", "again"),
    ]
    for exc, run, message, hint in cases:
        error = execution.failure(path, run, exc, timeout=7)
        assert message in str(error) and str(error).startswith("notebooks/01-participation.ipynb")
        assert hint in error.hint


@slow
def test_a_slow_expression_is_named_by_its_markdown_cell(tmp_path):
    """nbclient's on_cell_start fires for Markdown cells too: a slow {eval} is blamed on its own cell
    and expression, not on the code cell before it."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# A chapter"),
                nbformat.v4.new_code_cell("import time\nclass Slow:\n    @property\n    def seconds(self):\n"
                                          "        time.sleep(60)\nslow = Slow()"),
                nbformat.v4.new_markdown_cell("It took {eval}`slow.seconds` seconds.")]
    path = tmp_path / "02-slow.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(BuildError) as caught:
        build.execute(path, timeout=2)
    assert str(caught.value) == (f"{path}, cell 3 (id {nb.cells[2].id}), the expression "
                                 "{eval}`slow.seconds` was still running after the 2 s cell time limit")
    assert "--timeout" in caught.value.hint


@slow
def test_an_auditor_reads_the_others_as_executed_and_a_failure_is_named_by_its_notebook(tmp_path):
    """The auditing chapter's kernel starts beside the others, its cells wait for them: it reads them
    executed; if one fails, the message names that one, not the auditor."""
    from tashkent_report.config import EXECUTED_VARIABLE

    write_notebook(tmp_path / "01-first.ipynb", "print('first ran')")
    read = f"nbformat.read(os.path.join(os.environ[{EXECUTED_VARIABLE!r}], '01-first.ipynb'), 4)"
    write_notebook(tmp_path / "04-audit.ipynb",
                   f"import os, nbformat\nprint({read}.cells[1].outputs[0].text, end='')",
                   f"print(os.path.basename(os.environ[{EXECUTED_VARIABLE!r}]))")
    paths = [tmp_path / "01-first.ipynb", tmp_path / "04-audit.ipynb"]
    executed = dict(execution.execute(paths, timeout=60, workers=2, auditors=paths[1:]))
    assert executed[paths[1]].cells[1].outputs[0]["text"] == "first ran\n"
    # Named as the kernels' folders are: if this process is killed outright, the next build sweeps it.
    assert executed[paths[1]].cells[2].outputs[0]["text"].startswith(f"{PREFIX}{os.getpid()}-")
    ids = write_notebook(tmp_path / "01-first.ipynb", "raise RuntimeError('failed on purpose')")
    with pytest.raises(BuildError) as caught:
        execution.execute(paths, timeout=60, workers=2, auditors=paths[1:])
    assert str(caught.value).startswith(f"{tmp_path / '01-first.ipynb'}, cell 2 (id {ids[1]}) failed: ")


def test_a_pdf_worker_that_fails_is_named(monkeypatch):
    """The PDF is laid out in a process of its own: its failure is one BuildError, not a broken pipe."""
    failing = [sys.executable, "-c", "import sys; sys.exit('no WeasyPrint here')"]
    monkeypatch.setattr(build, "PDF_WORKER", failing)
    with build.pdf_worker() as render, pytest.raises(BuildError, match="render the PDF: no WeasyPrint"):
        render("<p>x</p>" * 100_000)()


def test_the_stop_message_is_one_screen_and_says_what_to_do(tmp_path):
    from tashkent_report.analysis.dataset import DataError

    out = tmp_path / "reports"
    publish.publish(out, outputs("old"))
    publish.SWITCHED.clear()  # as if an earlier build had made it
    data = DataError(ROOT / "data/facts/figures.csv", "type error", line=6, field="value")
    message, status = build.stop_message(data, out)
    assert status == 1 and message.startswith("Build stopped: data/facts/figures.csv, line 6")
    assert "Correct the file" in message and "is unchanged" in message
    message, status = build.stop_message(interrupts.Interrupted(signal.SIGTERM), out, "rendering PDF")
    assert status == 143 and "Build stopped by SIGTERM while rendering PDF" in message
    publish.SWITCHED.append(publish.absolute(out))  # this build switched it
    message, status = build.stop_message(interrupts.Interrupted(signal.SIGINT), out)
    publish.SWITCHED.clear()
    assert status == 130 and "holds the complete new build" in message
    message, _ = build.stop_message(BuildError("notebooks/05-appendix.ipynb: a number without a source"), out)
    assert message.splitlines()[1] == "Correct what the message names, then run make report again."
    message, status = build.stop_message(ZeroDivisionError("x"), tmp_path / "none")
    assert "unexpected ZeroDivisionError" in message and "ARGS=--debug" in message
    assert "Nothing was written" in message


def test_cell_time_limit_from_flag_or_environment(monkeypatch):
    monkeypatch.delenv(execution.TIMEOUT_VARIABLE, raising=False)
    assert execution.cell_timeout() == 120
    monkeypatch.setenv(execution.TIMEOUT_VARIABLE, "30")
    assert execution.cell_timeout() == 30
    assert execution.cell_timeout("5") == 5
    for bad in ("abc", "0", "-3"):
        with pytest.raises(BuildError, match="not a positive whole number of seconds"):
            execution.cell_timeout(bad)


def test_a_bad_time_limit_stops_with_the_message(capsys):
    assert build.main(["--timeout", "soon", "--out", "/nonexistent/reports"]) == 1
    err = capsys.readouterr().err
    assert "Build stopped: --timeout is 'soon'" in err and "Traceback" not in err


@pytest.mark.parametrize("argv, expected", [
    (["--nonsense"], "unrecognized arguments: --nonsense"),
    (["--force", "--nonsense", "extra"], "unrecognized arguments: --nonsense extra"),
    (["--timeout"], "argument --timeout: expected one argument"),
])
def test_an_unknown_option_stops_with_one_message(capsys, argv, expected):
    assert build.main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.startswith(f"Build stopped: {expected}") and err.count("Build stopped") == 1, err
    assert "usage:" not in captured.err + captured.out and "--out FOLDER" in err
    assert len(err.splitlines()) <= 3, err


def test_a_long_step_keeps_printing(monkeypatch, capsys):
    monkeypatch.setattr(build, "HEARTBEAT", 0.01)
    printed = ""
    with build.step("rendering PDF (WeasyPrint)"):
        for _ in range(1000):
            time.sleep(0.01)
            printed += capsys.readouterr().out
            if "(still working, " in printed:
                break
    assert re.search(r"rendering PDF \(WeasyPrint\) \.\.\. \(still working, \d+ s\)", printed), printed


def test_a_long_notebook_run_keeps_printing(monkeypatch, capsys):
    path = ROOT / "notebooks" / "01-participation.ipynb"
    monkeypatch.setattr(build, "HEARTBEAT", 0.01)
    monkeypatch.setitem(execution.RUNNING, path, {"index": 6})
    printed = ""
    with build.step("executing the notebooks"):
        while "(still working, " not in printed:
            time.sleep(0.01)
            printed += capsys.readouterr().out
    assert "still working, 0 s: notebooks/01-participation.ipynb at cell 7)" in printed


def test_the_inputs_hash_ignores_where_the_project_sits(tmp_path, monkeypatch):
    prints, original = [], list(meta.INPUT_GLOBS)
    for name in ("clone-a", "another clone, é"):
        root = tmp_path / name
        copy_project(root, notebooks=["01"])
        for file in ("requirements.txt", "pyproject.toml"):
            shutil.copy2(ROOT / file, root / file)
        moved = {ROOT: root, ROOT / "data": root / "data", ROOT / "notebooks": root / "notebooks"}
        globs = [(label, moved.get(folder, folder), pattern) for label, folder, pattern in original]
        monkeypatch.setattr(meta, "INPUT_GLOBS", globs)
        prints.append(meta.fingerprint())
    assert prints[0] == prints[1]
    (root / "data" / "codebook.csv").write_bytes(b"changed")
    assert meta.fingerprint() != prints[0]  # content still counts


def test_the_inputs_hash_covers_the_inputs_and_no_editor_junk(tmp_path, monkeypatch):
    """Lock files, JupyterLab checkpoints and backups beside the inputs leave the hash as it is;
    a change to any declared input changes it."""
    root = copy_project(tmp_path / "clone")
    package = tmp_path / "package"
    shutil.copytree(meta.PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    moved = {ROOT / "data": root / "data", ROOT / "notebooks": root / "notebooks", meta.PACKAGE: package}
    monkeypatch.setattr(meta, "INPUT_GLOBS", [(label, moved.get(folder, folder), pattern)
                                               for label, folder, pattern in meta.INPUT_GLOBS])
    clean = meta.fingerprint()
    junk = [
        root / "data" / "facts" / ".~lock.figures.csv#",  # LibreOffice, while the file is open
        root / "data" / "facts" / ".ipynb_checkpoints" / "figures-checkpoint.csv",
        root / "data" / "facts" / "figures.csv~",
        root / "data" / ".DS_Store",
        root / "data" / "notes.txt",
        root / "notebooks" / ".ipynb_checkpoints" / "01-participation-checkpoint.ipynb",
        root / "notebooks" / ".~lock.01-participation.ipynb#",
        package / "analysis" / ".ipynb_checkpoints" / "plots-checkpoint.py",
        package / "render" / "templates" / "report" / ".report.css.swp",
        package / "render" / "templates" / "report" / ".ipynb_checkpoints" / "report-checkpoint.css",
    ]
    for path in junk:
        path.parent.mkdir(exist_ok=True)
        path.write_text("junk,1\n")
    assert meta.fingerprint() == clean
    for path in [root / "data" / "facts" / "figures.csv", root / "data" / "raw" / next(
            (root / "data" / "raw").iterdir()).name, root / "data" / "datapackage.json",
            root / "data" / "audit" / "report_numbers.csv",
            package / "render" / "templates" / "report" / "report.css", package / "analysis" / "plots.py",
            package / "render" / "pipeline.py", root / "notebooks" / "01-participation.ipynb"]:
        before = path.read_bytes()
        path.write_bytes(before + b" ")
        assert meta.fingerprint() != clean, path
        path.write_bytes(before)
    assert meta.fingerprint() == clean


# --- the build itself, in a subprocess ---------------------------------------------------------


def kernel_leftovers(pid: int) -> list[str]:
    """Connection folders and kernel processes started by the build with this pid."""
    mark = f"{PREFIX}{pid}-"
    found = [str(p) for p in Path(tempfile.gettempdir()).glob(mark + "*")]
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if mark in (proc / "cmdline").read_bytes().decode(errors="replace"):
                found.append(f"process {proc.name}")
        except OSError:
            pass
    return found


def wait_for(condition, what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


@dataclass
class Run:
    status: int
    out: str
    err: str
    pid: int


def start(root: Path, *args: str, env: dict | None = None, prefix: list[str] | None = None):
    command, base = build_command(root)
    return subprocess.Popen((prefix or []) + command + list(args), env={**base, **(env or {})}, cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def finish(process) -> Run:
    out, err = process.communicate(timeout=600)
    return Run(process.returncode, out, err, process.pid)


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """A project with a one-cell chapter, and in reports/ a last good build (written as builds
    write it; tests/test_pipeline.py checks the outputs of a real one)."""
    root = copy_project(tmp_path_factory.mktemp("good") / "project", notebooks=[])
    write_notebook(root / "notebooks" / "01-tiny.ipynb", "print('tiny')")
    publish.publish(root / "reports", outputs("last good"))
    return root


@pytest.fixture
def project(good, tmp_path):
    root = tmp_path / "project"
    shutil.copytree(good, root, symlinks=True)
    return root


@dataclass
class Case:
    """One way to break the build and the words its message must hold ({n}: the id of cell n+1)."""

    name: str
    damage: object  # damage(root) -> extra CLI arguments, or None
    expected: list[str]
    status: int = 1
    kernels: bool = False  # the build gets as far as starting kernels
    env: dict = field(default_factory=dict)


def notebook(name: str, *sources: str):
    def damage(root: Path):
        write_notebook(root / "notebooks" / name, *sources)
    return damage


def broken_file(name: str, text: str):
    def damage(root: Path):
        (root / "notebooks" / name).write_text(text, encoding="utf-8")
    return damage


def separator(root: Path):
    """The table as a spreadsheet set to French conventions exports it: ';' between fields."""
    import csv

    path = root / "data" / "facts" / "figures.csv"
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";", lineterminator="\n").writerows(rows)


def decomposed(root: Path):
    import unicodedata

    path = root / "data" / "facts" / "statements.csv"
    path.write_bytes(unicodedata.normalize("NFD", path.read_text(encoding="utf-8")).encode("utf-8"))


def oversized(root: Path):
    set_cell(root / "data" / "facts" / "figures.csv", "delegations", "translation", "x" * 5_000_000)


def reports_is_a_file(root: Path):
    (root / "reports").unlink()
    (root / "reports").write_text("not a folder")


def reports_is_a_folder(root: Path):
    """reports/ as a plain folder: an older build's layout, or someone else's folder."""
    out = root / "reports"
    kept = files(out)
    out.unlink()
    out.mkdir()
    for name, data in kept.items():
        (out / name).write_bytes(data)


def foreign_link(root: Path):
    (root / "reports").unlink()
    os.symlink("/var/www", root / "reports")


HANG = "import time\ntime.sleep(600)"

CASES = [
    # issue 12's table
    Case("notebook not valid JSON", broken_file("02-broken.ipynb", '{"cells": ['),
         ["notebooks/02-broken.ipynb: not a readable notebook: not valid JSON", "line 1 column 12",
          "git checkout"]),
    Case("cell kills its kernel", notebook("02-dies.ipynb", "x = 1", "import os\nos._exit(1)"),
         ["notebooks/02-dies.ipynb, cell 3 (id {2}): the kernel died while running this cell"], kernels=True),
    Case("cell hangs", notebook("02-hangs.ipynb", HANG),
         ["notebooks/02-hangs.ipynb, cell 2 (id {1}) was still running after the 3 s cell time limit",
          "--timeout"], kernels=True, env={"TASHKENT_CELL_TIMEOUT": "3"}),
    Case("reports is a file", reports_is_a_file,
         ["reports is a file, not the link", "mv reports reports.old",
          "Nothing was written: reports is as it was."]),
    Case("reports is a plain folder", reports_is_a_folder,
         ["reports is a folder, not the link", "mv reports reports.old"]),
    Case("CSV separated by semicolons", separator,
         ["data/facts/figures.csv, line 1 (header): the columns are separated by semicolons, not commas"]),
    Case("quote in decomposed Unicode", decomposed,
         ["data/facts/statements.csv, line 2 (data row 1), field 'quote'", "not in Unicode NFC form"]),
    Case("5 MB cell", oversized,
         ["data/facts/figures.csv, line 11 (data row 10), field 'translation': the cell holds 5,000,000"]),
    # added
    Case("JSON that is not a notebook", broken_file("02-list.ipynb", "[]"),
         ["notebooks/02-list.ipynb: not a readable notebook: valid JSON, but no notebook of format 4"]),
    Case("cell raises", notebook("02-raises.ipynb", 'raise RuntimeError("failed on purpose")'),
         ["notebooks/02-raises.ipynb, cell 2 (id {1}) failed: RuntimeError: failed on purpose", "make lab"],
         kernels=True),
    Case("reports is someone else's link", foreign_link,
         ["reports is a link to /var/www, not the link", "Nothing was written"]),
    Case("cell time limit given wrong", lambda root: ["--timeout", "ten"],
         ["--timeout is 'ten', not a positive whole number of seconds"]),
]
FAST = {"notebook not valid JSON", "reports is a plain folder", "cell raises"}


@pytest.mark.parametrize("case", [
    pytest.param(case, id=case.name, marks=() if case.name in FAST else slow) for case in CASES])
def test_each_fault_stops_with_one_message_and_leaves_everything(project, case):
    args = case.damage(project) or []
    before = snapshot(project / "reports"), digest(project / "data")  # as the user left them
    ids = []
    for path in sorted((project / "notebooks").glob("02-*.ipynb")):
        try:
            ids = [cell.id for cell in nbformat.read(path, as_version=4).cells]
        except Exception:
            pass
    run = finish(start(project, *args, env=case.env))
    expected = [e.format(*ids) for e in case.expected]
    assert_stopped(run, case.status, expected)
    assert (snapshot(project / "reports"), digest(project / "data")) == before
    assert ("  executing " in run.out) == case.kernels  # cheap checks come before any kernel
    assert "executed notebooks/02" not in run.out and "rendering" not in run.out
    assert kernel_leftovers(run.pid) == []


def assert_stopped(run: Run, status: int, expected: list[str]) -> None:
    err = run.err.strip()
    assert run.status == status, run.out + run.err
    assert err.startswith("Build stopped") and err.count("Build stopped") == 1, err
    assert "Traceback" not in run.err and len(err.splitlines()) <= 5, err
    for words in expected:
        assert words in err, err


def test_debug_adds_the_traceback(project):
    broken_file("02-broken.ipynb", "{")(project)
    run = finish(start(project, "--debug"))
    assert run.status == 1
    assert "Traceback" in run.err and run.err.rstrip().splitlines()[-3].startswith("Build stopped")


def unprivileged(root: Path) -> list[str]:
    """Run as a user who owns the project but is not root (root may write anywhere)."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.fail("running as root without setpriv (util-linux): cannot test as another user")
    for path in [root, *root.rglob("*")]:
        os.lchown(path, 65534, 65534)
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.fixture
def shared_project(good):
    """A copy of the good project in a folder other users can reach (pytest's is private)."""
    base = Path(tempfile.mkdtemp(prefix="tashkent-faults-"))
    base.chmod(0o755)
    root = base / "project"
    shutil.copytree(good, root, symlinks=True)
    yield root
    shutil.rmtree(base)


@slow
@pytest.mark.parametrize("what", [".reports.d/", "the project folder"])
def test_a_folder_the_user_cannot_write_is_named_before_any_work(shared_project, what):
    root = shared_project
    prefix = unprivileged(root)
    locked = publish.store(root / "reports") if what == ".reports.d/" else root
    locked.chmod(0o555)
    before = snapshot(root / "reports"), digest(root / "data")
    try:
        run = finish(start(root, prefix=prefix))
    finally:
        locked.chmod(0o755)
    expected = ["cannot write in .reports.d: permission denied", "Make .reports.d writable"] if (
        what == ".reports.d/") else ["cannot write in the project folder", "writable for you"]
    assert_stopped(run, 1, expected)
    assert (snapshot(root / "reports"), digest(root / "data")) == before
    assert "checking data" not in run.out


def run_until_cell_started(project: Path, signum: int) -> tuple[Run, list[str]]:
    """Start a build whose chapter hangs, signal it once the cell runs, return the result."""
    mark = project / "cell-started"
    ids = write_notebook(project / "notebooks" / "02-waits.ipynb",
                         f"open({str(mark)!r}, 'w').close()\n{HANG}")
    process = start(project)
    wait_for(lambda: mark.exists() or process.poll() is not None, "the cell to start")
    os.kill(process.pid, signum)
    return finish(process), ids


@slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_build_shuts_its_kernels_and_changes_nothing(project, signum):
    before = snapshot(project / "reports"), digest(project / "data")
    run, _ = run_until_cell_started(project, signum)
    name = signal.Signals(signum).name
    assert_stopped(run, 128 + signum, [f"Build stopped by {name} while executing the notebooks",
                                       "every kernel was shut down", "reports/ is unchanged"])
    assert (snapshot(project / "reports"), digest(project / "data")) == before
    assert kernel_leftovers(run.pid) == []


@slow
def test_a_build_killed_outright_leaves_no_kernel_and_its_folder_is_swept(project):
    mark = project / "cell-started"
    write_notebook(project / "notebooks" / "02-waits.ipynb", f"open({str(mark)!r}, 'w').close()\n{HANG}")
    before = snapshot(project / "reports"), digest(project / "data")
    process = start(project)
    wait_for(lambda: mark.exists() or process.poll() is not None, "the cell to start")
    assert kernel_leftovers(process.pid)
    process.kill()
    process.communicate()
    # The kernel polls its parent every second and exits once it has gone.
    wait_for(lambda: not [f for f in kernel_leftovers(process.pid) if f.startswith("process")],
             "the orphaned kernel to exit", seconds=30)
    sweep()
    assert kernel_leftovers(process.pid) == []
    assert (snapshot(project / "reports"), digest(project / "data")) == before


DRIVER = textwrap.dedent("""
    # A build with the notebooks' execution and rendering stubbed out; SIGTERM at one step.
    import contextlib, os, signal, sys
    import nbformat
    from tashkent_report.render import publish
    from tashkent_report.render import pipeline as build

    stop_at = sys.argv[1]
    def checkpoint(label):
        if label == stop_at:  # to this thread, at this instant (os.kill's may reach another thread)
            signal.raise_signal(signal.SIGTERM)
    publish._checkpoint = checkpoint
    build.execute_all = lambda paths, timeout: [(p, nbformat.read(p, as_version=4)) for p in paths]
    build.to_html = lambda nb, meta, analyst=False: "<html>new</html>"
    build.pdf_worker = lambda: contextlib.nullcontext(lambda html: lambda: b"%PDF new")
    sys.exit(build.main(sys.argv[2:]))
""")


@slow
@pytest.mark.parametrize("step", ["write the new build's files", "switch"])
def test_sigterm_while_the_outputs_move_into_place(project, step):
    before = snapshot(project / "reports")
    old = files(project / "reports")
    command, env = build_command(project)
    result = subprocess.run([sys.executable, "-c", DRIVER, step, *command[3:], "--force"], env=env,
                            cwd=project, capture_output=True, text=True, timeout=300)
    run = Run(result.returncode, result.stdout, result.stderr, 0)
    if step == "switch":  # held back until the switch was done: the new build, whole
        assert_stopped(run, 143, ["just after the new report was switched in",
                                  "reports/ holds the complete new build"])
        new = files(project / "reports")
        assert new["report.pdf"] == b"%PDF new" and new["report.html"] == b"<html>new</html>"
        assert new != old and new.keys() == old.keys()
    else:
        assert_stopped(run, 143, ["Build stopped by SIGTERM while switching reports/ to the new build",
                                  "reports/ is unchanged"])
        assert snapshot(project / "reports") == before


@slow
def test_two_clones_in_differently_named_folders_build_identical_reports(tmp_path):
    reports = []
    for name in ("clone", "a second clone, é"):
        root = copy_project(tmp_path / name)
        for file in ("requirements.txt", "pyproject.toml"):
            shutil.copy2(ROOT / file, root / file)
        run = finish(start(root))
        assert run.status == 0, run.out + run.err
        reports.append(files(root / "reports"))
    assert reports[0].keys() == set(NAMES)
    assert reports[0] == reports[1]


@slow
def test_builds_are_byte_identical_whatever_home_is_and_leave_no_temporary_folder(tmp_path):
    """HOME unwritable, unset or normal: the same reports, no warning published, and nothing left
    in the temporary folder (matplotlib's and IPython's folders are the kernels' own)."""
    root = copy_project(tmp_path / "project", notebooks=[])
    write_notebook(root / "notebooks" / "01-chart.ipynb",
                   "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([0, 1])\nplt.show()")
    reports = {}
    for home in ("unwritable", "unset", "normal"):
        temporary = Path(tempfile.mkdtemp(prefix="tkh"))
        command, env = build_command(root)
        env["TMPDIR"] = str(temporary)
        if home == "unset":
            env.pop("HOME")
        elif home == "unwritable":
            env["HOME"] = "/dev/null/home"
        for name in ("MPLCONFIGDIR", "IPYTHONDIR", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR"):
            env.pop(name, None)
        ran = subprocess.run(command + ["--force"], env=env, cwd=root, capture_output=True, text=True,
                             timeout=600)
        try:
            assert ran.returncode == 0, ran.stdout + ran.stderr
            assert os.listdir(temporary) == [], home
        finally:
            shutil.rmtree(temporary)
        reports[home] = files(root / "reports")
        assert b"temporary" not in reports[home]["report.html"], home
    assert reports["unwritable"] == reports["unset"] == reports["normal"]


SIGNAL_DRIVER = textwrap.dedent("""
    # A build with execution and rendering stubbed out; signals sent to itself at one instant.
    import contextlib, os, signal, sys
    import nbformat
    from tashkent_report.render import publish
    from tashkent_report.render import pipeline as build

    when, names = sys.argv[1], sys.argv[2].split(",")
    sys.argv = [sys.argv[0]] + sys.argv[3:]

    def send():
        blocked = {signal.SIGINT, signal.SIGTERM}
        signal.pthread_sigmask(signal.SIG_BLOCK, blocked)  # all of them pending at once
        for name in names:  # to this thread: os.kill's would go to another thread (the heartbeat's),
            signal.raise_signal(getattr(signal, name))  # which takes them in any order
        signal.pthread_sigmask(signal.SIG_UNBLOCK, blocked)

    class Hook:
        def __init__(self, stream, marker):
            self.stream, self.marker = stream, marker
        def write(self, text):
            written = self.stream.write(text)
            if self.marker(text):
                self.stream.flush()
                send()
            return written
        def __getattr__(self, name):
            return getattr(self.stream, name)

    def checkpoint(label):
        if when == label:
            send()
    publish._checkpoint = checkpoint
    if when == "after the switch":  # the step's time, printed once the switch is done
        sys.stdout = Hook(sys.stdout, lambda t: build.DOING[0].startswith("switching") and t.endswith(" s"))
    elif when == "Done":
        sys.stdout = Hook(sys.stdout, lambda t: t.startswith("Done in"))
    elif when == "the message":  # a first signal while writing, then one while the message is printed
        sys.stderr = Hook(sys.stderr, lambda t: "Build stopped" in t)
        publish._checkpoint = lambda label: send() if label == "write the new build's files" else None
    elif when == "exit":  # after main's own handlers are gone, before the process ends
        original = build.raised_as_exceptions
        @contextlib.contextmanager
        def then_signal(**kwargs):
            with original(**kwargs):
                yield
            send()
        build.raised_as_exceptions = then_signal
    build.execute_all = lambda paths, timeout: [(p, nbformat.read(p, as_version=4)) for p in paths]
    build.to_html = lambda nb, meta, analyst=False: "<html>new</html>"
    build.pdf_worker = lambda: contextlib.nullcontext(lambda html: lambda: b"%PDF new")
    sys.exit(build.run())
""")


@slow
@pytest.mark.parametrize("when, names, status, expected", [
    ("after the switch", "SIGTERM", 143, ["just after the new report was switched in",
                                          "reports/ holds the complete new build"]),
    ("Done", "SIGINT", 130, ["Build stopped by SIGINT", "reports/ holds the complete new build"]),
    ("exit", "SIGTERM", 143, ["Build stopped by SIGTERM after the build was done: "
                              "reports/ holds the complete new build."]),
    ("write the new build's files", "SIGINT,SIGTERM", 130, [
        "Build stopped by SIGINT while switching reports/", "reports/ is unchanged"]),
    ("the message", "SIGTERM", 143, ["Build stopped by SIGTERM while switching reports/",
                                     "reports/ is unchanged"]),
])
def test_a_signal_at_every_instant_gives_one_message(project, when, names, status, expected):
    """Just after the switch, after "Done", as the process ends, two signals at once, a second
    signal while the message is printed: one message, 130 or 143, reports/ whole."""
    before, old = snapshot(project / "reports"), files(project / "reports")
    command, env = build_command(project)
    result = subprocess.run([sys.executable, "-c", SIGNAL_DRIVER, when, names, *command[3:], "--force"],
                            env=env, cwd=project, capture_output=True, text=True, timeout=300)
    run = Run(result.returncode, result.stdout, result.stderr, 0)
    assert_stopped(run, status, expected)
    if "unchanged" in expected[-1]:
        assert snapshot(project / "reports") == before
    else:
        new = files(project / "reports")
        assert new["report.pdf"] == b"%PDF new" and new.keys() == old.keys()


@slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_to_the_whole_process_group_gives_one_message(project, signum):
    """Ctrl-C in a terminal, or kill to make's process group: make, the build and its kernels all
    get the signal. One message, 130 or 143, reports/ and data/ unchanged, no kernel left."""
    mark = project / "cell-started"
    write_notebook(project / "notebooks" / "02-waits.ipynb", f"open({str(mark)!r}, 'w').close()\n{HANG}")
    before = snapshot(project / "reports"), digest(project / "data")
    parent = ["sh", "-c", '"$@"; exit $?', "sh"]  # stands for make: a parent in the same group
    process = start(project, prefix=parent)
    wait_for(lambda: mark.exists() or process.poll() is not None, "the cell to start")
    build_pid = int(subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True,
                                   text=True).stdout.split()[0])
    os.killpg(process.pid, signum)
    run = finish(process)
    name = signal.Signals(signum).name
    assert run.status in (128 + signum, -signum), run.out + run.err
    err = run.err.strip()
    assert err.startswith(f"Build stopped by {name}") and err.count("Build stopped") == 1, err
    assert "Traceback" not in run.err and "reports/ is unchanged" in err, err
    assert (snapshot(project / "reports"), digest(project / "data")) == before
    assert kernel_leftovers(build_pid) == []


def _held_elsewhere(lock: Path) -> bool:
    """Whether another process finds the lock file taken (a non-blocking exclusive flock fails)."""
    probe = ("import fcntl, sys\n"
             "with open(sys.argv[1], 'a') as handle:\n"
             "    try:\n        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
             "    except BlockingIOError:\n        sys.exit(3)\n")
    return subprocess.run([sys.executable, "-c", probe, str(lock)], timeout=60).returncode == 3


def test_a_build_holds_the_lock_while_its_folder_exists_and_frees_it_after(tmp_path, monkeypatch):
    """Two builds never switch reports/ at once, and neither removes the other's folder as it tidies the
    store: the new build's folder is made, written and switched to under .reports.d/.lock."""
    out = tmp_path / "reports"
    publish.publish(out, outputs("old"))
    lock = publish.store(out) / publish.LOCK
    seen = {}

    def checkpoint(label):
        if label != "create the build store":  # in check(), before the new build's folder exists
            seen[label] = _held_elsewhere(lock)

    monkeypatch.setattr(publish, "_checkpoint", checkpoint)
    publish.publish(out, outputs("new"))
    assert seen == dict.fromkeys(["create the new build's folder", "write the new build's files",
                                  "flush the new build's folder", "make the new link", "switch"], True)
    assert not _held_elsewhere(lock)
    assert files(out) == outputs("new")
