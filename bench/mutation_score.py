"""The mutation score of the last `make mutate`, per module and in all, from mutants/*.meta.

Score, as mutmut's own badge counts it: mutants killed (a test failed, or it timed out) over
all mutants checked, so that a mutant no selected test reaches ("no tests") counts as not
killed; mutants not checked yet (a run limited by MUTANTS, or stopped) are left out.
Usage: python bench/mutation_score.py
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = ("killed", "timeout", "survived", "no tests", "not checked")


def line(name: str, counts: Counter) -> str:
    caught = counts["killed"] + counts["timeout"] + counts["caught by type check"]
    tested = sum(counts.values()) - counts["not checked"] - counts["skipped"]
    score = f"{100 * caught / tested:.1f}%" if tested else "-"
    cells = "".join(f"{counts[c]:>12}" for c in COLUMNS)
    return f"{name:<40}{sum(counts.values()):>8}{cells}{score:>8}"


def main() -> None:
    metas = sorted((ROOT / "mutants").glob("**/*.py.meta"))
    if not metas:
        raise SystemExit("no mutation results: run `make mutate` first")
    print(f"{'module':<40}{'mutants':>8}" + "".join(f"{c:>12}" for c in COLUMNS) + f"{'score':>8}")
    total: Counter = Counter()
    for meta in metas:
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"].values()
        counts = Counter(status_by_exit_code[code] for code in codes)
        total.update(counts)
        print(line(meta.relative_to(ROOT / "mutants").as_posix().removesuffix(".meta"), counts))
    print(line("all", total))


if __name__ == "__main__":
    main()
