"""Which rooms may import what, and where third parties' private names may be used.

The arrows point one way: `cli` -> `search` -> `index`; inside `search/`, `web` -> `service` ->
`engine`. Whoosh is imported only by `index/` and the engine; a private name of a third party
(Whoosh's `_read_ids`, waitress's `_sock`) only in its one adapter module."""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("index", "search", "cli")
# The one module per private dependency (its contract tests compare it with the public API).
ADAPTERS = {"index/store/whoosh_private.py", "search/web/waitress_private.py"}
# The read-side modules that import Whoosh: the engine's run and query syntax. The tree,
# suggestions and snippets work on readers and analyzers handed to them.
WHOOSH_ON_THE_READ_SIDE = {"search/engine/run.py", "search/engine/syntax.py"}
# Names that start with an underscore and are public all the same (os._exit, namedtuple's
# methods, and Whoosh's `_stored_<field>` keyword: index one value, store another, as its
# "How to index documents" page shows).
DOCUMENTED = {"_exit", "_asdict", "_replace", "_fields", "_make", "_stored_"}


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def imported_packages(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imported_modules(path)}


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def product_modules() -> list[Path]:
    return [p for folder in PRODUCT for p in modules(folder)] + [ROOT / "manage.py"]


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_only_the_listed_read_side_modules_import_whoosh():
    importers = {relative(p) for p in [*modules("search"), *modules("cli"), ROOT / "manage.py"]
                 if "whoosh" in imported_packages(p)}
    assert importers <= WHOOSH_ON_THE_READ_SIDE


def test_the_service_and_the_web_never_import_whoosh():
    for path in [*modules("search/service"), *modules("search/web")]:
        assert "whoosh" not in imported_packages(path), path


def test_the_index_package_never_imports_search_or_cli():
    assert [relative(p) for p in modules("index") if imported_packages(p) & {"search", "cli"}] == []


def test_search_never_imports_cli():
    assert [relative(p) for p in modules("search") if "cli" in imported_packages(p)] == []


def test_the_rooms_of_search_import_only_downwards():
    below = {"web": set(), "service": {"search.web"}, "engine": {"search.web", "search.service"}}
    for room, forbidden in below.items():
        for path in modules(f"search/{room}"):
            upward = {m for m in imported_modules(path) if any(m.startswith(f) for f in forbidden)}
            assert not upward, (relative(path), upward)


def _third_party_classes(tree: ast.Module) -> dict[str, type]:
    """The classes a module imports by name from outside the project (`from m import Name`)."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] not in PRODUCT:
            try:
                module = importlib.import_module(node.module)
            except ImportError:
                continue
            for alias in node.names:
                value = getattr(module, alias.name, None)
                if isinstance(value, type):
                    found[alias.asname or alias.name] = value
    return found


def _overridden_private_methods(tree: ast.Module) -> set[str]:
    """`_name` methods that override a private method of a third party's class: overriding leans
    on that party's private protocol as much as calling it does."""
    foreign = _third_party_classes(tree)
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        bases = [foreign[b.id] for b in node.bases if isinstance(b, ast.Name) and b.id in foreign]
        found |= {f.name for f in node.body if isinstance(f, ast.FunctionDef)
                  and f.name.startswith("_") and not f.name.startswith("__")
                  and any(hasattr(base, f.name) for base in bases)}
    return found


def _own_private_names() -> set[str]:
    """Every `_name` the project defines: functions, classes, attributes it assigns, arguments
    (not the private methods of a third party that it overrides)."""
    names = set()
    overridden = set()
    for path in product_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        overridden |= _overridden_private_methods(tree)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, ast.alias):
                names.add(node.asname or node.name.split(".")[-1])
    return {n for n in names - overridden if n.startswith("_") and not n.startswith("__")}


def _third_party_private_uses(path: Path, own: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    used = _overridden_private_methods(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            name = node.attr
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] not in PRODUCT:
            used |= {a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")}
            continue
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier():
            name = node.value  # getattr(obj, "_name")
        else:
            continue
        if name.startswith("_") and not name.startswith("__") and name not in own | DOCUMENTED:
            used.add(name)
    return used


def test_private_names_of_third_parties_are_used_only_in_their_adapter():
    own = _own_private_names()
    outside = {relative(p): found for p in product_modules() if relative(p) not in ADAPTERS
               and (found := _third_party_private_uses(p, own))}
    assert outside == {}


def test_the_guard_sees_a_private_name_in_the_whoosh_adapter():
    # The guard above would pass vacuously if it could not see the names it looks for.
    used = _third_party_private_uses(ROOT / "index/store/whoosh_private.py", _own_private_names())
    assert {"_read_ids", "_goto", "_enqueue"} <= used
