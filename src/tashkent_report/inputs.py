"""The one hasher of the project's inputs: the build's fingerprint and the data step's manifest.

A hash covers files under labels and their paths below a folder, never the folder's own name,
so that two clones of one commit, wherever they sit, hash alike.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path


def junk(path: Path, folder: Path) -> bool:
    """Editor and tool litter: hidden files and folders (.~lock.*#, .ipynb_checkpoints/, .swp),
    backups (name~, #name#), byte code."""
    parts = path.relative_to(folder).parts
    return any(part.startswith((".", "#")) or part.endswith(("~", "#")) or part == "__pycache__"
               for part in parts)


def files(folder: Path, pattern: str) -> list[Path]:
    """The files a glob finds below a folder, litter left out."""
    return sorted(p for p in folder.glob(pattern) if p.is_file() and not junk(p, folder))


def data_files(datapackage: Path, also: Iterable[str] = ()) -> list[Path]:
    """A data package's declared files: its descriptor and the files its resources name (and
    ``also``, paths beside the descriptor); never lock files, checkpoints or notes beside them."""
    folder = datapackage.parent
    names = set(also)
    try:
        descriptor = json.loads(datapackage.read_text(encoding="utf-8"))
        names |= {r["path"] for r in descriptor.get("resources", []) if isinstance(r.get("path"), str)}
    except (OSError, ValueError, AttributeError, TypeError, KeyError):
        pass  # hashed as bytes; the data check names what is wrong with it
    # A declared file that is missing is left to the data check, which names it.
    return sorted(p for p in [datapackage, *(folder / name for name in names)] if p.is_file())


def digest(groups: Iterable[tuple[str, Path, Iterable[Path]]]) -> str:
    """sha256 over ``label/path below folder`` and the bytes of each file of each group.

    Raises OSError (with its ``filename``) for a file that cannot be read.
    """
    hasher = hashlib.sha256()
    for label, folder, paths in groups:
        for path in paths:
            hasher.update(f"{label}/{path.relative_to(folder).as_posix()}".encode() + b"\0")
            hasher.update(path.read_bytes() + b"\0")
    return hasher.hexdigest()
