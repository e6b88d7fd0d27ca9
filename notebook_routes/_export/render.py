"""Rendering the export: one replayed route as the text of its ``route.py``.

The file opens with a comment naming its cells (and the names no cell defines), then
``from __future__`` imports, the prelude names it uses, the notebook statements it needs
(``# carried over from cell N``) and finally the cells' code, PEP 8 spaced.

>>> from notebook_routes._export.notebook import Cell
>>> from notebook_routes._export.replay import Handler, RouteFile
>>> route = RouteFile("/x", ("x",), handlers=[Handler(["GET"], "return 1", Cell(1, ""), "GET /x")])
>>> print(render(route, "demo.ipynb", {}, frozenset()).text)
# /x: from cell 1 of demo.ipynb (notebook-routes export)
<BLANKLINE>
<BLANKLINE>
# cell 1: %%route GET /x
async def GET(request, context):
    params = await context.params
    return 1
<BLANKLINE>
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from notebook_routes._cell_source import ROUTE, handler_source
from notebook_routes._export.names import Definition, Definitions, resolve, statement_text
from notebook_routes._export.replay import RouteFile


@dataclass(frozen=True)
class ExportedFile:
    """One file of the exported folder; `path` is relative to it, with ``/`` separators."""

    path: str
    text: str
    route: str
    cells: tuple[int, ...]
    missing: tuple[str, ...] = ()


def render(
    route: RouteFile,
    notebook_name: str,
    found: Definitions,
    prelude_names: frozenset[str],
    *,
    filename: str = "route.py",
    magic: str = ROUTE,
) -> ExportedFile:
    """The ``route.py`` of `route` (or, with `filename` and `magic`, the ``proxy.py`` of a
    ``%%proxy`` cell), with what it needs from the notebook carried over."""
    future, code = _route_code(route, magic)
    carried, imports, missing = resolve(code, found, prelude_names)
    numbers = route.cell_numbers
    top = [_header(route.path, numbers, notebook_name, missing)]
    if future:
        top.append("\n".join(future) + "\n")
    if imports:
        top.append(f"from notebook_routes import {', '.join(imports)}\n")
    # PEP 8 spacing: one blank line in the header, two around top-level code.
    text = "\n\n".join(["\n".join(top), *_carried_text(carried), code])
    return ExportedFile(
        path="/".join([*route.folders, filename]),
        text=text,
        route=route.path,
        cells=tuple(numbers),
        missing=tuple(missing),
    )


def _route_code(route: RouteFile, magic: str = ROUTE) -> tuple[list[str], str]:
    """The ``from __future__`` lines, and the code of the route's cells in order."""
    parts: list[str] = []
    future: list[str] = []
    if route.module is not None:
        cell, line, text = route.module
        future, text = _split_future(text)
        parts.append(f"# cell {cell.number}: {magic} {line}".rstrip() + f"\n{text.rstrip()}\n")
    for handler in route.handlers:
        name, aliases = handler.methods[0], handler.methods[1:]
        text = f"# cell {handler.cell.number}: {ROUTE} {handler.line}\n"
        text += handler_source(name, handler.body)
        if aliases:
            text += "\n\n" + "".join(f"{alias} = {name}\n" for alias in aliases)
        parts.append(text)
    return future, "\n\n".join(parts)


def _header(path: str, numbers: list[int], notebook_name: str, missing: list[str]) -> str:
    cells = ", ".join(str(n) for n in numbers)
    label = "cell" if len(numbers) == 1 else "cells"
    head = [f"# {path}: from {label} {cells} of {notebook_name} (notebook-routes export)"]
    if missing:
        head.append(
            f"# Not defined by any notebook cell (define or import them here): {', '.join(missing)}"
        )
    return "\n".join(head) + "\n"


def _carried_text(carried: list[Definition]) -> list[str]:
    """The carried statements, one block per run of statements from the same cell."""
    groups: list[list[Definition]] = []
    for found in carried:
        if groups and groups[-1][-1].cell == found.cell:
            groups[-1].append(found)
        else:
            groups.append([found])
    return [
        f"# carried over from cell {group[0].cell}\n" + "\n".join(f.text for f in group) + "\n"
        for group in groups
    ]


def _split_future(text: str) -> tuple[list[str], str]:
    """Move ``from __future__`` imports out of a module cell: they must open the file."""
    tree = ast.parse(text)
    lines = text.splitlines()
    future = [
        node
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module == "__future__"
    ]
    drop = {n for node in future for n in range(node.lineno, (node.end_lineno or node.lineno) + 1)}
    kept = [line for number, line in enumerate(lines, start=1) if number not in drop]
    return [statement_text(text, node) for node in future], "\n".join(kept).strip("\n") + "\n"
