"""Imports run one way: orderbot → bot → commands → sync → storage (bot reaches storage only
through commands and sync); sandbox stands apart. And the test tree keeps its own rules:
packages throughout, helpers imported by package path, no test module imported, one reason to
skip."""

import re

import pytest

from tests.utils.source import ROOT, imported_roots, imports

FORBIDDEN = {
    "storage": {
        "sync",
        "commands",
        "bot",
        "orderbot",
        "sandbox",
        "httpx",
        "slack_bolt",
        "slack_sdk",
    },
    "sync": {"commands", "bot", "orderbot", "sandbox", "slack_bolt", "slack_sdk"},
    "commands": {"bot", "orderbot", "sandbox", "slack_bolt", "slack_sdk", "rich"},
    "bot": {"storage", "orderbot", "sandbox"},
    "sandbox": {"storage", "sync", "commands", "bot", "orderbot"},
}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_package_imports_nothing_above_it(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_roots(path) & FORBIDDEN[package])
        for path in files
        if imported_roots(path) & FORBIDDEN[package]
    }
    assert wrong == {}


TESTS = ROOT / "tests"
TEST_FILES = sorted(TESTS.rglob("*.py"))


def test_every_test_folder_is_a_package():
    folders = {path.parent for path in TEST_FILES}
    assert (
        sorted(str(f.relative_to(ROOT)) for f in folders if not (f / "__init__.py").exists()) == []
    )


def test_helpers_are_imported_by_package_path_and_test_modules_never():
    bare = {path.stem for path in TEST_FILES} - {"__init__"}  # e.g. `import support`
    wrong = {}
    for path in TEST_FILES:
        names = imports(path)
        found = sorted(name for name in names if name.split(".")[0] in bare)
        found += sorted(
            name
            for name in names
            if name.startswith("tests.") and re.match(r"(test_|conftest$)", name.split(".")[-1])
        )
        if found:
            wrong[str(path.relative_to(ROOT))] = found
    assert TEST_FILES
    assert wrong == {}


def test_only_a_missing_postgresql_skips_a_test():
    """A skip anywhere else hides coverage: tests/utils/database.py's `needs_postgres` only."""
    allowed = TESTS / "utils" / "database.py"
    skipping = re.compile(r"pytest\.(skip\(|importorskip|mark\.skip)|\.skipif\(")
    wrong = [
        str(path.relative_to(ROOT))
        for path in TEST_FILES
        if path != allowed and skipping.search(path.read_text(encoding="utf-8"))
    ]
    assert wrong == []
