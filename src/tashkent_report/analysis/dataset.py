"""Load the article and its fact tables, and refuse anything that does not check out.

The data step checks ``data/`` once per change of its inputs and writes what passed to
``processed/`` (config.PROCESSED): one plain CSV file per table, the article's text, and a
manifest with the hash of what was checked (the data package's files and the checking code),
each output's sha256 and each column's dtype. Every other load reads those files with pandas
alone, after checking them against the manifest: no Frictionless, no jsonschema.

Schema checks (types, required cells, allowed values, unique ids, foreign keys) are done by
Frictionless against ``data/datapackage.json``; this module adds what a schema cannot say:
the source text's hash, and that every quote sits at its offsets in that text.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import os
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pandas as pd

from tashkent_report import inputs as hashed_inputs
from tashkent_report.analysis import numerals
from tashkent_report.analysis.model import DataError, Facts, paragraph_of, paragraphs  # noqa: F401 (re-exported)
from tashkent_report.config import DATAPACKAGE, PROCESSED, ROOT, relative
from tashkent_report.files import write_atomically


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_descriptor(datapackage: Path = DATAPACKAGE) -> dict:
    try:
        return json.loads(Path(datapackage).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(datapackage, f"cannot read the data package descriptor: {exc}") from exc


def load_article(datapackage: Path = DATAPACKAGE, descriptor: dict | None = None) -> tuple[str, dict]:
    """The raw article text, after checking its sha256 against the descriptor."""
    descriptor = descriptor or read_descriptor(datapackage)
    meta = next((r for r in descriptor.get("resources", []) if r.get("name") == "article"), None)
    if meta is None:
        raise DataError(datapackage, "no resource named 'article'", field="resources")
    path = Path(datapackage).parent / meta["path"]
    expected = str(meta.get("hash", "")).removeprefix("sha256:")
    try:
        actual = sha256(path)
    except OSError as exc:
        raise DataError(path, f"cannot read the source text: {exc}") from exc
    if actual != expected:
        raise DataError(
            path,
            f"the source text has changed: its sha256 is {actual}, but {relative(datapackage)} "
            f"records {expected}. The article is kept verbatim; restore it from the seed "
            "instead of editing it.",
            field="hash",
        )
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:  # only reachable if the recorded hash is of a non-UTF-8 file
        raise DataError(path, f"not valid UTF-8: {exc}", field="encoding") from exc
    return text, meta


def _frictionless_error(error, path: Path) -> DataError:
    from tashkent_report.analysis.rules import RuleError

    if isinstance(error, RuleError):  # the project's own rules: the note is the message
        return DataError(path, error.note, line=error.row_number, field=error.field_name)
    line = getattr(error, "row_number", None)
    if line is None and getattr(error, "type", "").endswith("-label"):
        line = 1
    name = getattr(error, "field_name", None) or getattr(error, "label", None)
    if name is None and len(getattr(error, "field_names", None) or []) == 1:
        name = error.field_names[0]  # a broken reference by one column names that column
    note = getattr(error, "note", "") or ""
    cell = getattr(error, "cell", None)
    detail = error.title.lower()
    if cell is not None:
        detail += f" ({cell!r})"
    if note:
        detail += f": {note}"
    return DataError(path, detail, line=line, field=name)


# Limits no honest fact needs, so that a pasted blob stops the build at once instead of
# stalling the HTML and PDF steps for minutes. The whole article is 2,047 characters and the
# longest cell in the tables 327; the largest table, the spaCy annotations, 18 kB for the
# article's 353 tokens. A 1 MB table would hold fifty such articles.
MAX_CELL_CHARS = 5_000
MAX_TABLE_BYTES = 1_000_000


def _check_header(path: Path, fields: list[str]) -> None:
    """Missing, unexpected or reordered columns, named before any cell is read; then sizes."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise DataError(path, f"cannot read the table: {exc}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        row_start = raw.rfind(b"\n", 0, exc.start) + 1
        cells = next(csv.reader([raw[row_start:exc.start].decode("utf-8", errors="replace")]), [])
        column = fields[len(cells) - 1] if 0 < len(cells) <= len(fields) else None
        raise DataError(
            path, f"not UTF-8 (byte {raw[exc.start]:#04x}); save the file as UTF-8", line, column
        ) from exc
    # A spreadsheet's "CSV UTF-8" starts with a byte order mark, before a quoted header too.
    text = text.removeprefix("\ufeff")
    first = text.splitlines()[0] if text else ""
    header = next(csv.reader([first]), [])
    if len(header) < len(fields):
        for separator, name in ((";", "semicolons"), ("\t", "tabs")):
            if len(first.split(separator)) >= len(fields) and separator in first:
                raise DataError(
                    path,
                    f"the columns are separated by {name}, not commas (the header reads "
                    f"{first[:60]!r}); save the file as CSV with ',' as the separator",
                    1,
                )
    for name in fields:
        if name not in header:
            raise DataError(path, f"column '{name}' is missing; expected columns: {', '.join(fields)}",
                            1, name)
    for name in header:
        if name not in fields:
            raise DataError(path, f"unexpected column {name!r}; expected columns: {', '.join(fields)}",
                            1, name)
    # Frictionless raises the csv module's field size limit for the whole process anyway.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.reader(text.splitlines(keepends=True))
    line = 1  # where the next row starts (a quoted cell may span lines)
    for row in reader:
        for column, cell in zip(header, row, strict=False):
            if len(cell) > MAX_CELL_CHARS:
                raise DataError(
                    path,
                    f"the cell holds {len(cell):,} characters, more than the {MAX_CELL_CHARS:,} "
                    "any fact of this report needs: was something pasted by mistake?",
                    line,
                    column,
                )
        line = reader.line_num + 1
    if len(raw) > MAX_TABLE_BYTES:
        raise DataError(
            path,
            f"the table is {len(raw):,} bytes, more than the {MAX_TABLE_BYTES:,} no table of this "
            f"report needs (it has {reader.line_num:,} lines): was something pasted by mistake?",
        )


