"""core/ stays pure: no adapter, framework or file I/O. import-linter checks installed modules; this test also
covers libraries that are not installed yet and calls that touch files."""

from __future__ import annotations

import ast
from pathlib import Path

import glutemed.core

CORE = Path(glutemed.core.__file__).parent
ALLOWED_ROOTS = {"numpy", "scipy", "glutemed", "__future__"}
FILE_CALLS = {"open", "read_text", "write_text", "read_bytes", "write_bytes", "mkdir", "unlink", "glob"}


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def test_core_imports_only_numpy_scipy_stdlib_and_core() -> None:
    import sys

    stdlib = set(sys.stdlib_module_names)
    problems = []
    for path in sorted(CORE.rglob("*.py")):
        for line, module in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            root = module.split(".")[0]
            adapter = module.startswith("glutemed.") and not module.startswith("glutemed.core")
            foreign = root not in ALLOWED_ROOTS and root not in stdlib
            if adapter or foreign:
                problems.append(f"{path.name}:{line} imports {module}")
    assert problems == []


def test_core_touches_no_files() -> None:
    problems = []
    for path in sorted(CORE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = (
                    func.id
                    if isinstance(func, ast.Name)
                    else func.attr
                    if isinstance(func, ast.Attribute)
                    else ""
                )
                if name in FILE_CALLS:
                    problems.append(f"{path.name}:{node.lineno} calls {name}()")
    assert problems == []
