"""Replaying the route and page cells in notebook order, as running them top to bottom would.

A body-form cell adds functions for its methods (replacing those of the methods it names),
a module-form cell replaces the whole route, a page cell replaces the page; a cell that would
not have registered is skipped with a warning that says why.

>>> from notebook_routes._export.notebook import Cell
>>> warnings = []
>>> routes, pages = replay([
...     Cell(1, "%%route GET POST /x\\nreturn 1"),
...     Cell(2, "%%route GET /x\\nreturn 2"),
...     Cell(3, "%%route FETCH /y\\nreturn 3"),
... ], warnings)
>>> [(h.methods, h.cell.number) for h in routes[0].handlers]
[(['POST'], 1), (['GET'], 2)]
>>> warnings
["warning: cell 3 (%%route FETCH /y) is not exported: unknown HTTP method 'FETCH'"]
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field

from notebook_routes._cell_source import LineError, handler_module, indent, parse_line, split_cell
from notebook_routes._export.notebook import Cell
from notebook_routes.routing import RouteError, parse_pattern


@dataclass
class Handler:
    """The functions one body-form cell still provides: `methods` (the first is the name)."""

    methods: list[str]
    body: str
    cell: Cell
    line: str


@dataclass
class RouteFile:
    """What one ``route.py`` holds after replay: a module-form cell, then body-form ones."""

    path: str
    folders: tuple[str, ...]
    module: tuple[Cell, str, str] | None = None  # cell, magic line, module text
    handlers: list[Handler] = field(default_factory=list)

    @property
    def cell_numbers(self) -> list[int]:
        numbers = {h.cell.number for h in self.handlers}
        if self.module is not None:
            numbers.add(self.module[0].number)
        return sorted(numbers)


@dataclass(frozen=True)
class Page:
    """A ``%%page`` cell: written as ``page.html`` under its folders."""

    folders: tuple[str, ...]
    cell: Cell
    markup: str


def replay(cells: Iterable[Cell], warnings: list[str]) -> tuple[list[RouteFile], dict[str, Page]]:
    """The route files and pages the cells leave behind; skipped cells go to `warnings`."""
    routes: dict[str, RouteFile] = {}
    pages: dict[str, Page] = {}
    for cell in cells:
        split = split_cell(cell.source)
        if split is None:
            continue
        magic, line, body = split
        try:
            parsed = parse_line(magic, line)
            path, folders = _folders(parsed.path)
            if parsed.form == "body":
                _check_body(body)
            elif parsed.form == "module":
                ast.parse(body)  # a module-form cell that does not parse never ran
        except (RouteError, ValueError, SyntaxError) as exc:
            if isinstance(exc, SyntaxError):
                message = f"SyntaxError: {exc.msg}"
            else:
                message = exc.brief if isinstance(exc, LineError) else str(exc)
            warnings.append(
                f"warning: cell {cell.number} ({magic} {line}) is not exported: {message}"
            )
            continue
        if parsed.form == "page":
            pages[path] = Page(folders, cell, body.rstrip("\n") + "\n")
            continue
        route = routes.setdefault(path, RouteFile(path, folders))
        if parsed.form == "module":  # a module-form cell replaces the whole route
            route.module, route.handlers = (cell, line, body), []
            continue
        methods = list(parsed.methods)
        for handler in route.handlers:  # a later cell for a method replaces its function
            handler.methods = [m for m in handler.methods if m not in methods]
        route.handlers = [h for h in route.handlers if h.methods]
        route.handlers.append(Handler(methods, body, cell, line))
    return list(routes.values()), pages


def _folders(path: str) -> tuple[str, tuple[str, ...]]:
    pattern = parse_pattern(path)  # refuses "..", private folders and the rest
    folders = pattern.source[1:].split("/") if pattern.source != "/" else []
    return pattern.source, tuple(folders)


def _check_body(body: str) -> None:
    """Refuse a body-form cell the kernel would refuse: it must compile as the handler."""
    try:
        tree = ast.parse(body)
    except SyntaxError as exc:
        raise ValueError(f"SyntaxError in the cell, line {exc.lineno}: {exc.msg}") from None
    try:
        # The cell's statements keep their line numbers under the template, as in the kernel.
        compile(handler_module("GET", tree), "<cell>", "exec")
    except SyntaxError as exc:  # e.g. `yield` beside `return value`
        raise ValueError(f"SyntaxError in the cell, line {exc.lineno}: {exc.msg}") from None
    indent(body)  # what the export writes; it says so if the cell cannot be tokenized
