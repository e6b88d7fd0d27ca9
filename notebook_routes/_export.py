"""``notebook-routes export NOTEBOOK.ipynb --out app/``: a notebook's routes as an ``app/`` folder.

Every ``%%route`` cell becomes ``app/<PATH folders>/route.py``, which ``notebook-routes serve``
answers the way the kernel did (SPEC §13):

- a **module-form** cell is written as is, under an import line for the prelude names it
  uses; it replaces what earlier cells wrote for its PATH, as re-running it would;
- a **body-form** cell becomes ``async def GET(request, context)`` with
  ``params = await context.params`` first; ``%%route POST PUT`` gives one function named
  after the first method and ``PUT = POST``; later cells for a PATH add methods or replace
  the functions of the methods they name;
- the **notebook globals** a route reads are carried over: the top-level statements of the
  notebook's other code cells that define them (and what those need, transitively), in
  notebook order, each group under ``# carried over from cell N``. A name no cell defines
  is a warning and a comment at the top of the file;
- a ``%%page PATH`` cell becomes ``page.html`` (``serve`` does not serve pages).

Cells are numbered by their position in the notebook, markdown cells included.

>>> export = export_cells([
...     Cell(1, "GREETING = 'hi'"),
...     Cell(2, "%%route GET POST /hello/[name]\\nreturn {'hi': GREETING, **params}"),
... ])
>>> [f.path for f in export.files]
['hello/[name]/route.py']
>>> print(export.files[0].text)  # doctest: +NORMALIZE_WHITESPACE
# /hello/[name]: from cell 2 of the notebook (notebook-routes export)
<BLANKLINE>
<BLANKLINE>
# carried over from cell 1
GREETING = 'hi'
<BLANKLINE>
<BLANKLINE>
# cell 2: %%route GET POST /hello/[name]
async def GET(request, context):
    params = await context.params
    return {'hi': GREETING, **params}
<BLANKLINE>
<BLANKLINE>
POST = GET
<BLANKLINE>
"""

from __future__ import annotations

import ast
import builtins
import io
import symtable
import sys
import tokenize
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from notebook_routes._app import METHODS
from notebook_routes._cells import prelude
from notebook_routes.routing import RouteError, parse_pattern

ROUTE_MAGICS = ("%%route", "%%page")
_BUILTINS = frozenset(dir(builtins))


class NotebookError(ValueError):
    """A notebook that cannot be read; str() says which file and why."""


@dataclass(frozen=True)
class Cell:
    """A code cell: its 1-based position in the notebook (markdown cells count) and text."""

    number: int
    source: str


def notebook_cells(notebook: str | Path) -> list[Cell]:
    """The code cells of an ``.ipynb`` file, numbered by their position in it."""
    import nbformat  # comes with Jupyter; `serve` must not need it

    try:
        node = nbformat.read(str(notebook), as_version=4)
    except FileNotFoundError:
        raise NotebookError(f"{notebook}: no such file; give the path of an .ipynb file") from None
    except Exception as exc:  # nbformat raises several unrelated types for a broken file
        raise NotebookError(f"{notebook} is not a readable notebook ({exc})") from None
    return [
        Cell(number, cell.source)
        for number, cell in enumerate(node.cells, start=1)
        if cell.cell_type == "code"
    ]


@dataclass(frozen=True)
class ExportedFile:
    """One file of the exported folder; `path` is relative to it, with ``/`` separators."""

    path: str
    text: str
    route: str
    cells: tuple[int, ...]
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Export:
    """What a notebook exports to: the files, and warnings for the user."""

    files: tuple[ExportedFile, ...]
    warnings: tuple[str, ...]


# -- reading the cells -------------------------------------------------------------------


@dataclass
class _Handler:
    methods: list[str]
    body: str
    cell: Cell
    line: str


@dataclass
class _RouteFile:
    path: str
    folders: tuple[str, ...]
    module: tuple[Cell, str, str] | None = None  # cell, magic line, module text
    handlers: list[_Handler] = field(default_factory=list)


def _magic(source: str) -> tuple[str, str, str] | None:
    """``("%%route", "GET /x", body)`` for a route or page cell, else None."""
    lines = source.splitlines(keepends=True)
    while lines and not lines[0].strip():  # IPython drops leading blank lines too
        lines.pop(0)
    if not lines:
        return None
    name, *rest = lines[0].split(None, 1)
    if name not in ROUTE_MAGICS:
        return None
    return name, " ".join(rest).strip(), "".join(lines[1:])


