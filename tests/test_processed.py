"""The data step: data/ checked once, then read from processed/ with pandas alone, never stale."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from tashkent_report.analysis import dataset
from tashkent_report.analysis.dataset import (
    DataError,
    check_facts,
    load_facts,
    prepare,
    processed_folder,
    read_processed,
    table_from_csv,
    table_to_csv,
)

from .test_dataset import expect


@pytest.fixture(autouse=True)
def processed_on(monkeypatch):
    monkeypatch.delenv(dataset.NO_PROCESSED, raising=False)


def folder(data_copy) -> Path:
    return processed_folder(data_copy.datapackage)


def manifest(data_copy) -> dict:
    return json.loads((folder(data_copy) / "manifest.json").read_text(encoding="utf-8"))


def same(a, b) -> bool:
    return (a.text == b.text and a.article == b.article and a.paths == b.paths
            and list(a.tables) == list(b.tables) and all(a.tables[n].equals(b.tables[n]) for n in a.tables))


def delegations(facts) -> str:
    return facts.figure("delegations")["translation"]


def test_the_data_step_writes_plain_csv_tables_and_a_manifest_beside_data(data_copy):
    facts, checked = prepare(data_copy.datapackage)
    assert checked
    assert folder(data_copy) == data_copy.root.parent / "processed"
    written = manifest(data_copy)
    assert list(written["tables"]) == list(facts.tables)
    assert written["tables"]["figures"]["source"] == "facts/figures.csv"
    assert written["tables"]["figures"]["dtypes"]["value"] == "Int64"
    assert written["tables"]["figures"]["dtypes"]["approximate"] == "boolean"
    # Any tool reads them: the csv module, with no knowledge of this package.
    figures = pd.read_csv(folder(data_copy) / "figures.csv")
    assert dict(zip(figures["id"], figures["value"], strict=True))["delegations"] == 47
    assert (folder(data_copy) / "article.txt").read_text(encoding="utf-8") == facts.text
    again, checked = prepare(data_copy.datapackage)
    assert not checked and same(again, facts)
    assert same(again, check_facts(data_copy.datapackage))


def kernel_environment() -> dict:
    """A kernel's environment: processed/ on, and this very package (mutmut tests a copy)."""
    env = {k: v for k, v in os.environ.items() if k != dataset.NO_PROCESSED}
    env["PYTHONPATH"] = str(Path(dataset.__file__).resolve().parents[2])
    return env


def test_a_kernel_after_the_data_step_imports_neither_frictionless_nor_jsonschema(data_copy):
    prepare(data_copy.datapackage)
    code = textwrap.dedent("""
        import sys
        from tashkent_report.analysis.dataset import load_facts
        facts = load_facts(sys.argv[1])
        print(facts.figure("delegations")["value"])
        checkers = {"frictionless", "jsonschema", "rfc3987_syntax"}
        print(sorted({m.split(".")[0] for m in sys.modules} & checkers))
    """)
    env = kernel_environment()

    def kernel() -> list[str]:
        ran = subprocess.run([sys.executable, "-c", code, str(data_copy.datapackage)], env=env,
                             capture_output=True, text=True, timeout=300)
        assert ran.returncode == 0, ran.stderr[-2000:]
        return ran.stdout.split("\n")[:2]

    assert kernel() == ["47", "[]"]
    data_copy.set_cell("facts/figures.csv", 11, "translation", "47 delegations, edited")
    stale = kernel()  # checked in full: the control that shows the test can see an import
    assert stale[0] == "47" and "'frictionless', 'jsonschema'" in stale[1]


def test_a_processed_table_edited_by_hand_is_checked_again(data_copy):
    prepare(data_copy.datapackage)
    table = folder(data_copy) / "figures.csv"
    table.write_bytes(table.read_bytes().replace(b'"delegations","47"', b'"delegations","48"'))
    assert read_processed(data_copy.datapackage) is None
    facts, checked = prepare(data_copy.datapackage)
    assert checked and facts.figure("delegations")["value"] == 47
    assert read_processed(data_copy.datapackage) is not None  # written again as checked


# Two kinds of damage in make test; the three others, each a full check more, in make test-slow.
@pytest.mark.parametrize("damage", ["missing table", "manifest not JSON", *(
    pytest.param(d, marks=pytest.mark.slow)
    for d in ("missing manifest", "manifest of another format", "other library versions"))])
