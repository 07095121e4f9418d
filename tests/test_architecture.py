"""The import rules of ``docs/ARCHITECTURE.md``, kept: every ``lingualift`` import (module level and inside
functions alike) goes from a package to one it may use, and no two modules import each other, directly or
through others."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "lingualift"
ARCHITECTURE = Path(__file__).resolve().parents[1] / "docs" / "ARCHITECTURE.md"


def module_names() -> dict[str, Path]:
    """``lingualift.x.y`` -> file, for every module of the package."""
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def import_graph() -> dict[str, set[str]]:
    """Module -> the lingualift modules it imports (``from pkg import name`` counts as ``pkg.name`` when that
    is a module, else as ``pkg``)."""
    modules = module_names()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [
                    f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in modules else node.module
                    for alias in node.names
                ]
            else:
                continue
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def area(module: str) -> str:
    """The package-level area a module belongs to: ``lingualift.data.stage1`` -> ``data``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "lingualift"


def allowed_imports() -> dict[str, set[str]]:
    """The rules table of docs/ARCHITECTURE.md: ``| area | may import |`` rows."""
    rules = {}
    for line in ARCHITECTURE.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"\| `(\w+)` \| (.*) \|", line.strip())
        if match:
            rules[match[1]] = set(re.findall(r"`(\w+)`", match[2]))
    return rules


def test_every_area_is_in_the_rules_table():
    rules = allowed_imports()
    areas = {area(module) for module in module_names()}
    assert areas - set(rules) == set(), "add a row for each new area to docs/ARCHITECTURE.md"
    assert set(rules) - areas == set(), "the rules table names areas that no longer exist"


def test_imports_follow_the_rules():
    rules = allowed_imports()
    broken = sorted(
        f"{module} -> {target}"
        for module, targets in import_graph().items()
        for target in targets
        if area(target) != area(module) and area(target) not in rules[area(module)]
    )
    assert broken == [], "imports against docs/ARCHITECTURE.md"


def test_model_and_processor_import_neither_each_other_nor_persistence():
    """docs/ARCHITECTURE.md, modeling: the model never builds or holds a processor; neither saves itself."""
    graph = import_graph()
    model, processor = "lingualift.modeling.modeling", "lingualift.modeling.processing"
    assert processor not in graph[model] and model not in graph[processor]
    for module in (model, processor):
        assert not any(area(target) == "persistence" for target in graph[module]), module


def test_no_import_cycles():
    graph = import_graph()
    cycles = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                cycles.append(" -> ".join(path[path.index(target) :] + [target]))
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert cycles == []


def test_the_checker_sees_function_level_imports_and_cycles(tmp_path, monkeypatch):
    """The checks can fail: a function-level import against the rules and a two-module cycle are found."""
    package = tmp_path / "lingualift"
    (package / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "errors.py").write_text("")
    (package / "data" / "__init__.py").write_text("")
    (package / "data" / "a.py").write_text("def f():\n    from lingualift.data import b\n")
    (package / "data" / "b.py").write_text("from lingualift.data.a import f\nimport lingualift.errors\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", package)
    graph = import_graph()
    assert graph["lingualift.data.a"] == {"lingualift.data.b"}
    assert graph["lingualift.data.b"] == {"lingualift.data.a", "lingualift.errors"}
    try:
        test_no_import_cycles()
    except AssertionError as failure:
        assert "lingualift.data.a -> lingualift.data.b -> lingualift.data.a" in str(failure)
    else:
        raise AssertionError("the cycle was not found")
