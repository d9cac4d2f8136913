"""What identifies a build: the hash of its inputs, and what the title block and PDF metadata say
(read by the build and by the exporters, a chapter exported alone getting the report's title block)."""

from __future__ import annotations

from pathlib import Path

from tashkent_report import __version__
from tashkent_report import inputs as hashed_inputs
from tashkent_report.config import DATA, NOTEBOOKS, PACKAGE, ROOT, chapters, relative
from tashkent_report.errors import BuildError

# Everything a build reads, under fixed labels (see inputs.py). In data/, only the declared inputs: the
# descriptor, the files its resources name and the numeral allow-list; no editor junk.
DECLARED, CHAPTERS = "the data package's files", "the chapters"
INPUT_GLOBS = [("notebooks", NOTEBOOKS, CHAPTERS), ("data", DATA, DECLARED),
               ("package", PACKAGE, "**/*.py"), ("package", PACKAGE, "render/templates/**/*"),
               ("root", ROOT, "requirements.txt"), ("root", ROOT, "pyproject.toml")]


def fingerprint() -> str:
    """sha256 over the names and bytes of every input of the build, wherever the project sits."""
    def found(folder: Path, pattern: str) -> list[Path]:
        if pattern == CHAPTERS:
            return chapters(folder)
        if pattern == DECLARED:
            return hashed_inputs.data_files(folder / "datapackage.json", also=["audit/report_numbers.csv"])
        return hashed_inputs.files(folder, pattern)
    try:
        return hashed_inputs.digest((label, folder, found(folder, pattern))
                                    for label, folder, pattern in INPUT_GLOBS)
    except OSError as exc:
        raise BuildError(f"{relative(Path(exc.filename or DATA))}: cannot read it: {exc.strerror or exc}",
                         "Make the file readable for you, then run make report again.") from exc


def report_meta(article: dict, inputs: str, events=None) -> dict:
    """What the title block and the PDF metadata say; the conferences' names from ``events``."""
    source = article["sources"][0]
    names = (list(events["name_en"]) if events is not None else
             ["International Conference of the SCO's Regional Anti-Terrorist Structure",
              "CIS Conference on countering terrorism and extremism"])
    return {
        "title": "Countering terrorism in Tashkent: the joint RATS SCO and CIS conferences, "
        "as UzA reported them",
        "subtitle": f"The {names[0]} and the {names[1]}, read from one French article by UzA, the "
        "national news agency of Uzbekistan",
        "source": f"{source['title']} (address and other sources: Appendix B)",
        "date_note": "The article gives no date. The conferences were held on 4-5 September 2024 "
        "(context, not from the article: EAG, 9 September 2024; Gazeta.uz, 5 September 2024; §3.1).",
        "version": f"{__version__}, inputs {inputs[:12]}",
        "author": "tashkent-report project",
        "subject": "Participation figures and the themes of President Mirziyoyev's message at the "
        "joint RATS SCO / CIS counter-terrorism conferences in Tashkent, from one UzA article",
    }
