"""The project's own rules as Frictionless checks, run row by row with the schema checks.

Imported only when data/ is checked in full (it imports Frictionless): never in a kernel that
reads processed/. Each error's note is the whole message the project gives; dataset.py shows
it with the file, row and field.

What stays outside Frictionless, in dataset.py: the header and size checks (they must run
before any cell is parsed: a 5 MB cell or a file in Latin-1 is named at once), the article's
hash, the quotes at their offsets (they need the article, which is no table), and the numeral
audit (it reads the whole article against two tables at once).
"""

from __future__ import annotations

from pathlib import Path

from frictionless import Check, errors

from tashkent_report.config import relative


class RuleError(errors.CellError):
    type = "project-rule"
    title = "Project rule"
    description = "A rule of this project's data that a Table Schema cannot state."
    template = "{note}"


def _ids(resource, target: str, kept: KeepRows, field: str = "id") -> dict:
    """The values of a field of another table of the package, by id: as validation parsed them if
    that table came first (the package's tables are validated one after another), else read."""
    rows = kept.rows[target] if target in kept.rows else resource.package.get_resource(target).read_rows()
    return {row["id"]: row[field] for row in rows}


class KeepRows(Check):
    """Not a rule: keeps each table's rows as Frictionless parsed them while it validates, so
    that a valid table is parsed once, not validated and then read again."""

    type = "keep-rows"

    def __init__(self):
        super().__init__()
        self.rows: dict[str, list[dict]] = {}

    def validate_start(self):
        self.rows[self.resource.name] = []
        yield from []

    def validate_row(self, row):
        self.rows[self.resource.name].append(row.to_dict())
        yield from []


class DeclaredRules(Check):
    """Field rules declared in data/datapackage.json beside the Table Schema's own:

    ``referencesEach``: a ';'-separated list of ids, each of which must exist in that table;
    ``maxWords``: a short quotation from a source we do not hold stays short.
    """

    type = "declared-rules"
    Errors = [RuleError]

    def __init__(self, descriptor: dict, basepath: Path, kept: KeepRows):
        super().__init__()
        self.kept = kept
        self.fields = {r["name"]: r["schema"]["fields"] for r in descriptor["resources"] if "schema" in r}
        self.paths = {r["name"]: basepath / r["path"] for r in descriptor["resources"] if "path" in r}

    def validate_start(self):
        self.known = {}
        for spec in self.fields.get(self.resource.name, []):
            if "referencesEach" in spec:
                target = spec["referencesEach"]
                known = _ids(self.resource, target, self.kept) if target in self.fields else {}
                self.known[target] = set(known)
        yield from []

    def validate_row(self, row):
        for spec in self.fields.get(self.resource.name, []):
            name, cell = spec["name"], row[spec["name"]]
            if cell is None:
                continue
            if "referencesEach" in spec:
                target = spec["referencesEach"]
                for ref in str(cell).split(";"):
                    if ref.strip() not in self.known[target]:
                        yield RuleError.from_row(row, field_name=name, note=(
                            f"{ref.strip()!r} is not an id in the {target} table "
                            f"({relative(self.paths.get(target, target))})"))
                        return
            if "maxWords" in spec and len(str(cell).split()) > spec["maxWords"]:
                yield RuleError.from_row(row, field_name=name, note=(
                    f"{len(str(cell).split())} words; a quotation from a text the project does not "
                    f"hold is kept to {spec['maxWords']} words at most: paraphrase the rest"))
                return


class ParticipationAgrees(Check):
    """Each participation row's value is the value of the figure it cites."""

    type = "participation-agrees"
    Errors = [RuleError]

    def __init__(self, kept: KeepRows):
        super().__init__()
        self.kept = kept

    def validate_start(self):
        is_participation = self.resource.name == "participation"
        self.values = _ids(self.resource, "figures", self.kept, "value") if is_participation else {}
        yield from []

    def validate_row(self, row):
        if self.resource.name != "participation" or row["figure"] not in self.values:
            return  # an unknown figure is the foreign key's to name
        if self.values[row["figure"]] != row["value"]:
            yield RuleError.from_row(row, field_name="value", note=(
                f"value {row['value']} differs from figure '{row['figure']}' ({self.values[row['figure']]})"))


class AttributionQuoted(Check):
    """A statement attributed explicitly has the words that attribute it; no other statement has."""

    type = "attribution-quoted"
    Errors = [RuleError]

    def validate_row(self, row):
        if self.resource.name != "statements":
            return
        has_quote = row["attribution_quote"] is not None
        if (row["attribution"] == "explicit") != has_quote:
            need = "needs" if row["attribution"] == "explicit" else "must not have"
            yield RuleError.from_row(row, field_name="attribution_quote",
                                     note=f"attribution '{row['attribution']}' {need} an attribution_quote")


def checks(descriptor: dict, basepath: Path, kept: KeepRows) -> list[Check]:
    """The project's rules, then ``kept`` (which they read other tables' rows from)."""
    return [DeclaredRules(descriptor, basepath, kept), ParticipationAgrees(kept), AttributionQuoted(), kept]
