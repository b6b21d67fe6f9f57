"""Reading the repository's own source, for the architecture checks."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository


def imports(path: Path) -> set[str]:
    """The absolute module names a file imports (`from a.b import c` gives "a.b")."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def imported_roots(path: Path) -> set[str]:
    """The top-level packages and modules a file imports."""
    return {name.split(".")[0] for name in imports(path)}
