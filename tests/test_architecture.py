"""Imports run one way: orderbot → bot → commands → sync → storage (bot reaches storage only
through commands and sync); sandbox stands apart."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

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


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


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
