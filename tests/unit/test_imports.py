"""Which modules may import what: Whoosh stays on the write side and in the few read-side modules
that turn its readers into arrays and query trees; `index/` never imports `search/`."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The read-side modules that import Whoosh today. query_tree, suggest and snippets work on the
# readers and analyzers handed to them without importing it; the service, the web layer, the
# server, the page and the switcher never see a Whoosh object.
WHOOSH_ON_THE_READ_SIDE = {"search/engine.py", "search/columns.py", "search/query_syntax.py"}


def imported_packages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_only_the_listed_read_side_modules_import_whoosh():
    importers = {p.relative_to(ROOT).as_posix() for p in [*modules("search"), ROOT / "manage.py"]
                 if "whoosh" in imported_packages(p)}
    assert importers <= WHOOSH_ON_THE_READ_SIDE


def test_the_serving_modules_never_import_whoosh():
    for name in ("service", "web", "server", "page", "switcher"):
        path = ROOT / "search" / f"{name}.py"
        assert "whoosh" not in imported_packages(path), path


def test_the_index_package_never_imports_search():
    assert [p.name for p in modules("index") if "search" in imported_packages(p)] == []
