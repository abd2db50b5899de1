"""The house: imports point only down the pipeline stages.

core <- front <- engines <- run <- answers <- check, present <- grade <- cli

Every import counts, the ones inside functions too; there is no cycle between modules
and no dispatch by strings (importlib).  A module stays readable (about 700 lines).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "derive"
STAGES = {"core": 0, "front": 1, "engines": 2, "run": 3, "answers": 4, "check": 5,
          "present": 5, "grade": 6, "cli": 7, "__main__": 8, "__init__": 8}
MAX_LINES = 720


def module_of(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 2:
        parts = parts[:-1]
    return ".".join(parts)


def stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports(path: Path) -> list:
    """(line, imported module) for every import of derive, at any depth."""
    tree = ast.parse(path.read_text())
    me = module_of(path)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = me.split(".")
                if path.name != "__init__.py":
                    base = base[:-1]
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.startswith("derive"):
                for alias in node.names:      # `from derive.front import notation`
                    sub = f"{mod}.{alias.name}"
                    target = sub if (PKG.parent / (sub.replace(".", "/") + ".py")).exists() \
                        or (PKG.parent / sub.replace(".", "/")).is_dir() else mod
                    out.append((node.lineno, target))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("derive"):
                    out.append((node.lineno, alias.name))
    return out


MODULES = sorted(p for p in PKG.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[module_of(p) for p in MODULES])
def test_imports_point_down_the_stages(path):
    me = stage(module_of(path))
    for line, mod in imports(path):
        them = stage(mod)
        if them == me:
            continue
        assert STAGES[them] < STAGES[me], \
            f"{module_of(path)}:{line} imports {mod} ({them} is not below {me})"


def test_there_is_no_import_cycle():
    graph = {module_of(p): {m for _, m in imports(p) if m != module_of(p)} for p in MODULES}
    state: dict = {}

    def visit(m, trail):
        if state.get(m) == "done":
            return
        if state.get(m) == "open":
            cycle = trail[trail.index(m):] + [m]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        state[m] = "open"
        for n in sorted(graph.get(m, ())):
            if n in graph:
                visit(n, trail + [m])
        state[m] = "done"
    for m in sorted(graph):
        visit(m, [])


def test_no_dispatch_by_strings():
    for p in MODULES:
        assert "importlib" not in p.read_text(), p


@pytest.mark.parametrize("path", MODULES, ids=[module_of(p) for p in MODULES])
def test_a_module_stays_readable(path):
    assert len(path.read_text().split("\n")) <= MAX_LINES