def _folders(path: str) -> tuple[str, tuple[str, ...]]:
    pattern = parse_pattern(path)  # refuses "..", private folders and the rest
    folders = pattern.source[1:].split("/") if pattern.source != "/" else []
    return pattern.source, tuple(folders)


def _body_code(body: str, cell: Cell) -> str:
    """Check a body-form cell compiles as a handler (as the kernel does) and return its body."""
    try:
        ast.parse(body)
    except SyntaxError as exc:
        raise ValueError(f"SyntaxError in the cell, line {exc.lineno}: {exc.msg}") from None
    try:
        compile(_handler_source("GET", body), f"<cell {cell.number}>", "exec")
    except SyntaxError as exc:  # e.g. `yield` beside `return value`
        line = (exc.lineno or 3) - 2  # the handler's two template lines come first
        raise ValueError(f"SyntaxError in the cell, line {line}: {exc.msg}") from None
    return body


def _handler_source(name: str, body: str) -> str:
    head = f"async def {name}(request, context):\n    params = await context.params\n"
    return head + _indent(body)


def _indent(body: str, prefix: str = "    ") -> str:
    """Indent code, leaving the lines that start inside a multi-line string alone.

    >>> print(_indent('x = 1\\ns = \"\"\"a\\nb\"\"\"'), end="")
        x = 1
        s = \"\"\"a
    b\"\"\"
    """
    inside: set[int] = set()
    opened: list[int] = []
    string_starts = {tokenize.STRING}
    starts = {
        getattr(tokenize, n) for n in ("FSTRING_START", "TSTRING_START") if hasattr(tokenize, n)
    }
    ends = {getattr(tokenize, n) for n in ("FSTRING_END", "TSTRING_END") if hasattr(tokenize, n)}
    try:
        for token in tokenize.generate_tokens(io.StringIO(body).readline):
            if token.type in string_starts:
                inside.update(range(token.start[0] + 1, token.end[0] + 1))
            elif token.type in starts:
                opened.append(token.start[0])
            elif token.type in ends and opened:
                inside.update(range(opened.pop() + 1, token.end[0] + 1))
    except (tokenize.TokenError, SyntaxError) as exc:
        raise ValueError(f"the cell cannot be tokenized: {exc}") from None
    out = []
    for number, line in enumerate(body.splitlines(), start=1):
        out.append(line if number in inside or not line.strip() else prefix + line)
    return "\n".join(out) + "\n"


_Page = tuple[tuple[str, ...], Cell, str]  # folders, cell, markup


def _collect(
    cells: Iterable[Cell], warnings: list[str]
) -> tuple[list[_RouteFile], dict[str, _Page]]:
    """Replay the route and page cells in order, as running them top to bottom would."""
    routes: dict[str, _RouteFile] = {}
    pages: dict[str, _Page] = {}
    for cell in cells:
        magic = _magic(cell.source)
        if magic is None:
            continue
        name, line, body = magic
        words = line.split()
        try:
            if not words:
                raise ValueError(f"{name} needs a PATH, such as {name} GET /items/[slug]")
            if name == "%%page" and len(words) != 1:
                raise ValueError("%%page takes one PATH and no methods: %%page /about")
            path, folders = _folders(words[-1])
            if name == "%%page":
                pages[path] = (folders, cell, body.rstrip("\n") + "\n")
                continue
            methods = list(dict.fromkeys(word.upper() for word in words[:-1]))
            unknown = [m for m in methods if m not in METHODS]
            if unknown:
                raise ValueError(f"unknown HTTP method {unknown[0]!r}")
            if methods:
                body = _body_code(body, cell)
            else:
                ast.parse(body)  # a module-form cell that does not parse never ran
        except (RouteError, ValueError, SyntaxError) as exc:
            message = f"SyntaxError: {exc.msg}" if isinstance(exc, SyntaxError) else str(exc)
            warnings.append(
                f"warning: cell {cell.number} ({name} {line}) is not exported: {message}"
            )
            continue
        route = routes.setdefault(path, _RouteFile(path, folders))
        if not methods:  # a module-form cell replaces the whole route
            route.module, route.handlers = (cell, line, body), []
            continue
        for handler in route.handlers:  # a later cell for a method replaces its function
            handler.methods = [m for m in handler.methods if m not in methods]
        route.handlers = [h for h in route.handlers if h.methods]
        route.handlers.append(_Handler(methods, body, cell, line))
    return list(routes.values()), pages


