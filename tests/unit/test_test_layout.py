"""No code imports a test module: shared helpers live in modules pytest does not collect.

Importing a `test_*.py` module to reach one helper runs the whole module (its imports, fixtures
and tests), ties one file's import order to another's, and a fixture or test function imported
by name is collected again in the importing module. Builders go to
tests/builders/ or tests/support.py, a folder's own helpers to a module beside its tests
(tests/bridge/helpers.py, tests/privacy/adversary.py …), fixtures to a conftest.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("tests", "bench", "devstack", "tools")


def module_of(path: Path) -> list[str]:
    """The dotted name of a file under ROOT, as parts: tests/unit/x.py -> [tests, unit, x]."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def imported_test_modules(source: str, path: Path) -> list[str]:
    """The test modules (a part starting with `test_`) this source imports, as dotted names, at
    any depth of the file (imports inside functions too), relative ones resolved. Only modules
    of this repository count: a library's `test_utils` is not ours to move."""
    package = module_of(path) if path.name == "__init__.py" else module_of(path)[:-1]
    found = []
    for node in ast.walk(ast.parse(source, str(path))):
        if isinstance(node, ast.Import):
            candidates = [alias.name.split(".") for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            base = base + (node.module.split(".") if node.module else [])
            # `from a.b import test_x` imports the module a.b.test_x.
            candidates = [base] if _is_test(base) else [base + [a.name] for a in node.names]
        else:
            continue
        found += [".".join(parts) for parts in candidates
                  if parts and (ROOT / parts[0]).is_dir() and _is_test(parts)]
    return found


def _is_test(parts: list[str]) -> bool:
    return any(part.startswith("test_") for part in parts)


def python_files() -> list[Path]:
    return sorted(p for folder in FOLDERS for p in (ROOT / folder).rglob("*.py")
                  if "__pycache__" not in p.parts)


def test_nothing_imports_a_test_module() -> None:
    files = python_files()
    assert len(files) > 100, f"found only {len(files)} files under {FOLDERS}: wrong root?"
    offenders = [f"{path.relative_to(ROOT)} imports {name}"
                 for path in files
                 for name in imported_test_modules(path.read_text(encoding="utf-8"), path)]
    assert not offenders, ("test modules imported (move the helper to tests/builders/, "
                           "tests/support.py or a helper module beside it; a fixture to "
                           "conftest.py):\n" + "\n".join(offenders))


@pytest.mark.parametrize(("source", "found"), [
    pytest.param("from tests.integration.test_registry import camera_body",
                 ["tests.integration.test_registry"], id="from-a-test-module"),
    pytest.param("import tests.unit.test_maps", ["tests.unit.test_maps"], id="import"),
    pytest.param("from tests.integration import test_registry",
                 ["tests.integration.test_registry"], id="the-module-itself"),
    pytest.param("def f():\n    from tests.bridge.test_runner import wait_for\n",
                 ["tests.bridge.test_runner"], id="inside-a-function"),
    pytest.param("from .test_cli import ROOT", ["tests.bridge.test_cli"], id="relative"),
    pytest.param("from ..integration.test_registry import SCENE",
                 ["tests.integration.test_registry"], id="relative-up"),
    pytest.param("from tests.builders.cameras import camera_body", [], id="a-builder"),
    pytest.param("from tests.bridge.helpers import wait_for", [], id="a-folder-helper"),
    pytest.param("from aiohttp.test_utils import TestClient", [], id="a-library"),
])
def test_the_check_sees_every_form_of_import(source: str, found: list[str]) -> None:
    assert imported_test_modules(source, ROOT / "tests" / "bridge" / "test_x.py") == found
