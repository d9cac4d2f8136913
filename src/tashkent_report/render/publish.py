"""Put a build's outputs in place all at once: ``reports/`` never mixes two builds.

``reports`` is a relative link to ``.reports.d/v-<pid>-<random>/``, one folder per build, written
and flushed before a new link is renamed over ``reports`` (rename(2) is atomic). Signals are held
across the rename, so the build knows whether it happened (:data:`SWITCHED`); ``.reports.d/.lock``
serialises builds. Anything at ``reports`` that is not a build's link is refused, never deleted."""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
from contextlib import contextmanager
from pathlib import Path

from tashkent_report.config import relative
from tashkent_report.errors import BuildError
from tashkent_report.files import write_atomically
from tashkent_report.render.interrupts import held

LOCK = ".lock"
SWITCHED: list[Path] = []  # every out this process has switched to a new build, as the switch happens
ELSEWHERE = "or build elsewhere with make report ARGS='--out FOLDER'."


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


def _os_error(exc: OSError, what: str, where: Path) -> BuildError:
    return BuildError(f"cannot {what} {shown(where)}: {exc.strerror or exc}",
                      f"Make {shown(where)} writable for you (or free disk space there), {ELSEWHERE}")


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
    try:
        target = Path(os.readlink(absolute(out)))
    except OSError:
        return False
    return target.parent == Path(store(absolute(out)).name) and target.name.startswith("v-")


def _refuse(out: Path) -> None:
    """A BuildError unless ``out`` is absent or a build's link."""
    if holds_a_build(out) or not os.path.lexists(out):
        return
    what = (f"a link to {os.readlink(out)}, which no build made" if os.path.islink(out) else
            "a folder, where builds keep a link to their latest build (an older build's, or someone "
            "else's)" if os.path.isdir(out) else "a file, where the reports' folder should be")
    raise BuildError(f"{shown(out)} is {what}", "The build replaces it as a whole, and deletes only what it "
                     f"wrote itself: move it away (mv {shown(out)} {shown(out)}.old), {ELSEWHERE}")


def check(out: Path) -> None:
    """Before any expensive work: ``out`` is absent or a build's link, and the store is writable."""
    out = absolute(out)
    _refuse(out)
    with _locked(out) as folder:
        if not os.access(out.parent, os.W_OK | os.X_OK):  # the switch renames a link into it
            raise BuildError(f"cannot write in {shown(out.parent)}, where {out.name} is switched to each "
                             "new build: permission denied", f"Make it writable for you, {ELSEWHERE}")
        try:
            _checkpoint("probe the build store")
            os.mkdir(folder / f"v-{os.getpid()}-probe")
            os.rmdir(folder / f"v-{os.getpid()}-probe")
        except OSError as exc:
            raise _os_error(exc, "create a folder in", folder) from exc


def _fsync(folder: Path) -> None:  # a folder's entries on disk
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(out: Path, outputs: dict[str, bytes]) -> None:
    """Write ``outputs`` (file name to bytes) as one new build and switch ``out`` to it."""
    out = absolute(out)
    with _locked(out) as folder:
        _refuse(out)
        name, switched = f"v-{os.getpid()}-{secrets.token_hex(4)}", False
        version, link = folder / name, folder / f".link-{name}"
        try:
            _checkpoint("create the new build's folder")
            os.mkdir(version)  # 0755 under umask 022
            _checkpoint("write the new build's files")
            write_atomically({version / file: data for file, data in outputs.items()}, fsync=True)
            _checkpoint("flush the new build's folder")
            _fsync(version)
            _checkpoint("make the new link")
            os.symlink(os.path.join(folder.name, name), link)
            with held():
                _checkpoint("switch")
                os.replace(link, out)
                switched = True
                SWITCHED.append(out)
        except OSError as exc:
            raise _os_error(exc, "write the new build in", folder) from exc
        finally:
            if not switched:
                shutil.rmtree(version, ignore_errors=True)
                if os.path.lexists(link):
                    os.unlink(link)
        try:  # the new build is in place; older ones go (the lock keeps other builds out meanwhile)
            _fsync(out.parent)
            for entry in os.scandir(folder):
                if entry.name not in (LOCK, name):
                    _checkpoint(f"remove {entry.name}")
                    if entry.is_dir(follow_symlinks=False):
                        shutil.rmtree(entry.path)
                    else:
                        os.unlink(entry.path)
        except OSError:
            pass  # only disk space is lost; the next build tries again
