"""Put a build's outputs in place all at once: ``reports/`` never mixes two builds.

The layout, made by the build itself::

    reports -> .reports.d/v-<pid>-<random>     a relative symbolic link
    .reports.d/v-<pid>-<random>/               one folder per build: report.html,
                                               report-analyst.html, report.pdf, .inputs.sha256

A build writes every output into a new folder in ``.reports.d/`` and flushes it to disk, makes a
new link to it and renames the link over ``reports`` (``os.replace``). ``rename(2)`` is atomic:
at every instant ``reports`` is the last good build or the new one, each whole. Only then are
older build folders removed (a reader holding one of their files open keeps reading it). SIGINT
and SIGTERM are held back across the rename, so the build always knows whether the switch
happened; ``.reports.d/.lock`` serialises the switch of two builds run at once. Files are created
with the user's umask (0644 and folders 0755 under the usual 022). Anything at ``reports`` that
is not a build's link (a folder, a file, another link) is refused with a message naming it: the
build never deletes what it did not write.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import secrets
import shutil
from contextlib import contextmanager
from pathlib import Path

from tashkent_report.config import relative
from tashkent_report.errors import BuildError
from tashkent_report.files import write_atomically
from tashkent_report.render.interrupts import Interrupted, held
from tashkent_report.render.processes import alive

LOCK = ".lock"
SWITCHED: list[Path] = []  # every out this process has switched to a new build, as the switch happens


def _checkpoint(label: str) -> None:
    """Called before each step that touches the file system: a seam for fault-injection tests."""


def absolute(out: Path) -> Path:
    """``out`` made absolute without resolving it: ``reports`` itself is a link."""
    return Path(os.path.abspath(out))


def store(out: Path) -> Path:
    return out.parent / f".{out.name}.d"


def shown(path: Path) -> str:
    """A path as messages show it, relative to the project without resolving its last part."""
    path = absolute(path)
    if relative(path) == ".":
        return f"the project folder ({path})"
    return str(Path(relative(path.parent)) / path.name)


def _pid_of(name: str) -> int | None:
    match = re.fullmatch(r"(?:v|\.link)-(\d+)-[0-9a-f]+", name)
    return int(match.group(1)) if match else None


def _new_name(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{secrets.token_hex(4)}"


def _os_error(exc: OSError, what: str, where: Path) -> BuildError:
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = (f"Make {shown(where)} writable for you, or build elsewhere with "
                "make report ARGS='--out FOLDER'.")
    elif exc.errno in (errno.ENOSPC, errno.EDQUOT):
        hint = f"Free some disk space on the file system of {shown(where)}, then run make report again."
    else:
        hint = f"Check {shown(where)}, then run make report again."
    return BuildError(f"cannot {what} {shown(where)}: {exc.strerror or exc}", hint)


@contextmanager
def _locked(out: Path):
    """Hold ``.reports.d/.lock`` (creating ``.reports.d/`` if need be)."""
    try:
        _checkpoint("create the build store")
        store(out).mkdir(parents=True, exist_ok=True)
        handle = open(store(out) / LOCK, "a")
    except OSError as exc:
        raise _os_error(exc, "create a folder in", out.parent) from exc
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield store(out)


def holds_a_build(out: Path) -> bool:
    """``out`` is a link a build made to its folder in the store."""
    out = absolute(out)
    try:
        target = Path(os.readlink(out))
    except OSError:
        return False
    return (not target.is_absolute() and target.parent == Path(store(out).name)
            and _pid_of(target.name) is not None)


def _refuse(out: Path) -> None:
    """A BuildError unless ``out`` is absent or a build's link."""
    label = shown(out)
    todo = ("The build replaces it as a whole, and deletes only what it wrote itself: move it away "
            f"(mv {label} {label}.old), or build elsewhere with make report ARGS='--out FOLDER'.")
    if os.path.islink(out) and not holds_a_build(out):
        raise BuildError(f"{label} is a link to {os.readlink(out)}, which no build made", todo)
    if os.path.isdir(out) and not os.path.islink(out):
        raise BuildError(f"{label} is a folder, where builds keep a link to their latest build (an "
                         "older build's, or someone else's)", todo)
    if os.path.lexists(out) and not os.path.islink(out):
        raise BuildError(f"{label} is a file, where the reports' folder should be", todo)


def check(out: Path, names: tuple[str, ...] = ()) -> None:
    """Before any expensive work: ``out`` is absent or a build's link, and the store is writable."""
    out = absolute(out)
    _refuse(out)
    with _locked(out) as folder:
        if not os.access(out.parent, os.W_OK | os.X_OK):  # the switch renames a link into it
            raise BuildError(f"cannot write in {shown(out.parent)}, where {out.name} is switched to each "
                             "new build: permission denied", f"Make {shown(out.parent)} writable for you, "
                             "or build elsewhere with make report ARGS='--out FOLDER'.")
        probe = folder / _new_name("v")
        try:
            _checkpoint("probe the build store")
            os.mkdir(probe)
            os.rmdir(probe)
        except OSError as exc:
            raise _os_error(exc, "create a folder in", folder) from exc


def _fsync_folder(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(out: Path, outputs: dict[str, bytes], names: tuple[str, ...] = ()) -> None:
    """Write ``outputs`` (file name to bytes; only ``names`` if given) as one new build and switch
    ``out`` to it."""
    out = absolute(out)
    if names and set(outputs) - set(names):
        raise ValueError(f"not a build's output: {sorted(set(outputs) - set(names))}")
    with _locked(out) as folder:
        _refuse(out)
        version, link = folder / _new_name("v"), folder / _new_name(".link")
        switched = False
        try:
            _checkpoint("create the new build's folder")
            os.mkdir(version)  # 0755 under umask 022
            _checkpoint("write the new build's files")
            write_atomically({version / name: data for name, data in outputs.items()}, fsync=True)
            _checkpoint("flush the new build's folder")
            _fsync_folder(version)
            _checkpoint("make the new link")
            os.symlink(os.path.join(folder.name, version.name), link)
            with held():
                _checkpoint("switch")
                os.replace(link, out)
                switched = True
                SWITCHED.append(out)
        except OSError as exc:
            raise _os_error(exc, "write the new build in", folder) from exc
        except Interrupted as stop:
            stop.published = switched
            raise
        finally:
            if not switched:
                shutil.rmtree(version, ignore_errors=True)
                if os.path.lexists(link):
                    os.unlink(link)
        try:  # the new build is in place; what follows only tidies up
            _fsync_folder(out.parent)
            _sweep(out)
        except OSError:
            pass  # the next build tries again
        except Interrupted as stop:
            stop.published = True
            raise


def _sweep(out: Path) -> None:
    """Remove every build folder but the current one and those of builds still running."""
    current = os.readlink(out)
    for entry in os.scandir(store(out)):
        pid = _pid_of(entry.name)
        if entry.name == LOCK or os.path.join(store(out).name, entry.name) == current or (
                pid is not None and pid != os.getpid() and alive(pid)):
            continue  # the lock, the current build, or another build still writing
        try:
            _checkpoint(f"remove {entry.name}")
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        except OSError:
            pass  # only disk space is lost; the next build tries again