def test_a_processed_folder_that_is_not_whole_is_checked_again(data_copy, damage):
    prepare(data_copy.datapackage)
    path = folder(data_copy) / "manifest.json"
    if damage == "missing table":
        (folder(data_copy) / "codebook.csv").unlink()
    elif damage == "missing manifest":
        path.unlink()
    elif damage == "manifest not JSON":
        path.write_text(path.read_text()[:100])
    else:
        written = manifest(data_copy)
        if damage == "manifest of another format":
            written["format"] += 1
        else:
            written["checked_with"]["frictionless"] = "4.0.0"
        path.write_text(json.dumps(written))
    assert read_processed(data_copy.datapackage) is None
    assert prepare(data_copy.datapackage)[1]
    assert read_processed(data_copy.datapackage) is not None


def test_an_input_changed_after_the_data_step_is_checked_again(data_copy):
    before = load_facts(data_copy.datapackage)
    data_copy.set_cell("facts/figures.csv", 11, "translation", "EDITED")
    after = load_facts(data_copy.datapackage)
    assert delegations(before) != "EDITED" and delegations(after) == "EDITED"
    assert delegations(read_processed(data_copy.datapackage)) == "EDITED"


def test_a_bad_input_after_the_data_step_stops_with_its_file_row_and_field(data_copy):
    load_facts(data_copy.datapackage)
    data_copy.set_cell("facts/figures.csv", 6, "value", "neuf")
    expect(data_copy, "facts/figures.csv", 6, "value", "type error")
    expect(data_copy, "facts/figures.csv", 6, "value", "type error")  # and again: nothing kept


