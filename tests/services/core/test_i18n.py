"""The message catalogue matches the code: every key used exists in both languages, none is unused."""

from __future__ import annotations

import ast
import re
import string
from functools import cache
from pathlib import Path

from services.core.i18n import LANGS, TEXT
from services.demos.programs import DEMOS, RUNNERS
from tests.helpers import ROOT

CATALOGUE = ROOT / "services" / "core" / "i18n.py"
PROGRAMS = ROOT / "services" / "demos" / "programs.py"
PREFIXES = {key.split(".")[0] for key in TEXT}
KEY = re.compile(r"[a-z0-9_]+(?:\.[a-z0-9_]+)+")
PLACEHOLDER = "([a-z0-9_]+)"
# Dotted lowercase literals with a catalogue prefix that are file names, not keys ("demos.py", "lab.lock").
FILE_SUFFIXES = {"py", "lock", "sqlite3", "json", "csv", "txt", "log", "html", "css", "js", "toml"}


def source_files() -> list[Path]:
    files = [p for d in ("services", "callbacks", "views", "pages") for p in sorted((ROOT / d).rglob("*.py"))]
    return [p for p in files if p != CATALOGUE] + [ROOT / "shell.py", ROOT / "app.py"]


@cache
def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"


def fstring_pattern(node: ast.JoinedStr) -> str:
    """``f"trace.loop.{view.loop}"`` → ``trace\\.loop\\.([a-z0-9_]+)``."""
    return "".join(re.escape(part.value) if isinstance(part, ast.Constant) else PLACEHOLDER for part in node.values)


def looks_like_key(text: str) -> bool:
    return bool(KEY.fullmatch(text)) and text.split(".")[0] in PREFIXES and text.rsplit(".", 1)[1] not in FILE_SUFFIXES


def fstring_prefix(node: ast.JoinedStr) -> str:
    first = node.values[0] if node.values else None
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else ""


def is_broad(pattern: str) -> bool:
    """A pattern with no literal text beyond its prefix (``live.{key}``, ``demo.{name}.{step}``)
    would count a whole family of keys as used, proving nothing on its own."""
    literal = pattern.replace(PLACEHOLDER, "").replace("\\.", "")
    return literal in PREFIXES


def constants_of(path: Path) -> set[str]:
    return {n.value for n in ast.walk(parsed(path)) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def used_by_pattern(key: str, pattern: str, paths: set[Path]) -> bool:
    """``key`` matches ``pattern``; for a broad one, each part standing for a placeholder must
    also be a string literal of a file using the pattern, e.g. ``f"live.{key}" for key in
    ("temp_low", …)``. The demos' ``f"demo.{self.name}.{key}"`` is left to the demo rules below,
    which look at each demo's own steps."""
    match = re.fullmatch(pattern, key)
    if not match or not is_broad(pattern):
        return bool(match)
    if key.startswith("demo."):
        return False
    return any(set(match.groups()) <= constants_of(path) for path in paths)


@cache
def usages() -> tuple[dict[str, list[str]], dict[str, set[Path]]]:
    """(literal key → where, f-string pattern → the files using it) over the app's code."""
    literals: dict[str, list[str]] = {}
    patterns: dict[str, set[Path]] = {}
    for path in source_files():
        for node in ast.walk(parsed(path)):
            if isinstance(node, ast.JoinedStr):
                prefix = fstring_prefix(node)
                if "." in prefix and prefix.split(".")[0] in PREFIXES:
                    patterns.setdefault(fstring_pattern(node), set()).add(path)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and looks_like_key(node.value):
                literals.setdefault(node.value, []).append(where(path, node))
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("t", "T"):
                key = node.args[0] if node.args else None  # t("new.prefix.key", lang): a key whatever its prefix
                if isinstance(key, ast.Constant) and isinstance(key.value, str) and not looks_like_key(key.value):
                    literals.setdefault(key.value, []).append(where(path, key))
    return literals, patterns


# -- the demos' step keys: demo.<name>.<step>, made by DemoLog.say(step) ---------------------


def module_of(dotted: str) -> Path | None:
    path = ROOT.joinpath(*dotted.split(".")).with_suffix(".py")
    return path if path.is_file() else None


def demo_region(name: str) -> list[ast.AST]:
    """The code that runs demo ``name``: its runner, the module-level functions it refers to
    (transitively), and the modules it starts by name (``python -m services.demos.gevent_demo``)."""
    tree = parsed(PROGRAMS)
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    region: list[ast.AST] = []
    todo, seen = [RUNNERS[name].__name__], set()
    while todo:
        current = todo.pop()
        if current in seen or current not in functions:
            continue
        seen.add(current)
        region.append(functions[current])
        for node in ast.walk(functions[current]):
            if isinstance(node, ast.Name) and node.id in functions:
                todo.append(node.id)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("services."):
                module = module_of(node.value)
                if module:
                    region.append(parsed(module))
    return region


def demo_steps(name: str) -> tuple[set[str], set[str], set[str]]:
    """(steps said as literals, f-string step patterns, every identifier-like literal of the
    region when some ``say`` takes a computed step, e.g. ``log.say(what)`` off a queue)."""
    said: set[str] = set()
    patterns: set[str] = set()
    computed = False
    constants: set[str] = set()
    for root in demo_region(name):
        for node in ast.walk(root):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.fullmatch(PLACEHOLDER, node.value):
                constants.add(node.value)
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "say"):
                continue
            step = node.args[0] if node.args else None
            if isinstance(step, ast.Constant) and isinstance(step.value, str):
                said.add(step.value)
            elif isinstance(step, ast.JoinedStr):
                patterns.add(fstring_pattern(step))
            else:
                computed = True
    return said, patterns, constants if computed else set()