def _first_error(report, resources: list[dict], basepath: Path) -> DataError | None:
    for task in report.tasks:
        if task.errors:
            resource = next(r for r in resources if r["name"] == task.name)
            return _frictionless_error(task.errors[0], basepath / resource["path"])
    if not report.valid:
        return DataError(basepath / "datapackage.json", "; ".join(e.message for e in report.errors))
    return None


def _validate_tables(datapackage: Path, descriptor: dict) -> dict[str, list[dict]]:
    """Validate every table against its schema and the project's rules; return each one's rows.

    Headers first, then every table (types, required, allowed values, unique ids, references,
    and the rules of ``rules.py``). On failure the tables are checked again without their
    references, so that a duplicate id is reported as itself and not as the broken reference it
    causes elsewhere.
    """
    # Here, not at the top: a load from processed/ never needs them.
    from frictionless import Checklist, Package

    from tashkent_report.analysis import rules

    basepath = Path(datapackage).parent
    resources = [r for r in descriptor["resources"] if r.get("type") == "table"]
    for resource in resources:
        _check_header(basepath / resource["path"], [f["name"] for f in resource["schema"]["fields"]])
    package = Package({**descriptor, "resources": resources}, basepath=str(basepath))
    kept = rules.KeepRows()
    checklist = Checklist(checks=rules.checks(descriptor, basepath, kept))
    error = _first_error(package.validate(checklist), resources, basepath)
    if error is None:
        return kept.rows
    without_fks = copy.deepcopy(resources)
    for resource in without_fks:
        resource["schema"].pop("foreignKeys", None)
    own = Package({**descriptor, "resources": without_fks}, basepath=str(basepath))
    raise _first_error(own.validate(checklist), without_fks, basepath) or error


def _table(rows: list[dict], resource: dict) -> pd.DataFrame:
    names = [f["name"] for f in resource["schema"]["fields"]]
    frame = pd.DataFrame(rows, columns=names)
    for spec in resource["schema"]["fields"]:
        name = spec["name"]
        if spec["type"] == "integer":
            frame[name] = frame[name].astype("Int64")
        elif spec["type"] == "boolean":
            frame[name] = frame[name].astype("boolean")
        else:
            frame[name] = frame[name].astype("string")
    return frame


