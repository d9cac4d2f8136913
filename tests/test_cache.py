"""The checked-facts cache: used when nothing changed, never serving facts that the files no longer hold."""

import os
import shutil
from pathlib import Path

import pytest

from tashkent_report.analysis import dataset, numerals
from tashkent_report.analysis.dataset import load_facts

from .test_dataset import expect


@pytest.fixture
def full_loads(monkeypatch):
    """Counts the loads that validate the tables (a cache hit validates nothing); the cache on."""
    monkeypatch.delenv(dataset._NO_CACHE, raising=False)
    calls = []
    validate = dataset._validate_tables

    def counted(*args, **kwargs):
        calls.append(1)
        return validate(*args, **kwargs)

    monkeypatch.setattr(dataset, "_validate_tables", counted)
    return calls


def entries(data_copy) -> list[Path]:
    return sorted((data_copy.root.parent / ".cache").glob("facts-*.pickle"))


def translations(facts) -> list[str]:
    return list(facts.figures["translation"])


def edited_figures(data_copy) -> bytes:
    """figures.csv with one translation changed: still valid, so a load succeeds either way."""
    path = data_copy.path("facts/figures.csv")
    before = path.read_bytes()
    data_copy.set_cell("facts/figures.csv", 4, "translation", "EDITED")
    edited = path.read_bytes()
    path.write_bytes(before)
    return edited


def test_unchanged_data_is_served_from_the_cache_and_a_change_is_checked_in_full(data_copy, full_loads):
    first = load_facts(data_copy.datapackage)
    assert len(full_loads) == 1 and len(entries(data_copy)) == 1
    again = load_facts(data_copy.datapackage)
    assert len(full_loads) == 1, "the second load was checked in full: the cache was not used"
    assert again.figures.equals(first.figures) and again.text == first.text
    data_copy.set_cell("facts/figures.csv", 6, "value", "neuf")
    expect(data_copy, "facts/figures.csv", 6, "value", "type error")
    assert len(full_loads) == 2


def test_a_file_saved_while_the_tables_are_read_is_never_served_stale(data_copy, monkeypatch, full_loads):
    """The file changes after the key is made and before the tables are parsed."""
    path = data_copy.path("facts/figures.csv")
    original, edited = path.read_bytes(), edited_figures(data_copy)
    validate = dataset._validate_tables

    def saved_meanwhile(*args, **kwargs):
        if not full_loads:  # during the first load only
            path.write_bytes(edited)
        return validate(*args, **kwargs)

    monkeypatch.setattr(dataset, "_validate_tables", saved_meanwhile)
    during = load_facts(data_copy.datapackage)
    assert "EDITED" in translations(during)  # parsed after the save
    assert entries(data_copy) == [], "facts parsed from other bytes than the key's were cached"

    path.write_bytes(original)  # the save undone: the bytes the first key was made from
    assert "EDITED" not in translations(load_facts(data_copy.datapackage))
    path.write_bytes(edited)
    assert "EDITED" in translations(load_facts(data_copy.datapackage))
    assert "EDITED" in translations(load_facts(data_copy.datapackage))  # now from the cache
    assert len(full_loads) == 3


def test_a_file_saved_after_the_tables_were_read_is_not_cached(data_copy, monkeypatch, full_loads):
    """The file changes late in the load, during the numeral audit: the facts are of the old bytes."""
    path = data_copy.path("facts/figures.csv")
    edited = edited_figures(data_copy)
    audit = numerals.check_numeral_audit

    def saved_meanwhile(facts):
        path.write_bytes(edited)
        return audit(facts)

    monkeypatch.setattr(numerals, "check_numeral_audit", saved_meanwhile)
    during = load_facts(data_copy.datapackage)
    assert "EDITED" not in translations(during)
    assert entries(data_copy) == []
    monkeypatch.setattr(numerals, "check_numeral_audit", audit)
    assert "EDITED" in translations(load_facts(data_copy.datapackage))
    assert len(full_loads) == 2


