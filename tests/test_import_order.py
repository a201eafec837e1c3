"""The package order of docs/architecture (ARCHITECTURE.md): every import points down, none in a circle.

cli -> {train, infer} -> tasks -> {models, dataset} -> {features, lm} -> {data, text, metrics, parallel}
-> utils. A package may import any package in a lower layer, never one in its own layer (train and
infer never import each other) or above. Imports inside functions count as well.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "jsertk"
LAYERS = [("cli",), ("train", "infer"), ("tasks",), ("models", "dataset"), ("features", "lm"),
          ("data", "text", "metrics", "parallel"), ("utils",)]
LEVEL = {pkg: k for k, layer in enumerate(LAYERS) for pkg in layer}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every jsertk import in the file, wherever it stands."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            # `from jsertk.x import y` may name a module y: count it as an import of x.y when it is one
            for alias in node.names:
                sub = f"{name}.{alias.name}"
                target = ROOT.parent / Path(*sub.split("."))
                out.append((node.lineno, sub if target.with_suffix(".py").is_file() or target.is_dir() else name))
    return [(line, n) for line, n in out if n == "jsertk" or n.startswith("jsertk.")]


def _package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LEVEL else None


MODULES = sorted(p for p in ROOT.rglob("*.py"))


def test_every_package_has_a_layer():
    packages = {p.relative_to(ROOT).parts[0] for p in MODULES if len(p.relative_to(ROOT).parts) > 1}
    assert packages <= set(LEVEL), f"packages without a layer: {packages - set(LEVEL)}"
    loose = [p.name for p in MODULES if p.parent == ROOT and p.name != "__init__.py"]
    assert not loose, f"modules outside any package: {loose}"


def test_imports_point_down_the_layers():
    wrong = []
    for path in MODULES:
        src = _package(_module_name(path))
        if src is None:
            continue
        for line, target in _imports(path):
            dst = _package(target)
            if dst is None or dst == src:
                continue
            if LEVEL[dst] <= LEVEL[src]:
                where = f"{path.relative_to(ROOT.parent)}:{line}"
                wrong.append(f"{where}: {src} imports {target} ({dst} is not below {src})")
    assert not wrong, "imports against the package order:\n" + "\n".join(wrong)


def test_no_import_circles_between_modules():
    graph: dict[str, set[str]] = {}
    for path in MODULES:
        mod = _module_name(path)
        graph[mod] = {t for _, t in _imports(path) if t != mod and t != mod.rpartition(".")[0]}
    known = set(graph)
    for mod in graph:
        graph[mod] = {t for t in graph[mod] if t in known and not (t == "jsertk" or mod.startswith(t + "."))}
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(graph[m]):
            if state.get(t) == 1:
                cycles.append(" -> ".join(stack[stack.index(t):] + [t]))
            elif t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    assert not cycles, "import circles:\n" + "\n".join(cycles)


@pytest.mark.parametrize("path", [p for p in MODULES if p.relative_to(ROOT).parts[0] == "models"],
                         ids=lambda p: p.name)
def test_models_never_touch_files(path):
    """Networks only: no open(), Path reads/writes, torch.load/save, yaml or kaldiio in models/."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    banned_calls = {"open", "read_text", "write_text", "read_bytes", "write_bytes", "load_mat", "load_ark",
                    "safe_load", "safe_dump", "is_file", "exists", "mkdir"}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""
            if name in banned_calls or (owner == "torch" and name in ("load", "save")):
                found.append(f"{path.name}:{node.lineno}: {owner + '.' if owner else ''}{name}()")
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) else [])
            for n in names:
                if n and (n.split(".")[0] in ("yaml", "kaldiio", "shutil") or n.startswith("jsertk.utils.atomic")):
                    found.append(f"{path.name}:{node.lineno}: imports {n}")
    assert not found, "file work in models/:\n" + "\n".join(found)