def test_an_edit_of_the_checking_code_makes_processed_stale(data_copy, monkeypatch, tmp_path):
    prepare(data_copy.datapackage)
    code = tmp_path / "analysis"
    shutil.copytree(Path(dataset.__file__).parent, code, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(dataset, "__file__", str(code / "dataset.py"))
    assert read_processed(data_copy.datapackage) is not None  # the same code, elsewhere
    for name in dataset.CHECKING_CODE:
        path = code / name
        before = path.read_bytes()
        path.write_bytes(before + b"\n# a new rule\n")
        assert read_processed(data_copy.datapackage) is None, name
        path.write_bytes(before)
    (code / "plots.py").write_bytes(b"# not checking code\n")
    assert read_processed(data_copy.datapackage) is not None


def test_editor_litter_beside_the_data_leaves_processed_current(data_copy):
    prepare(data_copy.datapackage)
    (data_copy.root / "facts" / ".~lock.figures.csv#").write_text("lock")
    (data_copy.root / "notes.txt").write_text("notes")
    assert read_processed(data_copy.datapackage) is not None


def saved_during_the_check(data_copy, monkeypatch, edit):
    """A file saved while data/ is being checked, after the check read it."""
    check = dataset.check_facts

    def checked_then_saved(*args, **kwargs):
        facts = check(*args, **kwargs)
        edit()
        return facts

    monkeypatch.setattr(dataset, "check_facts", checked_then_saved)
    prepare(data_copy.datapackage)
    monkeypatch.setattr(dataset, "check_facts", check)


@pytest.mark.slow  # fault injection: a full check more
def test_a_file_saved_during_the_check_is_not_written_as_checked(data_copy, monkeypatch):
    path = data_copy.path("facts/figures.csv")
    saved_during_the_check(data_copy, monkeypatch, lambda: data_copy.set_cell(
        "facts/figures.csv", 11, "translation", "EDITED"))
    assert not (folder(data_copy) / "manifest.json").exists()
    assert delegations(load_facts(data_copy.datapackage)) == "EDITED"
    shutil.rmtree(folder(data_copy))
    # The same bytes saved again: the file may have held something else while it was read.
    saved_during_the_check(data_copy, monkeypatch, lambda: (path.write_bytes(path.read_bytes()),
                                                             os.utime(path, ns=(1, 1))))
    assert not (folder(data_copy) / "manifest.json").exists()


@pytest.mark.slow  # fault injection: a full check more
def test_loads_that_leave_tables_out_neither_read_nor_write_processed(data_copy):
    facts = load_facts(data_copy.datapackage, exclude=("annotations",))
    assert "annotations" not in facts.tables
    load_facts(data_copy.datapackage, audit=False)
    assert not folder(data_copy).exists()
    load_facts(data_copy.datapackage)
    assert "annotations" not in load_facts(data_copy.datapackage, exclude=("annotations",)).tables


def test_processed_can_be_left_aside(data_copy, monkeypatch):
    monkeypatch.setenv(dataset.NO_PROCESSED, "1")
    load_facts(data_copy.datapackage)
    assert not folder(data_copy).exists()


def test_cells_a_spreadsheet_would_mangle_read_back_as_checked():
    frame = pd.DataFrame({
        "text": pd.array(["a\rb", "c\r\nd", "\x00", "NA", "None", "null", " ", '"q"', "’", None, "1e3",
                          "\ufeffbom", "x,y"], dtype="string"),
        "number": pd.array([0, -1, 999999999999999999, None] + [1] * 9, dtype="Int64"),
        "flag": pd.array([True, False, None] + [True] * 10, dtype="boolean"),
    })
    dtypes = {"text": "string", "number": "Int64", "flag": "boolean"}
    assert table_from_csv(table_to_csv(frame), dtypes).equals(frame)
    empty = frame.iloc[:0].reset_index(drop=True)
    assert table_from_csv(table_to_csv(empty), dtypes).equals(empty)


@pytest.mark.slow  # two full checks at once, in subprocesses
def test_two_kernels_starting_at_once_on_a_stale_folder_agree(data_copy):
    """Each checks and writes; every file is renamed into place whole, so that whatever mix of
    the two a third load meets, it is a processed/ that matches its manifest."""
    prepare(data_copy.datapackage)
    data_copy.set_cell("facts/figures.csv", 11, "translation", "EDITED")
    code = ("import sys\nfrom tashkent_report.analysis.dataset import load_facts\n"
            "print(load_facts(sys.argv[1]).figure('delegations')['translation'])")
    env = kernel_environment()
    kernels = [subprocess.Popen([sys.executable, "-c", code, str(data_copy.datapackage)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for kernel in kernels:
        out, err = kernel.communicate(timeout=300)
        assert (kernel.returncode, out.strip()) == (0, "EDITED"), err[-2000:]
    facts = read_processed(data_copy.datapackage)
    assert facts is not None and delegations(facts) == "EDITED"
    assert sorted(p.name for p in folder(data_copy).iterdir() if p.name.startswith(".")) == []


def test_a_bad_input_leaves_processed_as_it_was(data_copy):
    prepare(data_copy.datapackage)
    before = {p.name: p.read_bytes() for p in folder(data_copy).iterdir()}
    data_copy.set_cell("facts/statements.csv", 2, "attribution_quote", "")
    with pytest.raises(DataError):
        load_facts(data_copy.datapackage)
    assert {p.name: p.read_bytes() for p in folder(data_copy).iterdir()} == before


def test_processed_moves_with_its_data(data_copy, tmp_path_factory):
    """Hashed by path below data/, never by where data/ sits: a copied or renamed project keeps
    its checked tables, and their paths are the new place's."""
    prepare(data_copy.datapackage)
    moved = tmp_path_factory.mktemp("moved") / "elsewhere, é"
    shutil.copytree(data_copy.root.parent, moved)
    facts = read_processed(moved / "data" / "datapackage.json")
    assert facts is not None
    assert facts.paths["figures"] == moved / "data" / "facts" / "figures.csv"
    assert facts.paths["article"].parent == moved / "data" / "raw"


def test_a_table_that_would_not_read_back_as_checked_is_not_written(data_copy, monkeypatch):
    """The guard behind the round trip: were a cell ever lost in CSV, kernels would read other
    facts than those checked; then nothing is written, and every load checks in full."""
    lossy = dataset.table_to_csv
    monkeypatch.setattr(dataset, "table_to_csv", lambda frame: lossy(frame.iloc[:-1]))
    facts, checked = prepare(data_copy.datapackage)
    assert checked and len(facts.figures) == 10
    assert not folder(data_copy).exists()


def test_a_table_gone_from_the_data_package_goes_from_processed(data_copy):
    prepare(data_copy.datapackage)
    (folder(data_copy) / "retired.csv").write_text('"id"\n"x"\n')
    (folder(data_copy) / "notes.txt").write_text("someone's notes")
    data_copy.set_cell("facts/figures.csv", 11, "translation", "EDITED")
    prepare(data_copy.datapackage)
    assert not (folder(data_copy) / "retired.csv").exists()
    assert (folder(data_copy) / "notes.txt").exists()  # only tables are the step's to remove