# -- the tests ------------------------------------------------------------------------------


def test_every_catalogue_entry_has_english_and_chinese_text():
    incomplete = {
        key: sorted(set(LANGS) - {lang for lang, text in entry.items() if text.strip()}) for key, entry in TEXT.items()
    }
    assert {key: langs for key, langs in incomplete.items() if langs} == {}
    assert all(set(entry) == set(LANGS) for entry in TEXT.values())


def test_english_and_chinese_texts_take_the_same_placeholders():
    def names(text: str) -> set[str]:
        return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}

    mismatched = {
        key: (sorted(names(entry["en"])), sorted(names(entry["zh"])))
        for key, entry in TEXT.items()
        if names(entry["en"]) != names(entry["zh"])
    }
    assert mismatched == {}


def test_every_literal_key_in_the_code_is_in_the_catalogue():
    literals, _ = usages()
    assert len(literals) > 100  # the scan found the app's keys (it is not looking at the wrong folder)
    missing = {key: places for key, places in literals.items() if key not in TEXT}
    assert not missing, f"keys used but not in the catalogue: {missing}"


def test_every_key_built_with_an_f_string_matches_catalogue_keys():
    _, patterns = usages()
    assert any(p.startswith("trace\\.loop\\.") for p in patterns)  # e.g. t(f"trace.loop.{view.loop}", lang)
    dangling = {
        p: sorted(str(f.relative_to(ROOT)) for f in files)
        for p, files in patterns.items()
        if not any(re.fullmatch(p, key) for key in TEXT)
    }
    assert dangling == {}


def test_every_demo_step_said_is_in_the_catalogue():
    missing = {}
    for name in DEMOS:
        said, patterns, computed = demo_steps(name)
        assert said or patterns or computed, name  # the scan found this demo's log lines
        missing.update({f"demo.{name}.{step}": name for step in said if f"demo.{name}.{step}" not in TEXT})
        missing.update(
            {
                f"demo.{name}.{p}": name
                for p in patterns
                if not any(re.fullmatch(rf"demo\.{name}\.{p}", key) for key in TEXT)
            }
        )
    assert not missing, f"demo steps said but not in the catalogue: {missing}"
    strays = {key for key in TEXT if key.startswith("demo.") and key.split(".")[1] not in DEMOS}
    assert strays == set()  # a demo's text with no such demo


def test_every_catalogue_key_is_used_somewhere():
    literals, patterns = usages()
    used = set(literals) | {key for key in TEXT if any(used_by_pattern(key, p, files) for p, files in patterns.items())}
    for name in DEMOS:
        said, step_patterns, computed = demo_steps(name)
        for key in TEXT:
            prefix = f"demo.{name}."
            if key.startswith(prefix):
                step = key[len(prefix) :]
                if step in said | computed or any(re.fullmatch(p, step) for p in step_patterns):
                    used.add(key)
    unused = sorted(set(TEXT) - used)
    assert not unused, f"catalogue keys no code uses: {unused}"
