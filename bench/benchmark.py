"""Benchmark: medians of several runs, all measured in this one run, on this machine.

Builds, in this checkout: `make report` from a clean state (no reports/, no .cache/) and with
nothing changed, `make test`, and the naive baseline: each notebook executed with
`jupyter nbconvert --execute`, then converted to HTML, one notebook after another. Rounds
interleave the four so that a noisy neighbour slows all of them alike.

Fresh clones (of the committed HEAD, into a temporary folder): the setup of .venv with uv
(`make venv`), then `make test` and `make report` in that clone; and, in a second clone, the
setup with pip alone (`make venv INSTALLER=pip`). Package caches are off for both installers
(UV_NO_CACHE, PIP_NO_CACHE_DIR), so each setup downloads what it installs.

Usage: python bench/benchmark.py [runs] [--fresh-runs N] [--only builds|fresh]
(runs default 3; fresh rounds default 1, as the pip setup alone takes about 1.5 minutes).
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


def timed(command: list[str], cwd: Path = ROOT, **kwargs) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, **kwargs)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed in {cwd}:\n{result.stdout[-3000:]}")
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


NO_CACHES = {**os.environ, "UV_NO_CACHE": "1", "PIP_NO_CACHE_DIR": "1"}
FRESH = ("fresh clone: git clone", "fresh clone: setup with uv (make venv)", "fresh clone: make test",
         "fresh clone: make report", "setup with pip alone (make venv INSTALLER=pip)")


def fresh_round() -> dict[str, float]:
    """One round in fresh clones of HEAD: uv setup, make test, make report; then pip setup."""
    times = {}
    with tempfile.TemporaryDirectory(prefix="tashkent-bench-") as tmp:
        clone = Path(tmp) / "uv"
        times[FRESH[0]] = timed(["git", "clone", "--quiet", str(ROOT), str(clone)])
        times[FRESH[1]] = timed(["make", "venv"], cwd=clone, env=NO_CACHES)
        times[FRESH[2]] = timed(["make", "test"], cwd=clone)
        times[FRESH[3]] = timed(["make", "report"], cwd=clone)
        other = Path(tmp) / "pip"
        timed(["git", "clone", "--quiet", str(ROOT), str(other)])
        times[FRESH[4]] = timed(["make", "venv", "INSTALLER=pip"], cwd=other, env=NO_CACHES)
    return times


def summary(times: dict[str, list[float]]) -> dict[str, float]:
    medians = {name: statistics.median(values) for name, values in times.items()}
    width = max(map(len, medians))
    for name, value in medians.items():
        spread = f"{min(times[name]):.1f}-{max(times[name]):.1f}"
        print(f"  {name:<{width}}  {value:6.2f} s   (range {spread} s, {len(times[name])} runs)")
    return medians


def builds(runs: int) -> None:
    cases = {
        "make report, clean state": clean_report,
        "make report, nothing changed": unchanged_report,
        "naive baseline (nbconvert --execute, then --to html)": naive_baseline,
        "make test": make_test,
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    print(f"Builds in this checkout: {runs} rounds, each runs every case once")
    for round_number in range(1, runs + 1):
        for name, case in cases.items():
            times[name].append(case())
        print(f"  round {round_number}: " + ", ".join(f"{t[-1]:.1f} s" for t in times.values()), flush=True)
    print("\nMedians")
    medians = summary(times)
    baseline = medians["naive baseline (nbconvert --execute, then --to html)"]
    full = medians["make report, clean state"]
    print("\nRatios and targets")
    print(f"  full build / naive baseline: {full / baseline:.2f} x   (target <= 1.0)")
    print(f"  no-change rebuild: {medians['make report, nothing changed']:.2f} s   (target < 2 s)")
    print(f"  make test: {medians['make test']:.1f} s   (target < 60 s)")
    identical = len(set(REPORT_HASHES)) == 1
    print(f"  clean builds byte-identical (HTML, analysts' HTML, PDF): {'yes' if identical else 'NO'}"
          f" ({len(REPORT_HASHES)} builds; PDF sha256 {REPORT_HASHES[0][2][:16]}...)")


def fresh(runs: int) -> None:
    python = subprocess.run(["make", "--eval", "which: ; @echo $(PYTHON)", "which"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    print(f"\nFresh clones of HEAD: {runs} rounds, caches off for uv and pip, Python {python}")
    times: dict[str, list[float]] = {name: [] for name in FRESH}
    for round_number in range(1, runs + 1):
        for name, value in fresh_round().items():
            times[name].append(value)
        print(f"  round {round_number}: " + ", ".join(f"{t[-1]:.1f} s" for t in times.values()), flush=True)
    print("\nMedians")
    medians = summary(times)
    uv, pip = medians[FRESH[1]], medians[FRESH[4]]
    green = medians[FRESH[0]] + uv + medians[FRESH[2]]
    print("\nRatios and targets")
    print(f"  setup: pip {pip:.1f} s / uv {uv:.1f} s = {pip / uv:.1f} x")
    print(f"  fresh clone to green make test (clone + setup + test): {green:.1f} s   (target < 75 s)")
    print(f"  fresh clone to built report (clone + setup + make report): "
          f"{medians[FRESH[0]] + uv + medians[FRESH[3]]:.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=int, nargs="?", default=3, help="rounds of the build cases")
    parser.add_argument("--fresh-runs", type=int, default=1, help="rounds of the fresh-clone cases")
    parser.add_argument("--only", choices=["builds", "fresh"], help="run one half only")
    args = parser.parse_args()
    subprocess.run(["make", "venv"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    print(f"{os.cpu_count()} cores")
    if args.only != "fresh":
        builds(args.runs)
    if args.only != "builds":
        fresh(args.fresh_runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
