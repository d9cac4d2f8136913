"""Put a build's outputs in place all at once: ``reports/`` never mixes two builds.

The layout, made by the build itself::

    reports -> .reports.d/v-<pid>-<random>     a relative symbolic link
    .reports.d/v-<pid>-<random>/               one folder per build: report.html,
                                               report-analyst.html, report.pdf, .inputs.sha256

A build writes every output into a new folder in ``.reports.d/`` and flushes it to disk; then
it makes a new link to that folder and renames it over ``reports`` (``os.replace``). POSIX
makes ``rename(2)`` atomic: at every instant ``reports`` is either the last good build or the
new one, each whole, so a failure or a signal at any step before the rename leaves
``reports/`` exactly as the last good build left it, and after it the new build is complete.
Only then are older build folders removed (a reader holding one of their files open keeps
reading it). SIGINT and SIGTERM are held back across the rename, so the build always knows
whether the switch happened. ``.reports.d/.lock`` serialises the switch of two builds run at
once.

Folders and files are created with the user's umask (0755 and 0644 under the usual 022), so
other users and a web server can read the reports.

Migration: a ``reports/`` that is still a plain folder (built before this layout) and holds only
the build's own files is converted once: renamed to ``.reports.d/legacy``, then the link is
renamed into its place, signals held back in between. If the process is killed outright between
those two renames, ``reports`` is missing and the next build renames ``legacy`` back before
anything else. A folder holding anything else, a file, or a link the build did not make is
refused with a message naming it: the build never deletes what it did not write.
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
from tashkent_report.render.interrupts import Interrupted, held
from tashkent_report.render.processes import alive

LEGACY = "legacy"
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


def _os_error(exc: OSError, what: str, where: Path) -> BuildError:
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = (f"Make {shown(where)} writable for you, or build elsewhere with "
                "make report ARGS='--out FOLDER'.")
    elif exc.errno in (errno.ENOSPC, errno.EDQUOT):
        hint = f"Free some disk space on the file system of {shown(where)}, then run make report again."
    else:
        hint = f"Check {shown(where)}, then run make report again."
    return BuildError(f"cannot {what} {shown(where)}: {reason}", hint)


@contextmanager
def _locked(out: Path):
    """Hold ``.reports.d/.lock`` (creating ``.reports.d/`` if need be)."""
    folder = store(out)
    try:
        _checkpoint("create the build store")
        out.parent.mkdir(parents=True, exist_ok=True)
        folder.mkdir(exist_ok=True)
    except OSError as exc:
        raise _os_error(exc, "create a folder in", out.parent) from exc
    try:
        handle = open(folder / LOCK, "a")
    except OSError as exc:
        raise _os_error(exc, "write in", folder) from exc
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield folder


def _recover(out: Path) -> None:
    """Finish what an outright kill between the two renames of a migration left undone."""
    legacy = store(out) / LEGACY
    if not os.path.lexists(out) and legacy.is_dir():
        os.rename(legacy, out)


def _is_ours(out: Path) -> bool:
    target = Path(os.readlink(out))
    return not target.is_absolute() and target.parent == Path(store(out).name) and (
        _pid_of(target.name) is not None
    )


def holds_a_build(out: Path) -> bool:
    """``out`` is a build's link, or a folder as builds before the link left it."""
    out = absolute(out)
    try:
        return _is_ours(out) if os.path.islink(out) else os.path.isdir(out)
    except OSError:
        return False


