"""The house's rooms: what each services package may import, and the size rules a reader
relies on (a file holds one idea, a function fits on a screen)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

# What each package of services/ may import of the others (its __init__ docstring says so too).
MAY_IMPORT = {
    "core": set(),
    "sensors": {"core", "tracing"},
    "live": {"core", "sensors", "sources", "tracing"},
    "sources": {"core", "sensors"},
    "tracing": {"core"},
    "lab": {"core", "tracing", "live"},
    "demos": {"core", "tracing"},
    "ops": {"core", "sensors", "sources", "live", "tracing"},
    "fleet": {"core", "sensors", "live"},
}
SOURCES = ("app.py", "shell.py", "ids.py", "services", "callbacks", "views", "pages", "looplens")
LONG_FILES = {"services/core/i18n.py"}  # the message table: one entry per message
MAX_FILE_LINES, MAX_FUNCTION_LINES = 400, 60


def python_files() -> list[Path]:
    files: list[Path] = []
    for name in SOURCES:
        path = ROOT / name
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return files


def imported(path: Path) -> set[str]:
    """Every module a file imports, at any depth (a function-level import counts too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_a_services_package_imports_only_what_it_may_and_never_dash(package):
    for path in sorted((ROOT / "services" / package).rglob("*.py")):
        for module in imported(path):
            top, _, rest = module.partition(".")
            assert top != "dash", f"{path.relative_to(ROOT)} imports {module}: services know nothing of Dash"
            assert top not in {"callbacks", "views", "pages", "app"}, f"{path.relative_to(ROOT)} imports {module}"
            if top == "services" and rest:
                other = rest.split(".")[0]
                assert other == package or other in MAY_IMPORT[package], (
                    f"{path.relative_to(ROOT)} imports {module}: {package} may import {sorted(MAY_IMPORT[package])}"
                )


def test_views_read_no_store_and_import_no_collector():
    for path in sorted((ROOT / "views").glob("*.py")):
        for module in imported(path):
            assert module not in {"sqlite3", "services.live.store", "services.live.meta", "services.live.collector"}, (
                f"{path.relative_to(ROOT)} imports {module}"
            )


def test_the_i18n_catalogue_imports_nothing_heavy():
    assert imported(ROOT / "services" / "core" / "i18n.py") <= {"__future__", "typing"}


def test_no_module_is_named_like_a_standard_library_module():
    clashes = [p.relative_to(ROOT) for p in python_files() if p.stem in sys.stdlib_module_names]
    clashes += [p.relative_to(ROOT) for p in (ROOT / "services").iterdir() if p.name in sys.stdlib_module_names]
    assert clashes == []


def test_files_and_functions_stay_small():
    too_long = []
    for path in python_files():
        source = path.read_text()
        name = str(path.relative_to(ROOT))
        if len(source.splitlines()) > MAX_FILE_LINES and name not in LONG_FILES:
            too_long.append(f"{name}: {len(source.splitlines())} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{name}:{node.lineno} {node.name}: {length} lines")
    assert too_long == []


def test_every_services_package_says_what_it_owns_and_may_import():
    for package in MAY_IMPORT:
        doc = ast.get_docstring(ast.parse((ROOT / "services" / package / "__init__.py").read_text()))
        assert doc and "Imports:" in doc, package
