"""Benchmark: medians of several runs, all measured in this one run, on this machine.

Measures `make report` from a clean state (no reports/, no .cache/) and with nothing changed,
`make test`, and the naive baseline: each notebook executed with `jupyter nbconvert --execute`,
then converted to HTML, one notebook after another. Rounds interleave the four so that a noisy
neighbour slows all of them alike. Usage: python bench/benchmark.py [runs] (default 3).
"""

from __future__ import annotations

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


def timed(command: list[str], **kwargs) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   **kwargs)
    return time.perf_counter() - started


REPORT_HASHES: list[tuple[str, ...]] = []


def clean_report() -> float:
    if (ROOT / "reports").is_symlink():  # a link to the last build's folder in .reports.d/
        (ROOT / "reports").unlink()
    for folder in ("reports", ".reports.d", ".cache"):  # checked facts too: a clean state
        shutil.rmtree(ROOT / folder, ignore_errors=True)
    elapsed = timed(["make", "report"])
    REPORT_HASHES.append(tuple(
        hashlib.sha256((ROOT / "reports" / name).read_bytes()).hexdigest()
        for name in ("report.html", "report-analyst.html", "report.pdf")
    ))
    return elapsed


def unchanged_report() -> float:
    return timed(["make", "report"])


def make_test() -> float:
    return timed(["make", "test"])


def naive_baseline() -> float:
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        for nb in notebooks:
            executed = Path(tmp) / nb.name
            subprocess.run([str(BIN / "jupyter"), "nbconvert", "--execute", "--to", "notebook",
                            "--output", str(executed), str(nb)], cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", str(executed)],
                           cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - started


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    subprocess.run(["make", "venv"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    cases = {
        "make report, clean state": clean_report,
        "make report, nothing changed": unchanged_report,
        "naive baseline (nbconvert --execute, then --to html)": naive_baseline,
        "make test": make_test,
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    print(f"{runs} rounds on {os.cpu_count()} cores; each round runs every case once")
    for round_number in range(1, runs + 1):
        for name, case in cases.items():
            times[name].append(case())
        print(f"  round {round_number}: " + ", ".join(f"{t[-1]:.1f} s" for t in times.values()), flush=True)
    medians = {name: statistics.median(values) for name, values in times.items()}
    width = max(map(len, medians))
    print("\nMedians")
    for name, value in medians.items():
        spread = f"{min(times[name]):.1f}-{max(times[name]):.1f}"
        print(f"  {name:<{width}}  {value:6.2f} s   (range {spread} s)")
    baseline = medians["naive baseline (nbconvert --execute, then --to html)"]
    full = medians["make report, clean state"]
    print("\nRatios and targets")
    print(f"  full build / naive baseline: {full / baseline:.2f} x   (target <= 1.0)")
    print(f"  no-change rebuild: {medians['make report, nothing changed']:.2f} s   (target < 2 s)")
    print(f"  make test: {medians['make test']:.1f} s   (target < 60 s)")
    identical = len(set(REPORT_HASHES)) == 1
    print(f"  clean builds byte-identical (HTML, analysts' HTML, PDF): {'yes' if identical else 'NO'}"
          f" ({len(REPORT_HASHES)} builds; PDF sha256 {REPORT_HASHES[0][2][:16]}...)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
