"""The fast tests and strict nbval on every supported Python, each in its own environment from
requirements.txt (the slow tests run once, on the Python of .venv: make test-slow).

    make test-all                      # 3.11, 3.12 and 3.13 (CI: 3.12 and 3.13, after make test)
    .venv/bin/nox -p 3.13              # one version
    .venv/bin/nox -p 3.12 -- -k report # pytest options after --

Environments live in .nox/ and are made with the pinned uv (installed in .venv); nothing is
downloaded but the pinned packages, and a missing interpreter is an error, not a skip.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import nox

PYTHONS = ["3.11", "3.12", "3.13"]  # as pyproject.toml's requires-python and the README

nox.options.default_venv_backend = "uv"
nox.options.download_python = "never"  # only Pythons already on the machine
nox.options.error_on_missing_interpreters = True
nox.options.reuse_venv = "yes"  # the install step still runs: a changed pin is picked up


def _pyenv_versions() -> None:
    """pyenv's shims run only the versions it has activated; activate the newest installed
    3.11, 3.12 and 3.13 for this run, as `pyenv shell 3.11.x 3.12.x 3.13.x` would. Without
    pyenv, or with PYENV_VERSION already set, nothing changes."""
    root = os.environ.get("PYENV_ROOT")
    if not root and shutil.which("pyenv"):
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True).stdout.strip()
    if not root or os.environ.get("PYENV_VERSION") or not (Path(root) / "versions").is_dir():
        return
    newest: dict[str, tuple[int, str]] = {}
    for folder in (Path(root) / "versions").iterdir():
        match = re.fullmatch(r"(3\.\d+)\.(\d+)", folder.name)
        if match and match.group(1) in PYTHONS:
            minor, patch = match.group(1), int(match.group(2))
            newest[minor] = max(newest.get(minor, (-1, "")), (patch, folder.name))
    if newest:
        os.environ["PYENV_VERSION"] = ":".join(newest[v][1] for v in PYTHONS if v in newest)


_pyenv_versions()


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """ruff, the fast tests and strict nbval on notebooks/: what `make test` runs after its lint."""
    session.install("-r", "requirements.txt")
    session.install("--no-deps", "--no-build-isolation", "-e", ".")
    session.env["MPLBACKEND"] = "Agg"
    session.env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    session.env["PYTHONDONTWRITEBYTECODE"] = None  # keep the bytecode of imports: see Makefile
    session.run("ruff", "check", ".")
    session.run("python", "-m", "pytest", "-q", "-n", "2", "--dist", "loadfile", "-m", "not slow", "--nbval",
                "--nbval-current-env", "tests", "notebooks", *session.posargs)