def quote_spans(columns) -> list[str]:
    """The prefixes of every (quote, start, end) triple among a table's column names."""
    return [c.removesuffix("quote") for c in columns if c.endswith("quote")]


def check_quotes(text: str, frame: pd.DataFrame, path: Path) -> None:
    """Every quote must be exactly ``text[start:end]``; an empty quote must have no offsets."""
    for prefix in quote_spans(frame.columns):
        q, s, e = f"{prefix}quote", f"{prefix}start", f"{prefix}end"
        for i, row in enumerate(frame.itertuples(index=False)):
            line = i + 2
            quote, start, end = getattr(row, q), getattr(row, s), getattr(row, e)
            if pd.isna(quote):
                if not (pd.isna(start) and pd.isna(end)):
                    raise DataError(path, f"offsets {start}:{end} are given without a quote", line, q)
                continue
            if pd.isna(start) or pd.isna(end):
                raise DataError(path, f"quote {quote!r} has no offsets ({s}, {e})", line, s)
            if text[start:end] != quote:
                import unicodedata

                composed = unicodedata.normalize("NFC", quote)
                if composed != quote and composed in text:
                    raise DataError(
                        path,
                        f"the quote {quote[:60] + ('…' if len(quote) > 60 else '')!r} is not in "
                        "Unicode NFC form: it spells accented letters "
                        "as a letter plus a combining accent (as some macOS and Windows tools save "
                        "them), so it looks like the article's words without being equal to them. "
                        "Save the file in NFC form (from the project folder): "
                        "python3 -c \"import pathlib, unicodedata; "
                        f"f = pathlib.Path('{relative(Path(path))}'); "
                        "f.write_bytes(unicodedata.normalize('NFC', f.read_bytes().decode()).encode())\"",
                        line,
                        q,
                    )
                found = text.find(quote)
                hint = (
                    f"the quote occurs at {found}:{found + len(quote)}"
                    if found >= 0
                    else "the quote occurs nowhere in the article (check apostrophes ’ and ')"
                )
                raise DataError(
                    path,
                    f"text[{start}:{end}] is {text[start:end]!r}, not the quote {quote!r}; {hint}",
                    line,
                    q,
                )


# The only text the project holds whole; a quote can point into nothing else.
HELD_TEXTS = ("article",)


def _quotes_in(resource: dict, path: Path, datapackage: Path) -> str | None:
    """The held text a table's quotes point into, as the table declares it (``quotesIn``).

    Quote columns are checked at their offsets only where a table says which text they
    point into; a quote column in a table that does not say so is refused, so that a short
    quotation from a page we do not hold (an ``excerpt``) can never pass for one.
    """
    target = resource.get("quotesIn")
    names = [f["name"] for f in resource["schema"]["fields"]]
    if target is None:
        stray = [n for n in names if n.endswith("quote")]
        if stray:
            raise DataError(
                path, f"column '{stray[0]}' looks like a quote of the article, but the table does "
                "not declare \"quotesIn\": \"article\" in data/datapackage.json; a short "
                "quotation from another source belongs in an 'excerpt' column", 1, stray[0])
        return None
    if target not in HELD_TEXTS:
        raise DataError(datapackage, f"table '{resource['name']}' declares quotesIn "
                        f"{target!r}; the project holds only {', '.join(HELD_TEXTS)}", field="quotesIn")
    return target


def check_facts(
    datapackage: Path = DATAPACKAGE, audit: bool = True, exclude: tuple[str, ...] = ()
) -> Facts:
    """Check everything, from the files in data/: hash, schemas, quotes at offsets, cross-table
    rules, numerals. ``exclude`` leaves tables out, for code that regenerates them."""
    datapackage = Path(datapackage)
    descriptor = read_descriptor(datapackage)
    descriptor["resources"] = [r for r in descriptor.get("resources", []) if r.get("name") not in exclude]
    text, article = load_article(datapackage, descriptor)
    rows = _validate_tables(datapackage, descriptor)
    tables, paths = {}, {"article": datapackage.parent / article["path"]}
    for resource in descriptor["resources"]:
        if resource.get("type") != "table":
            continue
        path = datapackage.parent / resource["path"]
        frame = _table(rows[resource["name"]], resource)
        if _quotes_in(resource, path, datapackage) is not None:
            check_quotes(text, frame, path)
        tables[resource["name"]] = frame
        paths[resource["name"]] = path
    facts = Facts(text=text, article=article, tables=tables, paths=paths)
    if audit:
        numerals.check_numeral_audit(facts)
    return facts