# -- names: what a route reads, and where the notebook defines it ------------------------


def free_names(source: str) -> set[str]:
    """The global names `source` reads but does not define at its top level.

    >>> sorted(free_names("import os\\ndef f(a):\\n    return a + LIMIT + len(os.sep)"))
    ['LIMIT', 'len']
    """
    table = symtable.symtable(source, "<cell>", "exec")
    bound = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}
    used: set[str] = set()
    tables = [table]
    while tables:
        scope = tables.pop()
        for symbol in scope.get_symbols():
            if symbol.is_referenced() and (scope is table or symbol.is_global()):
                used.add(symbol.get_name())
        tables.extend(scope.get_children())
    return used - bound


def defined_names(source: str) -> set[str]:
    """The names a top-level statement binds: ``{'json'}`` for ``import json``."""
    table = symtable.symtable(source, "<cell>", "exec")
    return {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}


@dataclass(frozen=True)
class _Definition:
    order: int
    cell: int
    text: str
    defines: frozenset[str]
    uses: frozenset[str]


def _definitions(cells: Iterable[Cell]) -> dict[str, list[_Definition]]:
    """Every top-level statement of the plain code cells, by the names it defines.

    IPython syntax (``%magic``, ``!shell``, ``%%cell_magic``) becomes ``get_ipython()`` calls,
    and statements making one are left out: they mean nothing outside a kernel.
    """
    from IPython.core.inputtransformer2 import TransformerManager

    transformer = TransformerManager()
    by_name: dict[str, list[_Definition]] = {}
    order = 0
    for cell in cells:
        if _magic(cell.source) is not None:
            continue
        source = transformer.transform_cell(cell.source)
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue  # it failed in the kernel too, defining nothing
        for node in tree.body:
            text = _statement_text(source, node)
            try:
                # Top-level `await` runs in IPython but not in a module: not carried.
                compile(text, f"<cell {cell.number}>", "exec", dont_inherit=True)
                defines, uses = defined_names(text), free_names(text)
            except SyntaxError:
                continue
            if not defines or "get_ipython" in uses:
                continue
            order += 1
            found = _Definition(order, cell.number, text, frozenset(defines), frozenset(uses))
            for name in defines:
                by_name.setdefault(name, []).append(found)
    return by_name


def _statement_text(source: str, node: ast.stmt) -> str:
    """The statement's own text, decorators included (offsets are UTF-8 byte offsets)."""
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    lines = source.splitlines()[first - 1 : node.end_lineno]
    # `a = 1; b = 2` share a line: cut the end first, so the start offset still holds.
    lines[-1] = lines[-1].encode()[: node.end_col_offset].decode()
    if first == node.lineno:
        lines[0] = lines[0].encode()[node.col_offset :].decode()
    return "\n".join(lines)


def _resolve(
    code: str, definitions: dict[str, list[_Definition]], prelude_names: frozenset[str]
) -> tuple[list[_Definition], list[str], list[str]]:
    """What `code` needs: notebook statements to carry over, prelude imports, missing names.

    A name resolves as the kernel resolves it: the notebook's globals, then the prelude,
    then the builtins.
    """
    carried: dict[int, _Definition] = {}
    imports: set[str] = set()
    missing: set[str] = set()
    pending = sorted(free_names(code))
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in definitions:
            for found in definitions[name]:
                if found.order not in carried:
                    carried[found.order] = found
                    pending.extend(sorted(found.uses))
        elif name in prelude_names:
            imports.add(name)
        elif name not in _BUILTINS and not (name.startswith("__") and name.endswith("__")):
            missing.add(name)
    return [carried[k] for k in sorted(carried)], sorted(imports), sorted(missing)


# -- writing the files -------------------------------------------------------------------


