"""The README's pictures: page 1 of the report and one chart, with a record of what they show.

    make readme-images                   # builds the report first (if its inputs changed), then this
    make readme-images README_CHART=...  # another chart of figures/ (its name without .png)

Writes docs/report-page-1.png (page 1 of reports/report.pdf, by pdftoppm), docs/chart-NAME.png (a
copy of figures/NAME.png) and docs/readme-images.json: what each picture shows, namely the text of
page 1 and the sha256 of each image, with the pdftoppm version that drew the page. The tests
compare what the pictures show, not what the report was built from: the chart against figures/
(make test), page 1 against page 1 of a fresh build (make test-slow). Page 1 prints the inputs
hash, which any edit of the package changes: the comparison leaves out that one word, and a page
that differs only there is not drawn again. A change that leaves page 1 and the chart as they
were needs no new pictures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tashkent_report.config import FIGURES, REPORTS, ROOT

DOCS = ROOT / "docs"
RECORD = DOCS / "readme-images.json"
PAGE = DOCS / "report-page-1.png"
PAGE_PIXELS = 1000  # the page's longer side
INPUTS_HASH = re.compile(r"\binputs [0-9a-f]{12}\b")  # as page 1 prints it
INSTALL = ("pdftoppm is missing: install poppler-utils (Debian/Ubuntu: apt-get install poppler-utils; "
           "macOS: brew install poppler), then run make readme-images again.")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def shown(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def pdftoppm_version(pdftoppm: str) -> str:
    return subprocess.run([pdftoppm, "-v"], capture_output=True, text=True).stderr.splitlines()[0]


def draw_page_1(pdftoppm: str, pdf: Path, png: Path) -> None:
    """Page 1 of ``pdf`` as a PNG of PAGE_PIXELS on its longer side (pdftoppm adds the suffix)."""
    subprocess.run([pdftoppm, "-png", "-f", "1", "-l", "1", "-singlefile", "-scale-to", str(PAGE_PIXELS),
                    str(pdf), str(png.with_suffix(""))], check=True)


def page_1_text(pdf: Path) -> list[str]:
    """The words of page 1, one line each as pypdf reads them, the inputs hash left out."""
    from pypdf import PdfReader

    text = INPUTS_HASH.sub("inputs (hash)", PdfReader(pdf).pages[0].extract_text())
    return [line.strip() for line in text.splitlines() if line.strip()]


def inputs_hash_box(pdf: Path) -> tuple[float, float, float, float] | None:
    """Where page 1 prints the inputs hash, in the picture's pixels, through to the right edge (a
    hash drawn wider or narrower), or None if the page prints none."""
    words = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-bbox", str(pdf), "-"], check=True,
                           capture_output=True, text=True).stdout
    page = re.search(r'<page width="([\d.]+)" height="([\d.]+)"', words)
    scale = PAGE_PIXELS / max(float(page.group(1)), float(page.group(2)))
    word = r'<word xMin="{0}" yMin="{0}" xMax="[\d.]+" yMax="{0}">{1}</word>'
    number, hexadecimal = r"[\d.]+", "[0-9a-f]{12}"
    found = re.search(word.format(number, "inputs") + r"\s*" + word.format(f"({number})", hexadecimal), words)
    if not found:
        return None
    left, top, bottom = (float(value) * scale for value in found.groups())
    return left - 2, top - 2, float("inf"), bottom + 2


def differences(pdftoppm: str, pdf: Path, png: Path) -> tuple[int, int, int, int] | None:
    """The box of ``png`` that differs from page 1 of ``pdf`` drawn anew, leaving out the inputs
    hash; None if they look the same."""
    from PIL import Image, ImageChops

    with tempfile.TemporaryDirectory() as scratch:
        drawn = Path(scratch) / "page.png"
        draw_page_1(pdftoppm, pdf, drawn)
        with Image.open(drawn) as new, Image.open(png) as old:
            if new.size != old.size:
                return (0, 0, *new.size)
            box = ImageChops.difference(new.convert("RGB"), old.convert("RGB")).getbbox()
    allowed = inputs_hash_box(pdf)
    if box and allowed and (box[0] >= allowed[0] and box[1] >= allowed[1] and box[3] <= allowed[3]):
        return None
    return box


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
    pdf = REPORTS / "report.pdf"
    if not pdf.is_file():
        print("reports/report.pdf is missing: run make readme-images (it runs make report first).",
              file=sys.stderr)
        return 1

    DOCS.mkdir(exist_ok=True)
    kept = PAGE.is_file() and not differences(pdftoppm, pdf, PAGE)
    if not kept:
        draw_page_1(pdftoppm, pdf, PAGE)
    copy = DOCS / f"chart-{chart_name}.png"
    for old in DOCS.glob("chart-*.png"):
        if old != copy:
            old.unlink()
    shutil.copyfile(chart, copy)
    record = {
        "about": "Written by make readme-images (docs/readme_images.py); tests/test_repository.py "
                 "checks that the images show what the report and figures/ show. Do not edit.",
        "images": [
            {"path": shown(PAGE), "sha256": sha256(PAGE),
             "made_from": f"page 1 of reports/report.pdf, {PAGE_PIXELS} px on its longer side",
             "pdftoppm": pdftoppm_version(pdftoppm), "text": page_1_text(pdf)},
            {"path": shown(copy), "sha256": sha256(copy), "copy_of": shown(chart)},
        ],
    }
    RECORD.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for image in record["images"]:
        print(f"kept {image['path']}: it shows page 1 as it is, but for the inputs hash" if kept and
              image["path"] == shown(PAGE) else f"wrote {image['path']}")
    print(f"wrote {shown(RECORD)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
