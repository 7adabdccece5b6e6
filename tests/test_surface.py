"""The package's surface: what is public, and no module reaching into another's privates."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import lockerplan

PACKAGE = Path(lockerplan.__file__).parent


def _modules() -> dict[str, Path]:
    return {
        ".".join(f.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__"): f
        for f in PACKAGE.rglob("*.py")
    }


def _imported_privates(name: str, path: Path) -> list[str]:
    """``_private`` names, and ``_private`` modules of another package, that a module imports."""
    base = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom):
            continue
        parts = base.split(".")
        target = (
            ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            if node.level
            else node.module or ""
        )
        if not target.startswith("lockerplan"):
            continue
        found += [f"{target}.{a.name}" for a in node.names if a.name.startswith("_")]
        owner = [p for p in target.split(".") if p.startswith("_")]
        if owner:
            package = target[: target.index("." + owner[0])]
            if not name.startswith(package + "."):
                found.append(target)
    return [f for f in found if not f.endswith("__future__")]


def test_no_module_imports_another_modules_private_names():
    """Shared helpers are public names of their module; a `_name` stays in its module
    (and a `_module` in its package)."""
    found = {name: _imported_privates(name, path) for name, path in _modules().items()}
    assert {k: v for k, v in found.items() if v} == {}


def test_every_top_level_module_is_public_or_says_it_is_internal():
    public = set(lockerplan.PUBLIC_MODULES)
    for name, path in _modules().items():
        parts = name.split(".")
        if len(parts) != 2 or parts[1].startswith("_"):
            continue
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        assert (parts[1] in public) != ("\nInternal:" in "\n" + doc), name


@pytest.mark.parametrize("module", lockerplan.PUBLIC_MODULES)
def test_public_modules_import_and_export_what_they_say(module):
    mod = importlib.import_module(f"lockerplan.{module}")
    assert mod.__doc__
    for name in getattr(mod, "__all__", ()):
        assert hasattr(mod, name), f"lockerplan.{module}.{name}"
