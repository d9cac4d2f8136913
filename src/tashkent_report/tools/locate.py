"""Fill in missing quote offsets: ``python -m tashkent_report.locate``.

When you add or correct a fact, type its quote and leave ``start`` and ``end`` empty; this
writes the offsets of the quote's first occurrence in the article (or of the occurrence you
point to with a start offset already typed). Existing offsets are never changed.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

from tashkent_report.analysis.dataset import DataError, load_article, quote_spans, read_descriptor
from tashkent_report.config import DATAPACKAGE, relative


def fill_offsets(path: Path, text: str) -> int:
    """Write missing start/end offsets into one CSV; return how many spans were filled."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header, filled = rows[0], 0
    for prefix in quote_spans(header):
        q, s, e = (header.index(f"{prefix}{k}") for k in ("quote", "start", "end"))
        for line, row in enumerate(rows[1:], start=2):
            if not row[q] or row[e]:
                continue
            at = text.find(row[q], int(row[s]) if row[s] else 0)
            if at < 0:
                raise DataError(path, f"quote {row[q]!r} is not in the article", line, header[q])
            row[s], row[e] = str(at), str(at + len(row[q]))
            filled += 1
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return filled


def main(datapackage: Path = DATAPACKAGE) -> int:
    descriptor = read_descriptor(datapackage)
    text, _ = load_article(datapackage, descriptor)
    for resource in descriptor["resources"]:
        if resource.get("type") == "table":
            path = Path(datapackage).parent / resource["path"]
            print(f"{relative(path)}: {fill_offsets(path, text)} offsets filled")
    return 0


if __name__ == "__main__":
    sys.exit(main())
