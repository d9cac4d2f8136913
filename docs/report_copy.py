"""The readers' PDF committed in docs/, so that the report can be read without building it.

    make publish-docs    # builds the report first (if its inputs changed), then this

Copies reports/report.pdf to docs/report.pdf and writes docs/report.json: the sha256 of the copy
and the hash of the inputs it was built from (reports/.inputs.sha256, the hash whose first 12
digits page 1 prints after "inputs"). Builds are byte-identical, so a fresh build of the same
inputs is this file byte for byte. The tests (tests/test_published.py): in make test, the recorded
inputs are the project's inputs now (any change to a notebook, data/ or the package makes the
copy stale until make publish-docs is run again and docs/ committed); in make test-slow, a fresh
build is the committed copy byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

from tashkent_report.config import REPORTS, ROOT
from tashkent_report.files import write_atomically

DOCS = ROOT / "docs"
COPY = DOCS / "report.pdf"
RECORD = DOCS / "report.json"
REFRESH = "Run `make publish-docs` (it rebuilds the report if its inputs changed), then commit docs/."
PRINTED = re.compile(r"\binputs ([0-9a-f]{12})\b")  # as page 1 prints it


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def printed_inputs(pdf: Path) -> str | None:
    """The 12 digits of the inputs hash page 1 of ``pdf`` prints, or None."""
    from pypdf import PdfReader

    found = PRINTED.search(PdfReader(pdf).pages[0].extract_text())
    return found.group(1) if found else None


def stale(inputs: str) -> list[str]:
    """What makes docs/report.pdf other than a build of ``inputs`` (the project's fingerprint)."""
    if not COPY.is_file() or not RECORD.is_file():
        return ["docs/report.pdf or docs/report.json is missing"]
    record = json.loads(RECORD.read_text(encoding="utf-8"))
    problems = []
    if sha256(COPY.read_bytes()) != record["sha256"]:
        problems.append("docs/report.pdf is not the file make publish-docs copied (its sha256 differs)")
    elif printed_inputs(COPY) != record["inputs"][:12]:
        problems.append(f"docs/report.pdf prints inputs {printed_inputs(COPY)}, "
                        f"not the recorded {record['inputs'][:12]}")
    if record["inputs"] != inputs:
        problems.append(f"docs/report.pdf was built from inputs {record['inputs'][:12]}; the notebooks, "
                        f"data or package are now {inputs[:12]}, so it is stale")
    return problems


def main() -> int:
    build = REPORTS.resolve()  # one build's folder: the PDF and its inputs hash from the same build
    pdf, inputs = build / "report.pdf", build / ".inputs.sha256"
    if not pdf.is_file() or not inputs.is_file():
        print("reports/report.pdf is missing: run make publish-docs (it runs make report first).",
              file=sys.stderr)
        return 1
    data, digest = pdf.read_bytes(), inputs.read_text(encoding="utf-8").split()[0]
    record = {
        "about": "Written by make publish-docs (docs/report_copy.py): docs/report.pdf is reports/report.pdf "
                 "as built from these inputs. tests/test_published.py checks it. Do not edit.",
        "path": COPY.relative_to(ROOT).as_posix(),
        "sha256": sha256(data),
        "inputs": digest,
    }
    write_atomically({COPY: data,
                      RECORD: (json.dumps(record, indent=2) + "\n").encode("utf-8")})
    print(f"wrote {record['path']} (inputs {digest[:12]}) and {RECORD.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
