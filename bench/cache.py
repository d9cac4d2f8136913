"""Does the facts cache earn its place? make report --force and make test, with and without it.

Runs each command ROUNDS times with the cache on and off, interleaved (on, off, on, off, ...) in one
run so that the machine's load falls on both alike, and prints each time, the medians and the
saving. Usage: python bench/cache.py [ROUNDS_REPORT] [ROUNDS_TEST]  (defaults 5 and 3).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OFF = "TASHKENT_REPORT_NO_CACHE"


def timed(command: list[str], cache: bool) -> float:
    env = {k: v for k, v in os.environ.items() if k != OFF}
    if not cache:
        env[OFF] = "1"
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return elapsed


def compare(label: str, command: list[str], rounds: int) -> None:
    times = {True: [], False: []}
    for _ in range(rounds):
        for cache in (True, False):
            times[cache].append(timed(command, cache))
            print(f"  {label}, cache {'on ' if cache else 'off'}: {times[cache][-1]:6.1f} s", flush=True)
    on, off = statistics.median(times[True]), statistics.median(times[False])
    print(f"{label}: median {on:.1f} s with the cache, {off:.1f} s without; the cache saves "
          f"{off - on:.1f} s ({(off - on) / off:.1%})", flush=True)


if __name__ == "__main__":
    rounds_report = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    rounds_test = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    compare("make report ARGS=--force", ["make", "report", "ARGS=--force"], rounds_report)
    if rounds_test:
        compare("make test", ["make", "test"], rounds_test)