def inspect(out: Path, names: tuple[str, ...]) -> str:
    """What ``out`` is now: "absent", "link" (a build's) or "folder" (to migrate).

    Raises BuildError for anything the build must not replace.
    """
    label = shown(out)
    todo = ("The build replaces it as a whole, and deletes only what it wrote itself: "
            f"move it away (mv {label} {label}.old), or build elsewhere with "
            "make report ARGS='--out FOLDER'.")
    try:
        os.lstat(out)
    except FileNotFoundError:
        return "absent"
    except OSError as exc:
        raise _os_error(exc, "read", out) from exc
    if os.path.islink(out):
        if _is_ours(out):
            return "link"
        raise BuildError(f"{label} is a link to {os.readlink(out)}, which no build made", todo)
    if not os.path.isdir(out):
        raise BuildError(f"{label} is a file, where the reports' folder should be", todo)
    staged = re.compile(r"\.(?:" + "|".join(re.escape(n) for n in names) + r")\.\w+")
    foreign = []
    try:
        entries = list(os.scandir(out))
    except OSError as exc:
        raise _os_error(exc, "read", out) from exc
    for entry in entries:
        if entry.name in names and not entry.is_file(follow_symlinks=False):
            raise BuildError(
                f"{label}/{entry.name} is a {'folder' if entry.is_dir() else 'special file'}, "
                "where the build writes a file", todo)
        if entry.name not in names and not staged.fullmatch(entry.name):
            foreign.append(entry.name)
    if foreign:
        listed = ", ".join(sorted(foreign)[:5]) + (", ..." if len(foreign) > 5 else "")
        raise BuildError(f"{label}/ holds files no build wrote ({listed})", todo)
    if not os.access(out, os.W_OK | os.X_OK):
        raise BuildError(f"{label}/ is not writable", f"Make it writable (chmod u+w {label}), or build "
                          "elsewhere with make report ARGS='--out FOLDER'.")
    return "folder"


def _new_name(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{secrets.token_hex(4)}"


def check(out: Path, names: tuple[str, ...]) -> None:
    """Before any expensive work: the output folder can take the reports.

    Recovers an interrupted migration, refuses what must not be replaced, and creates and
    removes a folder in ``.reports.d/`` to prove it is writable.
    """
    out = absolute(out)
    with _locked(out) as folder:
        try:
            _recover(out)
        except OSError as exc:
            raise _os_error(exc, "restore", out) from exc
        inspect(out, names)
        if not os.access(out.parent, os.W_OK | os.X_OK):  # the switch renames a link into it
            raise BuildError(f"cannot write in {shown(out.parent)}, where {out.name} is switched to each "
                             "new build: permission denied",
                             f"Make {shown(out.parent)} writable for you, or build elsewhere with "
                             "make report ARGS='--out FOLDER'.")
        probe = folder / _new_name("v")
        try:
            _checkpoint("probe the build store")
            os.mkdir(probe)
            os.rmdir(probe)
        except OSError as exc:
            raise _os_error(exc, "create a folder in", folder) from exc


def _write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # 0644 under umask 022
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(out: Path, outputs: dict[str, bytes], names: tuple[str, ...]) -> None:
    """Write ``outputs`` (file name to bytes) as one new build and switch ``out`` to it."""
    out = absolute(out)
    folder = store(out)
    with _locked(out):
        version = folder / _new_name("v")
        link = folder / _new_name(".link")
        switched = False
        try:
            _recover(out)
            kind = inspect(out, names)
            _checkpoint("create the new build's folder")
            os.mkdir(version)  # 0755 under umask 022
            for name, data in outputs.items():
                _checkpoint(f"write {name}")
                _write(version / name, data)
            _checkpoint("flush the new build's folder")
            _fsync_folder(version)
            _checkpoint("make the new link")
            os.symlink(os.path.join(folder.name, version.name), link)
            if kind == "folder" and os.path.lexists(folder / LEGACY):
                shutil.rmtree(folder / LEGACY)  # an earlier conversion's, left by a failed clean-up
            with held():
                if kind == "folder":
                    _checkpoint("move the old folder aside")
                    os.rename(out, folder / LEGACY)
                try:
                    _checkpoint("switch")
                    os.replace(link, out)
                except BaseException:
                    if kind == "folder":
                        os.rename(folder / LEGACY, out)
                    raise
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
        # The new build is in place; what follows only tidies up.
        try:
            _fsync_folder(out.parent)
            _sweep(out)
        except OSError:
            pass  # the next build tries again
        except Interrupted as stop:
            stop.published = True
            raise


def _sweep(out: Path) -> None:
    """Remove every build folder but the current one and those of builds still running."""
    folder = store(out)
    try:
        current = os.readlink(out)
    except OSError:
        return
    for entry in os.scandir(folder):
        if entry.name == LOCK or os.path.join(folder.name, entry.name) == current:
            continue
        pid = _pid_of(entry.name)
        if pid is not None and pid != os.getpid() and alive(pid):
            continue  # another build, still writing
        try:
            _checkpoint(f"remove {entry.name}")
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        except OSError:
            pass  # only disk space is lost; the next build tries again
