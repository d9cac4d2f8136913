"""The README's pictures: page 1 of the report and one chart, with a record of what they were made from.

    make readme-images                   # builds the report first if its inputs changed, then this
    make readme-images README_CHART=...  # another chart of figures/ (its name without .png)

Writes docs/report-page-1.png (page 1 of reports/report.pdf, by pdftoppm), docs/chart-NAME.png (a
copy of figures/NAME.png) and docs/readme-images.json: the report's inputs hash
(tashkent_report.render.meta.fingerprint(), the one printed in the report) and the sha256 of each image
and of the chart it copies. tests/test_repository.py recomputes them, so that it fails, saying to
run make readme-images, once the report's inputs or the chart have changed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

from tashkent_report.config import FIGURES, REPORTS, ROOT
from tashkent_report.render.meta import fingerprint
from tashkent_report.render.pipeline import FINGERPRINT

DOCS = ROOT / "docs"
RECORD = DOCS / "readme-images.json"
PAGE = DOCS / "report-page-1.png"
PAGE_PIXELS = 1000  # the page's longer side
INSTALL = ("pdftoppm is missing: install poppler-utils (Debian/Ubuntu: apt-get install poppler-utils; "
           "macOS: brew install poppler), then run make readme-images again.")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def shown(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chart", nargs="?", default="participation-by-type",
                        help="a chart of figures/, by its name without .png (default: %(default)s)")
    chart_name = parser.parse_args(argv).chart
    pdftoppm = shutil.which("pdftoppm")
    if not pdftoppm:
        print(INSTALL, file=sys.stderr)
        return 1
    chart = FIGURES / f"{chart_name}.png"
    if not chart.is_file():
        names = ", ".join(sorted(p.stem for p in FIGURES.glob("*.png")))
        print(f"{shown(chart)} does not exist; the charts are: {names}.", file=sys.stderr)
        return 1
    inputs = fingerprint()
    built = REPORTS / FINGERPRINT
    pdf = REPORTS / "report.pdf"
    if not pdf.is_file() or not built.is_file() or built.read_text(encoding="ascii").strip() != inputs:
        print("reports/report.pdf is missing or was built from other inputs: run make readme-images "
              "(it runs make report first).", file=sys.stderr)
        return 1

    DOCS.mkdir(exist_ok=True)
    stem = PAGE.with_suffix("")
    subprocess.run([pdftoppm, "-png", "-f", "1", "-l", "1", "-singlefile", "-scale-to", str(PAGE_PIXELS),
                    str(pdf), str(stem)], check=True)
    copy = DOCS / f"chart-{chart_name}.png"
    for old in DOCS.glob("chart-*.png"):
        if old != copy:
            old.unlink()
    shutil.copyfile(chart, copy)
    version = subprocess.run([pdftoppm, "-v"], capture_output=True, text=True).stderr.splitlines()[0]
    record = {
        "about": "Written by make readme-images (docs/readme_images.py); tests/test_repository.py "
                 "checks that the images are current. Do not edit.",
        "report_inputs": inputs,
        "images": [
            {"path": shown(PAGE), "sha256": sha256(PAGE),
             "made_from": f"page 1 of reports/report.pdf, {PAGE_PIXELS} px on its longer side ({version})"},
            {"path": shown(copy), "sha256": sha256(copy),
             "copy_of": shown(chart), "source_sha256": sha256(chart)},
        ],
    }
    RECORD.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    for image in record["images"]:
        print(f"wrote {image['path']}")
    print(f"wrote {shown(RECORD)} (report inputs {inputs[:12]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
