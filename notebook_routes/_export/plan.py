"""The export planned in memory: a notebook's cells in, the files' text and warnings out."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass

from notebook_routes._cells import prelude
from notebook_routes._export.names import definitions
from notebook_routes._export.notebook import Cell
from notebook_routes._export.render import ExportedFile, render
from notebook_routes._export.replay import RouteFile, replay
from notebook_routes._proxy import PROXY_FILE

PROXY_MAGIC = "%%proxy"


def _last_proxy_cell(cells: Sequence[Cell], warnings: list[str]) -> tuple[Cell, str] | None:
    """The ``%%proxy`` cell that ran last (re-running one replaces the proxy), and its code."""
    found = None
    for cell in cells:
        lines = cell.source.lstrip("\n").splitlines(keepends=True)
        if not lines or lines[0].split(None, 1)[:1] != [PROXY_MAGIC]:
            continue
        body = "".join(lines[1:])
        try:
            ast.parse(body)
        except SyntaxError as exc:
            warnings.append(
                f"warning: cell {cell.number} ({PROXY_MAGIC}) is not exported: "
                f"SyntaxError: {exc.msg}"
            )
            continue
        found = (cell, body)
    return found


@dataclass(frozen=True)
class Export:
    """What a notebook exports to: the files, and warnings for the user."""

    files: tuple[ExportedFile, ...]
    warnings: tuple[str, ...]


def export_cells(cells: Sequence[Cell], *, notebook_name: str = "the notebook") -> Export:
    """Plan the export of a notebook's code cells: the files' text and the warnings.

    >>> plan = export_cells([Cell(1, "%%page /about\\n<h1>About</h1>"), Cell(2, "%%route /x")])
    >>> [f.path for f in plan.files], plan.warnings
    (['x/route.py', 'about/page.html'], ())
    """
    warnings: list[str] = []
    routes, pages = replay(cells, warnings)
    found = definitions(cells)
    prelude_names = frozenset(prelude())
    files: list[ExportedFile] = []
    for route in routes:
        exported = render(route, notebook_name, found, prelude_names)
        warnings.extend(
            f"warning: route.py for {route.path} uses {name}, which no notebook cell defines"
            for name in exported.missing
        )
        files.append(exported)
    proxy = _last_proxy_cell(cells, warnings)
    if proxy is not None:
        cell, body = proxy
        exported = render(
            RouteFile("proxy", (), module=(cell, "", body)),
            notebook_name,
            found,
            prelude_names,
            filename=PROXY_FILE,
            magic=PROXY_MAGIC,
        )
        warnings.extend(
            f"warning: proxy.py uses {name}, which no notebook cell defines"
            for name in exported.missing
        )
        files.append(exported)
    for path, page in pages.items():
        page_path = "/".join([*page.folders, "page.html"])
        files.append(ExportedFile(page_path, page.markup, path, (page.cell.number,)))
    return Export(tuple(files), tuple(warnings))
