"""The import graph keeps its shape: layers import downwards only, and nothing imports in a circle.

Read from the source with ast (nothing is imported), imports inside functions included: an
import moved into a function to dodge a cycle is still a cycle. The one circle allowed is
Flask's blueprint idiom: a blueprint package's __init__ creates `bp`, then imports its own
route modules so they register on it, and those import `bp` back.

    app/core      pure rules: no Flask, no models, no services, no web
    app/models    tables: no Flask, no services, no web
    app/services  features: no Flask, no web, no blueprints
    lambdas/      workers: no app.web, no blueprints
    bridge/       the owner's bridge, a separate program: nothing of app/
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sources(*folders: str) -> dict[str, Path]:
    return {module_name(p): p for folder in folders for p in sorted((ROOT / folder).rglob("*.py"))}


def imported(path: Path, modules: Mapping[str, Path] | None = None) -> Iterator[str]:
    """Every absolute module name the file imports, at any depth ("from a import b" gives a.b).

    "from a import b" where a.b is one of `modules` names the package a only to reach b: a's own
    code (a package's __init__) counts as imported only when some name taken from it is not a
    module (so a service importing its feature's sibling module does not depend on the feature's
    __init__, while "from app.services import audit" depends on audit's)."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            if modules is None or any(name not in modules for name in names):
                yield node.module
            yield from names


def project_module(name: str, known: dict[str, Path]) -> str:
    """The project module an imported name lives in ('' when outside the project)."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name


APP = sources("app")
BLUEPRINTS = sorted({name for name, path in APP.items()
                     if path.name == "__init__.py" and "bp = Blueprint(" in path.read_text()})


@functools.cache
def has_code(path: Path) -> bool:
    """A module with more than a docstring (a package's __init__ may hold its feature's API)."""
    body = ast.parse(path.read_text(), str(path)).body
    return any(not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)) for s in body)


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for name, path in APP.items():
        targets = {project_module(i, APP) for i in imported(path, APP)} - {"", name}
        if name in BLUEPRINTS:  # the blueprint idiom: __init__ registers its own routes
            targets = {t for t in targets if not t.startswith(name + ".")}
        # a package with only a docstring is a folder, not a dependency
        edges[name] = {t for t in targets if has_code(APP[t])}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_nothing_in_app_imports_in_a_circle() -> None:
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def forbidden(folders: tuple[str, ...], prefixes: tuple[str, ...]) -> list[str]:
    found = []
    for name, path in sources(*folders).items():
        for target in sorted(set(imported(path))):
            if any(target == p or target.startswith(p + ".") for p in prefixes):
                found.append(f"{name} imports {target}")
    return found


@pytest.mark.parametrize(("folders", "prefixes"), [
    (("app/core",), ("flask", "werkzeug", "app.models", "app.services", "app.web", "app.aws")),
    (("app/models",), ("flask", "werkzeug", "app.services", "app.web")),
    (("app/services",), ("flask", "werkzeug", "app.web")),
    (("lambdas",), ("flask", "app.web")),
    (("bridge",), ("app",)),
], ids=["core", "models", "services", "lambdas", "bridge"])
def test_each_layer_imports_only_what_lies_below_it(
        folders: tuple[str, ...], prefixes: tuple[str, ...]) -> None:
    assert forbidden(folders, prefixes) == []


def test_services_and_workers_never_import_a_blueprint() -> None:
    assert BLUEPRINTS, "no blueprint package found: the check would pass for nothing"
    assert forbidden(("app/services", "app/models", "app/core", "lambdas"),
                     tuple(BLUEPRINTS)) == []


def test_a_feature_package_holds_no_code() -> None:
    """Importing one module of a feature must not run the rest of it: the clip cutter's zip,
    which imports footage.canvass, has no argon2 for people.accounts' password hashing."""
    packages = sorted((ROOT / "app/services").rglob("__init__.py"))
    assert len(packages) > 1
    assert [str(p.relative_to(ROOT)) for p in packages if has_code(p)] == []