def load_facts(
    datapackage: Path = DATAPACKAGE, audit: bool = True, exclude: tuple[str, ...] = ()
) -> Facts:
    """The checked facts: from processed/ if it holds what data/ holds now, else checked in full
    (and processed/ written again).

    ``exclude`` leaves tables out, for code that regenerates them (the spaCy annotations); such a
    load, one without the numeral audit, or any load with TASHKENT_REPORT_NO_CACHE set (``make
    mutate``), checks in full and neither reads nor writes processed/.
    """
    if exclude or not audit or os.environ.get(NO_PROCESSED):
        return check_facts(datapackage, audit, exclude)
    return prepare(datapackage)[0]


# --- the data step: data/ checked once, written to processed/ ----------------------------------

FORMAT = 1  # of the manifest and the files it lists; a manifest of another format is stale
MANIFEST = "manifest.json"
NO_PROCESSED = "TASHKENT_REPORT_NO_CACHE"  # set (to anything): check in full on every load
# What decides whether data pass, besides the data: this module and the three it calls, and the
# libraries that parse and check. Read when a load checks for staleness, never at import.
CHECKING_CODE = ("dataset.py", "model.py", "numerals.py", "rules.py")
CHECKING_LIBRARIES = ("frictionless", "pandas", "text2num")


def processed_folder(datapackage: Path = DATAPACKAGE) -> Path:
    """Where the data step writes: processed/ beside the data package's folder."""
    return Path(datapackage).resolve().parent.parent / PROCESSED.relative_to(ROOT)


def inputs_hash(datapackage: Path = DATAPACKAGE) -> str:
    """sha256 of what the data step checks: the data package's declared files (descriptor, the
    files its resources name) and the checking code. Raises OSError if one cannot be read."""
    datapackage = Path(datapackage)
    code = Path(__file__).resolve().parent
    return hashed_inputs.digest([
        ("data", datapackage.parent, hashed_inputs.data_files(datapackage)),
        ("code", code, [code / name for name in CHECKING_CODE]),
    ])


def checked_with() -> dict[str, str]:
    """The versions of Python and of the libraries that parse and check the data."""
    found = {"python": sys.version.split()[0]}
    for name in CHECKING_LIBRARIES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "absent"
    return found


def _stamps(datapackage: Path) -> list[tuple[int, int, int]]:
    """Each declared input's time, size and inode: a file saved again with the same bytes while
    it was checked changes them."""
    stamps = []
    for path in hashed_inputs.data_files(Path(datapackage)):
        info = path.stat()
        stamps.append((info.st_mtime_ns, info.st_size, info.st_ino))
    return stamps


def table_to_csv(frame: pd.DataFrame) -> bytes:
    """A checked table as CSV, every cell quoted: a carriage return or a NUL in a cell stays in it,
    and an empty quoted cell is a missing value (Frictionless reads no cell as empty text)."""
    return frame.to_csv(index=False, lineterminator="\n", quoting=csv.QUOTE_ALL).encode("utf-8")


_BOOLEAN = {"True": True, "False": False}  # as pandas writes them


def table_from_csv(data: bytes, dtypes: dict[str, str]) -> pd.DataFrame:
    """A table written by ``table_to_csv``, with its columns' dtypes (Int64, boolean or string)."""
    frame = pd.read_csv(io.BytesIO(data), dtype="string", keep_default_na=False, na_values=[""],
                        encoding="utf-8")
    if list(frame.columns) != list(dtypes):
        raise ValueError("not the columns the manifest lists")
    for name, dtype in dtypes.items():
        if dtype == "boolean":
            frame[name] = frame[name].map(_BOOLEAN, na_action="ignore").astype("boolean")
        elif dtype != "string":
            frame[name] = frame[name].astype(dtype)
    return frame


