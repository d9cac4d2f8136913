"""Benchmark: the two ratios issue 25 sets, each pair measured side by side in this one run.

    make bench                           # 1 round
    make bench BENCH='--runs 3'          # medians of 3 rounds
    make bench BENCH='--runs 3 --fresh'  # and a fresh clone of HEAD: setup, make test, make report
    make bench BENCH='--only report'     # the report pair alone (no make test: a busy shared machine)

Each round runs, in this checkout and one after another (the order turning each round, so that a
noisy neighbour or a warm cache favours none of them):

- `make test` (ruff, actionlint, lint-imports, fast tests and strict nbval on two workers) against
  plain `pytest --nbval notebooks/` (one process, the notebooks alone). Target: at most 3.0.
- `make report` from a clean state (no reports/, no processed/) against the naive loop: each notebook
  through `jupyter nbconvert --execute --to html`, one after another. Target: at most 0.5.

The machine's load average (1 minute) is printed before and after every case: ratios measured
under load are noisier, not biased, since both sides of each pair run in the same minutes.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
REPORT_HASHES: list[tuple[str, ...]] = []


def load() -> str:
    return f"{os.getloadavg()[0]:.2f}"


def timed(command: list[str], cwd: Path = ROOT, **kwargs) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            **kwargs)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed in {cwd}:\n{result.stdout[-3000:]}")
    return time.perf_counter() - started


def make_test() -> float:
    return timed(["make", "test"])


def plain_nbval() -> float:
    return timed([str(BIN / "python"), "-m", "pytest", "-q", "-p", "no:xdist", "--nbval",
                  "--nbval-current-env", "notebooks/"])


def clean_report() -> float:
    if (ROOT / "reports").is_symlink():  # a link to the last build's folder in .reports.d/
        (ROOT / "reports").unlink()
    for folder in ("reports", ".reports.d", "processed"):  # checked facts too: a clean state
        shutil.rmtree(ROOT / folder, ignore_errors=True)
    elapsed = timed(["make", "report"])
    REPORT_HASHES.append(tuple(hashlib.sha256((ROOT / "reports" / name).read_bytes()).hexdigest()
                               for name in ("report.html", "report-analyst.html", "report.pdf")))
    return elapsed


def naive_loop() -> float:
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    with tempfile.TemporaryDirectory(prefix="tashkent-naive-") as out:
        started = time.perf_counter()
        for notebook in notebooks:
            subprocess.run([str(BIN / "jupyter"), "nbconvert", "--execute", "--to", "html",
                            "--output-dir", out, str(notebook)], cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - started


CASES = {
    "make test": make_test,
    "plain pytest --nbval notebooks/": plain_nbval,
    "make report, clean state": clean_report,
    "naive nbconvert --execute --to html loop": naive_loop,
}
RATIOS = [("make test", "plain pytest --nbval notebooks/", 3.0),
          ("make report, clean state", "naive nbconvert --execute --to html loop", 0.5)]


def medians(times: dict[str, list[float]]) -> dict[str, float]:
    found = {name: statistics.median(values) for name, values in times.items()}
    width = max(map(len, found))
    for name, value in found.items():
        runs = len(times[name])
        spread = f"{min(times[name]):.1f}-{max(times[name]):.1f} s, " if runs > 1 else ""
        print(f"  {name:<{width}}  {value:6.1f} s   ({spread}{runs} run{'s' * (runs > 1)})")
    return found


def builds(runs: int, only: str = "") -> None:
    pairs = [pair for pair in RATIOS if only in pair[0]]
    names = [name for name in CASES if any(name in pair for pair in pairs)]
    times: dict[str, list[float]] = {name: [] for name in names}
    print(f"{os.cpu_count()} cores; {runs} round{'s' * (runs > 1)}; "
          "load average (1 min) before -> after each case")
    for number in range(runs):
        order = names[number % len(names):] + names[:number % len(names)]
        print(f"round {number + 1}")
        for name in order:
            before = load()
            times[name].append(CASES[name]())
            print(f"  {name:<42} {times[name][-1]:6.1f} s   load {before} -> {load()}", flush=True)
    print("\nmedians")
    found = medians(times)
    print("\nratios (each pair measured in the same rounds)")
    for top, bottom, target in pairs:
        ratio = found[top] / found[bottom]
        verdict = "ok" if ratio <= target else "OVER TARGET"
        print(f"  {top} / {bottom}: {ratio:.2f}   (target <= {target}: {verdict})")
    if REPORT_HASHES:  # none with --only test
        identical = len(set(REPORT_HASHES)) == 1
        print(f"  clean builds byte-identical (HTML, analysts' HTML, PDF): {'yes' if identical else 'NO'} "
              f"({len(REPORT_HASHES)} build{'s' * (len(REPORT_HASHES) > 1)})")
    print(f"load average now: {' '.join(f'{value:.2f}' for value in os.getloadavg())} (1, 5, 15 min)")


def fresh() -> None:
    """A fresh clone of HEAD: git clone, make venv (uv, its package cache off), make test, make report."""
    print("\nfresh clone of HEAD (uv's cache off)")
    env = {**os.environ, "UV_NO_CACHE": "1", "PIP_NO_CACHE_DIR": "1"}
    with tempfile.TemporaryDirectory(prefix="tashkent-bench-") as tmp:
        clone = Path(tmp) / "clone"
        steps = [("git clone", ["git", "clone", "--quiet", str(ROOT), str(clone)], ROOT),
                 ("make venv", ["make", "venv"], clone), ("make test", ["make", "test"], clone),
                 ("make report", ["make", "report"], clone)]
        total = 0.0
        for name, command, cwd in steps:
            before = load()
            elapsed = timed(command, cwd=cwd, env=env)
            total += elapsed
            print(f"  {name:<12} {elapsed:6.1f} s   load {before} -> {load()}", flush=True)
        print(f"  clone to green make test and a built report: {total:.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="rounds of the four cases (default 1)")
    parser.add_argument("--fresh", action="store_true", help="also time a fresh clone of HEAD")
    parser.add_argument("--only", choices=["test", "report"], default="", help="one pair of the two")
    args = parser.parse_args()
    subprocess.run(["make", "venv"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    builds(args.runs, args.only)
    if args.fresh:
        fresh()
    return 0


if __name__ == "__main__":
    sys.exit(main())