def test_the_same_bytes_saved_again_during_a_load_are_not_cached(data_copy, monkeypatch, full_loads):
    """A save that leaves the bytes as they were still changes the file's time: no entry."""
    path = data_copy.path("facts/figures.csv")
    validate = dataset._validate_tables

    def saved_meanwhile(*args, **kwargs):
        path.write_bytes(path.read_bytes())
        return validate(*args, **kwargs)

    monkeypatch.setattr(dataset, "_validate_tables", saved_meanwhile)
    load_facts(data_copy.datapackage)
    assert entries(data_copy) == []


def test_callers_with_different_keys_do_not_evict_each_other(data_copy, full_loads):
    load_facts(data_copy.datapackage)
    load_facts(data_copy.datapackage, exclude=("annotations",))  # as `make annotations` loads
    load_facts(data_copy.datapackage)
    load_facts(data_copy.datapackage, exclude=("annotations",))
    assert len(full_loads) == 2
    assert len(entries(data_copy)) == 2


def test_the_least_recently_used_entry_is_removed_first(data_copy, monkeypatch, full_loads):
    monkeypatch.setattr(dataset, "_CACHE_ENTRIES", 2)
    first = {}
    second = {"exclude": ("annotations",)}
    third = {"audit": False}
    for kwargs in (first, second, first, third):  # first used again, so second is the oldest
        load_facts(data_copy.datapackage, **kwargs)
    assert len(full_loads) == 3 and len(entries(data_copy)) == 2
    load_facts(data_copy.datapackage, **first)
    load_facts(data_copy.datapackage, **third)
    assert len(full_loads) == 3
    load_facts(data_copy.datapackage, **second)
    assert len(full_loads) == 4


def test_checking_code_edited_after_import_turns_the_cache_off(data_copy, monkeypatch, tmp_path, full_loads):
    """A kernel keeps the code it imported: facts it checks must not be filed under the new code."""
    package = tmp_path / "package"
    shutil.copytree(dataset._PACKAGE_DIR, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(dataset, "_PACKAGE_DIR", package)
    load_facts(data_copy.datapackage)
    load_facts(data_copy.datapackage)
    assert len(full_loads) == 1  # the same code: cached
    with open(package / "numerals.py", "a", encoding="utf-8") as handle:
        handle.write("\n# edited while a kernel runs\n")
    load_facts(data_copy.datapackage)
    load_facts(data_copy.datapackage)
    assert len(full_loads) == 3


def test_another_version_of_a_parsing_library_is_a_miss(data_copy, monkeypatch, full_loads):
    load_facts(data_copy.datapackage)
    real = dataset.version
    monkeypatch.setattr(dataset, "version", lambda name: "0+other" if name == "frictionless" else real(name))
    load_facts(data_copy.datapackage)
    assert len(full_loads) == 2


def test_the_cache_can_be_turned_off(data_copy, monkeypatch, full_loads):
    monkeypatch.setenv(dataset._NO_CACHE, "1")
    load_facts(data_copy.datapackage)
    load_facts(data_copy.datapackage)
    assert len(full_loads) == 2 and entries(data_copy) == []


def test_pruning_goes_by_last_use_not_by_name(data_copy, monkeypatch, full_loads):
    monkeypatch.setattr(dataset, "_CACHE_ENTRIES", 2)
    folder = data_copy.root.parent / ".cache"
    folder.mkdir()
    recent, old = folder / "facts-0000.pickle", folder / "facts-ffff.pickle"
    for path, seconds in ((recent, 2_000_000_000), (old, 1_000_000_000)):
        path.write_bytes(b"an entry of another caller")
        os.utime(path, (seconds, seconds))
    load_facts(data_copy.datapackage)  # a third entry: the least recently used goes
    assert recent.exists() and not old.exists()
    assert len(entries(data_copy)) == 2


def test_two_copies_of_the_same_data_keep_their_own_paths(data_copy, full_loads):
    twin = data_copy.root.parent / "twin"
    shutil.copytree(data_copy.root, twin)
    first = load_facts(data_copy.datapackage)
    second = load_facts(twin / "datapackage.json")  # same bytes, another place: not the first's facts
    assert first.paths["figures"].parent.parent == data_copy.root
    assert second.paths["figures"].parent.parent == twin
    assert len(full_loads) == 2