class _Stale(Exception):
    """processed/ does not hold what data/ holds now."""


def _verified(folder: Path, entry: dict) -> bytes:
    data = (folder / entry["path"]).read_bytes()
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise _Stale
    return data


def read_processed(datapackage: Path = DATAPACKAGE) -> Facts | None:
    """The facts from processed/, or None if it is missing, from other inputs, or not as written."""
    datapackage = Path(datapackage)
    folder = processed_folder(datapackage)
    try:
        manifest = json.loads((folder / MANIFEST).read_bytes())
        if manifest["format"] != FORMAT or manifest["checked_with"] != checked_with():
            return None
        if manifest["inputs"] != inputs_hash(datapackage):
            return None
        article = manifest["article"]
        text = _verified(folder, article).decode("utf-8")
        tables, paths = {}, {"article": datapackage.parent / article["source"]}
        for name, entry in manifest["tables"].items():
            tables[name] = table_from_csv(_verified(folder, entry), entry["dtypes"])
            paths[name] = datapackage.parent / entry["source"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError, _Stale):
        return None  # checked again in full, which names any problem with data/
    return Facts(text=text, article=article["meta"], tables=tables, paths=paths)


def write_processed(datapackage: Path, facts: Facts, inputs: str) -> None:
    """Write the checked facts to processed/, each file atomically, the manifest last; nothing if
    a table would not read back exactly as checked (then every load checks in full)."""
    datapackage = Path(datapackage)
    folder = processed_folder(datapackage)
    text = facts.text.encode("utf-8")
    outputs = {folder / "article.txt": text}
    article = {"path": "article.txt", "sha256": hashlib.sha256(text).hexdigest(),
               "source": facts.paths["article"].relative_to(datapackage.parent).as_posix(),
               "meta": facts.article}
    tables = {}
    for name, frame in facts.tables.items():
        data = table_to_csv(frame)
        dtypes = {column: str(frame[column].dtype) for column in frame.columns}
        if not table_from_csv(data, dtypes).equals(frame):
            return
        outputs[folder / f"{name}.csv"] = data
        tables[name] = {"path": f"{name}.csv", "sha256": hashlib.sha256(data).hexdigest(),
                        "source": facts.paths[name].relative_to(datapackage.parent).as_posix(),
                        "dtypes": dtypes}
    manifest = {"format": FORMAT, "inputs": inputs, "checked_with": checked_with(),
                "article": article, "tables": tables}
    outputs[folder / MANIFEST] = (json.dumps(manifest, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    folder.mkdir(parents=True, exist_ok=True)
    write_atomically(outputs)  # in order: a reader between two renames finds a sha256 that differs
    for old in folder.glob("*.csv"):  # a table no longer in the data package
        if old not in outputs:
            old.unlink(missing_ok=True)


def prepare(datapackage: Path = DATAPACKAGE) -> tuple[Facts, bool]:
    """The data step: the facts, and whether data/ was checked in full (False: processed/ held
    them). Raises DataError, naming file, row and field, on bad data."""
    facts = read_processed(datapackage)
    if facts is not None:
        return facts, False
    try:
        before = inputs_hash(datapackage), _stamps(datapackage)
    except OSError:
        before = None  # the check names the unreadable file
    facts = check_facts(datapackage)
    try:
        # Written only if no input changed while it was checked (same bytes, time, size, inode).
        if before is not None and before == (inputs_hash(datapackage), _stamps(datapackage)):
            write_processed(datapackage, facts, before[0])
    except OSError:
        pass  # a read-only checkout still works, checked on every load
    return facts, True


def main() -> int:
    """``make data``: check data/ if it changed since processed/ was written."""
    try:
        facts, checked = prepare()
    except DataError as exc:
        print(f"Data check stopped: {exc}", file=sys.stderr)
        return 1
    shown = relative(processed_folder())
    if checked:
        print(f"checked data/: {len(facts.tables)} tables and the article written to {shown}/")
    else:
        print(f"data/ unchanged since it was checked: {shown}/ is current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