def _render(
    route: _RouteFile,
    notebook_name: str,
    definitions: dict[str, list[_Definition]],
    prelude_names: frozenset[str],
) -> ExportedFile:
    code_parts: list[str] = []
    future: list[str] = []
    if route.module is not None:
        cell, line, text = route.module
        future, text = _split_future(text)
        code_parts.append(f"# cell {cell.number}: %%route {line}\n{text.rstrip()}\n")
    for handler in route.handlers:
        name, aliases = handler.methods[0], handler.methods[1:]
        text = f"# cell {handler.cell.number}: %%route {handler.line}\n"
        text += _handler_source(name, handler.body)
        if aliases:
            text += "\n\n" + "".join(f"{alias} = {name}\n" for alias in aliases)
        code_parts.append(text)
    code = "\n\n".join(code_parts)
    carried, imports, missing = _resolve(code, definitions, prelude_names)

    numbers = sorted(
        {h.cell.number for h in route.handlers}
        | ({route.module[0].number} if route.module else set())
    )
    cells = ", ".join(str(n) for n in numbers)
    label = "cell" if len(numbers) == 1 else "cells"
    head = [f"# {route.path}: from {label} {cells} of {notebook_name} (notebook-routes export)"]
    if missing:
        head.append(
            f"# Not defined by any notebook cell (define or import them here): {', '.join(missing)}"
        )
    top = ["\n".join(head) + "\n"]
    if future:
        top.append("\n".join(future) + "\n")
    if imports:
        top.append(f"from notebook_routes import {', '.join(imports)}\n")
    groups: list[list[_Definition]] = []
    for found in carried:
        if groups and groups[-1][-1].cell == found.cell:
            groups[-1].append(found)
        else:
            groups.append([found])
    carried_text = [
        f"# carried over from cell {group[0].cell}\n" + "\n".join(f.text for f in group) + "\n"
        for group in groups
    ]
    # PEP 8 spacing: one blank line in the header, two around top-level code.
    text = "\n\n".join(["\n".join(top), *carried_text, code])
    return ExportedFile(
        path="/".join([*route.folders, "route.py"]),
        text=text,
        route=route.path,
        cells=tuple(numbers),
        missing=tuple(missing),
    )


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
    return [_statement_text(text, node) for node in future], "\n".join(kept).strip("\n") + "\n"


def export_cells(cells: Sequence[Cell], *, notebook_name: str = "the notebook") -> Export:
    """Plan the export of a notebook's code cells: the files' text and the warnings."""
    warnings: list[str] = []
    routes, pages = _collect(cells, warnings)
    definitions = _definitions(cells)
    prelude_names = frozenset(prelude())
    files: list[ExportedFile] = []
    for route in routes:
        exported = _render(route, notebook_name, definitions, prelude_names)
        warnings.extend(
            f"warning: route.py for {route.path} uses {name}, which no notebook cell defines"
            for name in exported.missing
        )
        files.append(exported)
    for path, (folders, cell, markup) in pages.items():
        page = "/".join([*folders, "page.html"])
        files.append(ExportedFile(page, markup, path, (cell.number,)))
    return Export(tuple(files), tuple(warnings))


def _refuse_unless_empty(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} is a file; --out takes a folder to write route.py files into")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise FileExistsError(
            f"{out} is not empty; choose a new folder, empty this one, or pass --force "
            "to write over the files in it"
        )


def write_export(export: Export, out: str | Path, *, force: bool = False) -> list[Path]:
    """Write the files under `out`; refuses a folder that is not empty unless `force`."""
    root = Path(out)
    _refuse_unless_empty(root, force)
    written = []
    for exported in export.files:
        target = root.joinpath(*exported.path.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(exported.text, encoding="utf-8")
        written.append(target)
    return written


def export_notebook(notebook: str | Path, out: str | Path, *, force: bool = False) -> Export:
    """Read `notebook`, export its routes to the folder `out`, and return what was written."""
    export = export_cells(notebook_cells(notebook), notebook_name=Path(notebook).name)
    write_export(export, out, force=force)
    return export


def export_command(
    notebook: str | Path,
    out: str | Path,
    *,
    force: bool = False,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """``notebook-routes export``: write the files, one line each; returns the exit code."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    try:
        _refuse_unless_empty(Path(out), force)  # before reading: a quick, clear refusal
        export = export_cells(notebook_cells(notebook), notebook_name=Path(notebook).name)
    except (FileExistsError, NotebookError) as exc:
        print(f"error: {exc}", file=stderr)
        return 2
    for warning in export.warnings:
        print(warning, file=stderr)
    if not export.files:
        print(f"error: {notebook} has no %%route or %%page cells to export", file=stderr)
        return 1
    try:
        written = write_export(export, out, force=force)
    except OSError as exc:
        print(f"error: cannot write to {out}: {exc}", file=stderr)
        return 1
    for path in written:
        note = (
            " (a page: `notebook-routes serve` does not serve pages)"
            if path.name == "page.html"
            else ""
        )
        print(f"wrote {path}{note}", file=stdout)
    return 0
