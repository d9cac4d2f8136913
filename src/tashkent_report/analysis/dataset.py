"""Load the article and its fact tables, and refuse anything that does not check out.

Schema checks (types, required cells, allowed values, unique ids, foreign keys) are done by
Frictionless against ``data/datapackage.json``; this module adds what a schema cannot say:
the source text's hash, and that every quote sits at its offsets in that text.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import os
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pandas as pd

from tashkent_report.analysis import numerals
from tashkent_report.analysis.model import DataError, Facts, paragraph_of, paragraphs  # noqa: F401 (re-exported)
from tashkent_report.config import DATAPACKAGE, PACKAGE, relative


@contextmanager
def _without_iri_checker():
    """While Frictionless, and through it jsonschema, is first imported: rfc3987_syntax absent.

    jsonschema's format checkers import rfc3987_syntax if it is installed (it is, through
    Jupyter); that import compiles some 38 grammars and costs about 2 s in every kernel, for the
    'iri' format that no schema here uses (python-jsonschema/jsonschema#1428). The module is
    marked absent only for that import, then unmarked, so an analyst's kernel can still import it.
    """
    added = "rfc3987_syntax" not in sys.modules
    if added:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if added and sys.modules.get("rfc3987_syntax", False) is None:
            del sys.modules["rfc3987_syntax"]


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


def _validate_tables(datapackage: Path, descriptor: dict):
    """Validate every table against its schema; return the Frictionless package.

    Headers first, then every table (types, required, allowed values, unique ids, references).
    On failure the tables are checked again without their references, so that a duplicate id
    is reported as itself and not as the broken reference it causes elsewhere.
    """
    with _without_iri_checker():
        from frictionless import Package

    basepath = Path(datapackage).parent
    resources = [r for r in descriptor["resources"] if r.get("type") == "table"]
    for resource in resources:
        _check_header(basepath / resource["path"], [f["name"] for f in resource["schema"]["fields"]])
    package = Package({**descriptor, "resources": resources}, basepath=str(basepath))
    error = _first_error(package.validate(), resources, basepath)
    if error is None:
        return package
    without_fks = copy.deepcopy(resources)
    for resource in without_fks:
        resource["schema"].pop("foreignKeys", None)
    own = Package({**descriptor, "resources": without_fks}, basepath=str(basepath))
    raise _first_error(own.validate(), without_fks, basepath) or error


def _read_table(package, resource: dict) -> pd.DataFrame:
    rows = [row.to_dict() for row in package.get_resource(resource["name"]).read_rows()]
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



def _check_declared_rules(descriptor: dict, tables: dict[str, pd.DataFrame], paths: dict) -> None:
    """Field rules the schema declares but Frictionless cannot check.

    ``referencesEach``: a ';'-separated list of ids, each of which must exist in that table.
    ``maxWords``: a short quotation from a source we do not hold stays short.
    """
    for resource in descriptor["resources"]:
        if resource.get("type") != "table" or resource["name"] not in tables:
            continue
        frame, path = tables[resource["name"]], paths[resource["name"]]
        for spec in resource["schema"]["fields"]:
            name = spec["name"]
            if "referencesEach" in spec:
                target = spec["referencesEach"]
                known = set(tables[target]["id"]) if target in tables else set()
                for i, cell in enumerate(frame[name]):
                    if pd.isna(cell):
                        continue
                    for ref in str(cell).split(";"):
                        if ref.strip() not in known:
                            raise DataError(path, f"{ref.strip()!r} is not an id in the {target} table "
                                            f"({relative(paths.get(target, target))})", i + 2, name)
            if "maxWords" in spec:
                for i, cell in enumerate(frame[name]):
                    if not pd.isna(cell) and len(str(cell).split()) > spec["maxWords"]:
                        raise DataError(
                            path, f"{len(str(cell).split())} words; a quotation from a text the "
                            f"project does not hold is kept to {spec['maxWords']} words at most: "
                            "paraphrase the rest", i + 2, name)


def _check_participation(tables: dict[str, pd.DataFrame], paths: dict[str, Path]) -> None:
    values = dict(zip(tables["figures"]["id"], tables["figures"]["value"], strict=True))
    for i, row in enumerate(tables["participation"].itertuples(index=False)):
        if values[row.figure] != row.value:
            raise DataError(
                paths["participation"],
                f"value {row.value} differs from figure '{row.figure}' ({values[row.figure]})",
                i + 2,
                "value",
            )


def _check_attribution(tables: dict[str, pd.DataFrame], paths: dict[str, Path]) -> None:
    for i, row in enumerate(tables["statements"].itertuples(index=False)):
        has_quote = not pd.isna(row.attribution_quote)
        if (row.attribution == "explicit") != has_quote:
            need = "needs" if row.attribution == "explicit" else "must not have"
            raise DataError(
                paths["statements"],
                f"attribution '{row.attribution}' {need} an attribution_quote",
                i + 2,
                "attribution_quote",
            )


def load_facts(
    datapackage: Path = DATAPACKAGE, audit: bool = True, exclude: tuple[str, ...] = ()
) -> Facts:
    """Load and check everything: hash, schemas, quotes at offsets, cross-table rules, numerals.

    ``exclude`` leaves tables out, for code that regenerates them (the spaCy annotations).
    Facts that passed every check are kept in ``.cache/`` beside ``data/``, under a hash of
    every byte they were read from and of the code that checked them; any change to either is
    a miss, and the data are checked again in full.
    """
    datapackage = Path(datapackage)
    descriptor = read_descriptor(datapackage)
    descriptor["resources"] = [r for r in descriptor.get("resources", []) if r.get("name") not in exclude]
    key = _cache_key(datapackage, descriptor, audit)
    cached = _cache_read(datapackage, key)
    if cached is not None:
        return cached
    text, article = load_article(datapackage, descriptor)
    package = _validate_tables(datapackage, descriptor)
    tables, paths = {}, {"article": datapackage.parent / article["path"]}
    for resource in descriptor["resources"]:
        if resource.get("type") != "table":
            continue
        path = datapackage.parent / resource["path"]
        frame = _read_table(package, resource)
        if _quotes_in(resource, path, datapackage) is not None:
            check_quotes(text, frame, path)
        tables[resource["name"]] = frame
        paths[resource["name"]] = path
    _check_declared_rules(descriptor, tables, paths)
    _check_participation(tables, paths)
    _check_attribution(tables, paths)
    facts = Facts(text=text, article=article, tables=tables, paths=paths)
    if audit:

        numerals.check_numeral_audit(facts)
    _cache_write(datapackage, key, facts)
    return facts


# The checked-facts cache. A key covers the descriptor as the load uses it, every byte of every
# input file, the package code and the versions of the libraries that parse; an entry is written
# only if no input changed while it was loaded (same bytes, same size, time and inode before
# and after), and only while the package code on disk is still the code this process runs.
_PACKAGE_DIR = PACKAGE  # every subpackage
_PARSING_LIBRARIES = ("frictionless", "numpy", "pandas", "text2num")
_CACHE_ENTRIES = 8  # entries kept, the least recently used removed first
_NO_CACHE = "TASHKENT_REPORT_NO_CACHE"  # set (to anything) to check in full on every load


def _environment() -> str:
    """sha256 of the Python and parsing-library versions and of the package code on disk."""
    digest = hashlib.sha256(sys.version.encode())
    for name in _PARSING_LIBRARIES:
        try:
            found = version(name)
        except PackageNotFoundError:
            found = "absent"
        digest.update(f"\0{name}=={found}".encode())
    for path in sorted(_PACKAGE_DIR.rglob("*.py")):
        name = path.relative_to(_PACKAGE_DIR).as_posix()
        digest.update(b"\0" + name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


_ENVIRONMENT_AT_IMPORT = _environment()


@dataclass(frozen=True)
class _CacheKey:
    digest: str
    environment: str
    inputs: tuple[tuple[Path, tuple[int, int, int], str], ...]  # path, (mtime_ns, size, inode), sha256


def _stamp(path: Path) -> tuple[int, int, int]:
    info = path.stat()
    return info.st_mtime_ns, info.st_size, info.st_ino


def _cache_key(datapackage: Path, descriptor: dict, audit: bool) -> _CacheKey | None:
    """The key of these facts, or None (no caching): an input is unreadable, the cache is off, or
    the package code on disk is no longer the code that was imported (an edit in a running kernel)."""
    if os.environ.get(_NO_CACHE):
        return None
    try:
        environment = _environment()
        if environment != _ENVIRONMENT_AT_IMPORT:
            return None
        digest = hashlib.sha256(environment.encode())
        # The descriptor as parsed (read once, filtered), not the file read again; the facts hold
        # absolute paths, so the place is part of the key.
        seen = [str(datapackage.resolve()), audit, descriptor]
        digest.update(json.dumps(seen, sort_keys=True, ensure_ascii=False).encode())
        inputs = []
        for resource in descriptor["resources"]:
            if "path" not in resource:
                continue  # inline data: in the descriptor, hashed above
            path = datapackage.parent / resource["path"]
            stamp = _stamp(path)  # before the bytes: a save after this changes the time
            data = path.read_bytes()
            inputs.append((path, stamp, hashlib.sha256(data).hexdigest()))
            digest.update(resource["path"].encode() + b"\0" + data + b"\0")
    except (OSError, TypeError, KeyError, ValueError):
        return None  # let the full load name the problem
    return _CacheKey(digest.hexdigest(), environment, tuple(inputs))


def _unchanged_since(key: _CacheKey) -> bool:
    """Whether every input and the code are as they were when the key was made."""
    try:
        for path, stamp, sha in key.inputs:
            if hashlib.sha256(path.read_bytes()).hexdigest() != sha or _stamp(path) != stamp:
                return False
        return _environment() == key.environment
    except OSError:
        return False


def _cache_file(datapackage: Path, digest: str) -> Path:
    return datapackage.resolve().parent.parent / ".cache" / f"facts-{digest}.pickle"


def _cache_read(datapackage: Path, key: _CacheKey | None) -> Facts | None:
    import pickle

    if key is None:
        return None
    path = _cache_file(datapackage, key.digest)
    try:
        with open(path, "rb") as handle:
            facts = pickle.load(handle)
        now = time.time_ns()
        os.utime(path, ns=(now, now))  # recently used: pruned last
    except Exception:  # a missing, partial, pruned or unreadable cache file is only a miss
        return None
    return facts if isinstance(facts, Facts) else None


def _cache_write(datapackage: Path, key: _CacheKey | None, facts: Facts) -> None:
    """Keep the facts under their key, unless an input or the code changed during the load."""
    import pickle
    import tempfile

    if key is None or not _unchanged_since(key):
        return
    target = _cache_file(datapackage, key.digest)
    try:
        target.parent.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".facts-", suffix=".tmp")
        try:
            with open(fd, "wb") as handle:
                pickle.dump(facts, handle, protocol=pickle.HIGHEST_PROTOCOL)
            Path(tmp).replace(target)
        finally:
            Path(tmp).unlink(missing_ok=True)
        _cache_prune(target.parent)
    except OSError:
        pass  # a read-only checkout still works, uncached


def _cache_prune(folder: Path) -> None:
    """Remove all but the _CACHE_ENTRIES most recently used entries (other callers' are kept)."""

    def used(path: Path) -> int:
        try:
            return path.stat().st_mtime_ns
        except OSError:
            return 0

    for old in sorted(folder.glob("facts-*.pickle"), key=used, reverse=True)[_CACHE_ENTRIES:]:
        old.unlink(missing_ok=True)
