"""The package's import graph has no cycle (only imports under ``TYPE_CHECKING`` point up).

Every module of `notebook_routes` is read with `ast`, imports inside functions included,
so a lazy import cannot hide a cycle; ``if TYPE_CHECKING:`` blocks are left out, because
they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import notebook_routes

PACKAGE = Path(notebook_routes.__file__).parent


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """The modules `tree` imports at run time (absolute names), skipping TYPE_CHECKING."""
    found: set[str] = set()
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            todo.extend(node.orelse)  # the `else:` of a TYPE_CHECKING block does run
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, base] if base else package)
            found.add(base)
            # `from package import name` may import the submodule package.name
            found.update(f"{base}.{alias.name}" for alias in node.names)
        todo.extend(ast.iter_child_nodes(node))
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    """module -> the package's modules it imports (a module also imports its parents)."""
    files = {module_name(root, path): path for path in sorted(root.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        wanted = _imports(tree, name, path.name == "__init__.py")
        edges = set()
        for target in wanted:
            # importing a.b.c runs a/__init__, a/b/__init__ and a/b/c
            parts = target.split(".")
            for i in range(1, len(parts) + 1):
                prefix = ".".join(parts[:i])
                if prefix in files and prefix != name:
                    edges.add(prefix)
        # A package's __init__ importing its own submodules is how packages work: the
        # submodule depends on the package being *started*, not on what it re-exports.
        graph[name] = {e for e in edges if not name.startswith(e + ".")}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as [a, b, ..., a], or None (depth-first search, white/grey/black)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)) is not None:
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)) is not None:
            return cycle
    return None


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph(PACKAGE)
    assert "notebook_routes._dispatch" in graph  # the walk found the package
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_pure_core_imports_no_tornado_ipython_or_widgets() -> None:
    core = ("_app", "_dispatch", "_handlers", "_rendering", "_route", "_log", "_config")
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(PACKAGE, path)
        short = name.removeprefix("notebook_routes.")
        if not (short in core or short.split(".")[0] in ("routing", "web", "cache")):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        outside = {m.split(".")[0] for m in _imports(tree, name, path.name == "__init__.py")}
        assert not outside & {"tornado", "IPython", "ipywidgets", "pandas"}, name


def write_package(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / "pkg" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


def test_the_walker_finds_a_cycle_through_an_import_inside_a_function(tmp_path: Path) -> None:
    package = write_package(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from pkg.b import thing\n",
            "b.py": "def thing():\n    from pkg import c\n",
            "c.py": "from . import a\n",
        },
    )
    assert find_cycle(import_graph(package)) == ["pkg.a", "pkg.b", "pkg.c", "pkg.a"]


def test_the_walker_ignores_imports_under_type_checking(tmp_path: Path) -> None:
    package = write_package(
        tmp_path,
        {
            "__init__.py": "",
            "low.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from pkg.high import High\n"
            ),
            "high.py": "import pkg.low\n",
        },
    )
    graph = import_graph(package)
    assert graph["pkg.high"] == {"pkg.low"} and graph["pkg.low"] == set()
    assert find_cycle(graph) is None


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from . import x\n", {"pkg.sub.x"}),
        ("from ..other import y\n", {"pkg.other"}),
        ("import pkg.sub.deep\n", {"pkg.sub.deep"}),
        ("def f():\n    import pkg.other\n", {"pkg.other"}),
        ("import os\nfrom json import loads\n", set()),
    ],
)
def test_the_walker_resolves_relative_dotted_and_nested_imports(
    tmp_path: Path, source: str, expected: set[str]
) -> None:
    package = write_package(
        tmp_path,
        {
            "__init__.py": "",
            "other.py": "",
            "sub/__init__.py": "",
            "sub/deep.py": "",
            "sub/x.py": "",
            "sub/mod.py": source,
        },
    )
    assert import_graph(package)["pkg.sub.mod"] == expected
