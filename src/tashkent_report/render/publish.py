"""``reports``, a link to one folder per build, switched at once (docs/build.md, "All or nothing")."""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
from contextlib import suppress
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


def absolute(out: Path) -> Path:  # not resolved: ``reports`` itself is a link
    return Path(os.path.abspath(out))


def store(out: Path) -> Path:
    return out.parent / f".{out.name}.d"


def shown(path: Path) -> str:
    """A path as messages show it, relative to the project without resolving its last part."""
    path = absolute(path)
    if relative(path) == ".":
        return f"the project folder ({path})"
    return str(Path(relative(path.parent)) / path.name)


def _cannot(where: Path, reason: object) -> BuildError:
    return BuildError(f"cannot write in {shown(where)}: {reason}",
                      f"Make {shown(where)} writable for you (or free disk space there), {ELSEWHERE}")


def holds_a_build(out: Path) -> bool:
    """``out`` is a link a build made to its folder in the store."""
    out = absolute(out)
    target = Path(os.readlink(out)) if out.is_symlink() else None
    return target is not None and target.parent == Path(store(out).name) and target.name.startswith("v-")


def check(out: Path) -> Path:
    """Before any expensive work: ``out`` is absent or a build's link, and writable; returns the store."""
    out = absolute(out)
    if os.path.lexists(out) and not holds_a_build(out):
        what = (f"a link to {os.readlink(out)}" if out.is_symlink() else
                "a folder" if out.is_dir() else "a file")
        raise BuildError(f"{shown(out)} is {what}, not the link to their latest build that builds keep there",
                         f"The build deletes only what it wrote: move it away (mv {shown(out)} "
                         f"{shown(out)}.old), {ELSEWHERE}")
    try:
        _checkpoint("create the build store")
        store(out).mkdir(parents=True, exist_ok=True)
        (store(out) / LOCK).touch()
    except OSError as exc:
        raise _cannot(out.parent, exc.strerror or exc) from exc
    for where in (out.parent, store(out)):  # the switch renames a link from the store into out.parent
        if not os.access(where, os.W_OK | os.X_OK):
            raise _cannot(where, "permission denied")
    return store(out)


def _fsync(folder: Path) -> None:  # a folder's entries on disk
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(out: Path, outputs: dict[str, bytes]) -> None:
    """Write ``outputs`` (file name to bytes) as one new build and switch ``out`` to it."""
    out = absolute(out)
    folder = check(out)
    with open(folder / LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time switches, and removes what it does not keep
        version = folder / f"v-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            _checkpoint("create the new build's folder")
            version.mkdir()  # 0755 under umask 022
            _checkpoint("write the new build's files")
            write_atomically({version / file: data for file, data in outputs.items()}, fsync=True)
            _checkpoint("flush the new build's folder")
            _fsync(version)
            _checkpoint("make the new link")
            os.symlink(os.path.join(folder.name, version.name), version / ".link")  # moved out to switch
            with held():  # a signal waits until SWITCHED says whether the switch happened
                _checkpoint("switch")
                os.replace(version / ".link", out)
                SWITCHED.append(out)
        except OSError as exc:
            raise _cannot(folder, exc.strerror or exc) from exc
        finally:  # only the build out links to stays, the new one or the last good one
            keep = os.path.basename(os.readlink(out)) if holds_a_build(out) else None
            with suppress(OSError):  # after a switch only disk space can be lost: the next build retries
                _fsync(out.parent)
                for entry in os.scandir(folder):
                    if entry.name in (LOCK, keep):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        shutil.rmtree(entry.path, ignore_errors=True)
                    else:  # rmtree leaves a file or a link: an earlier version's .link-v-… was one
                        os.unlink(entry.path)
