"""The reservation module is the proof that linemod's public API is enough: every one of its Python files
imports from `linemod` itself only, and only names `linemod` exports (no `linemod.framework`, no
`linemod.emulator`, no `linemod.testing`, which is for tests), not even through `importlib`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import linemod
import linemod_reservation

PACKAGE = Path(linemod_reservation.__file__).parent
PUBLIC = frozenset(linemod.__all__)


def forbidden_imports(source: str, filename: str = "<source>") -> list[str]:
    """What `source` imports from linemod beyond its public API, as `line: what` (empty when none)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {a.name}" for a in node.names if a.name.startswith("linemod.")]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module is not None:
            if node.module.startswith("linemod."):
                found.append(f"{node.lineno}: from {node.module} import ...")
            elif node.module == "linemod":
                found += [f"{node.lineno}: from linemod import {a.name}" for a in node.names if a.name not in PUBLIC]
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func) and node.args:
            target = node.args[0]
            if isinstance(target, ast.Constant) and str(target.value).startswith("linemod."):
                found.append(f"{node.lineno}: dynamic import of {target.value}")
    return found


def _is_dynamic_import(func: ast.expr) -> bool:
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name in ("import_module", "__import__")


def package_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_the_walk_covers_the_whole_package() -> None:
    names = {str(path.relative_to(PACKAGE)) for path in package_files()}
    assert {"app.py", "demo.py", "handlers.py", "console/pages_shop.py", "migrations/env.py"} <= names
    assert any(name.startswith("migrations/versions/") for name in names)


@pytest.mark.parametrize("path", package_files(), ids=lambda path: str(path.relative_to(PACKAGE)))
def test_the_module_uses_the_public_api_only(path: Path) -> None:
    assert forbidden_imports(path.read_text(encoding="utf-8"), str(path)) == []


@pytest.mark.parametrize(
    "source",
    [
        "import linemod.framework.app",
        "import linemod.emulator as emulator",
        "from linemod.framework.clock import Clock",
        "from linemod.framework import console",
        "from linemod.emulator import create_app",
        "from linemod.testing import ManualClock",
        "from linemod.cli import app",
        "from linemod import framework",
        "from linemod import ModuleApp, testing",
        "def later():\n    from linemod.framework.settings import Settings\n",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from linemod.framework.context import Context\n",
        "import importlib\nimportlib.import_module('linemod.framework.storage.database')",
        "__import__('linemod.emulator')",
    ],
)
def test_a_planted_import_of_an_internal_is_caught(source: str) -> None:
    assert forbidden_imports(source) != []


def test_public_imports_pass() -> None:
    source = (
        "import linemod\n"
        "import linemod_reservation.app\n"
        "from linemod import N_, ConsoleContext, Context, JobContext, ModuleApp, Work\n"
        "from linemod_reservation.models import Shop\n"
        "from . import store\n"
    )
    assert forbidden_imports(source) == []
