"""Turning the text of a ``%%route`` cell into handlers, without IPython.

Two forms (the magic line that says which is read by `notebook_routes._cell_source`):

- **body form** (methods on the magic line): the cell is the body of
  ``async def HANDLER(request, context)`` with ``params = await context.params`` bound
  first (the template of `_cell_source`, which the export writes too), so ``await`` and
  ``return`` work and line numbers in tracebacks are the cell's own;
- **module form** (no method): the cell runs like a ``route.py`` module, in a namespace
  of its own, and what it defines is the route's namespace.

Both read the notebook's globals live (a name looked up at request time sees the
notebook's current value), then the prelude (`Response`, `cookies`, ...) so cells
need no imports.

>>> handler = body_handler("return {'slug': params['slug']}", name="GET", notebook={})
>>> handler.__name__
'GET'
>>> sorted(module_namespace("x = 1\\ndef GET():\\n    return x", notebook={}))
['GET', 'x']
"""

from __future__ import annotations

import ast
import itertools
import linecache
from collections.abc import Callable, Mapping
from typing import Any

from notebook_routes._cell_source import handler_module

_counter = itertools.count(1)


class CellError(ValueError):
    """A cell that cannot become a route; str() is one paragraph for the user."""


def prelude() -> dict[str, Any]:
    """The names every route cell can use without importing them."""
    import notebook_routes as nr

    names = (
        "App BadRequest FormData Headers NextRequest NextResponse Request Response "
        "UploadedFile after cached connection cookies draft_mode fetch forbidden headers "
        "not_found permanent_redirect redirect revalidate_path revalidate_tag unauthorized "
        "update_tag"
    ).split()
    return {name: getattr(nr, name) for name in names if hasattr(nr, name)}


class CellGlobals(dict):  # type: ignore[type-arg]
    """A cell's own globals: its definitions, then the notebook's, then the prelude.

    CPython looks globals of a non-exact dict up with ``__getitem__``, so
    ``__missing__`` makes the notebook's names visible live without copying them.
    """

    def __init__(self, notebook: Mapping[str, Any], fallback: Mapping[str, Any]) -> None:
        super().__init__()
        self._notebook = notebook
        self._fallback = fallback

    def __missing__(self, key: str) -> Any:
        if key in self._notebook:
            return self._notebook[key]
        return self._fallback[key]


def _filename(source: str, filename: str | None) -> str:
    if filename is None:
        filename = f"<route-cell-{next(_counter)}>"
        # Register the text so tracebacks can show the cell's lines.
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return filename


def _parse(source: str, filename: str) -> ast.Module:
    try:
        return ast.parse(source, filename)
    except SyntaxError as exc:
        raise CellError(
            f"SyntaxError in the cell, line {exc.lineno}: {exc.msg}. "
            f"Nothing was registered; fix the line and run the cell again."
        ) from None


def body_handler(
    body: str,
    *,
    name: str,
    notebook: Mapping[str, Any],
    filename: str | None = None,
) -> Callable[..., Any]:
    """Compile a body-form cell into ``async def name(request, context)``."""
    filename = _filename(body, filename)
    module = handler_module(name, _parse(body, filename))
    try:
        code = compile(module, filename, "exec")
    except SyntaxError as exc:  # e.g. `yield` mixed with `return value`
        raise CellError(
            f"SyntaxError in the cell, line {exc.lineno}: {exc.msg}. Nothing was registered."
        ) from None
    namespace = CellGlobals(notebook, prelude())
    exec(code, namespace)
    handler = namespace[name]
    handler.__qualname__ = name
    return handler


def module_namespace(
    source: str,
    *,
    notebook: Mapping[str, Any],
    filename: str | None = None,
) -> dict[str, Any]:
    """Run a module-form cell like a ``route.py`` and return what it defines."""
    filename = _filename(source, filename)
    tree = _parse(source, filename)
    try:
        code = compile(tree, filename, "exec")
    except SyntaxError as exc:
        raise CellError(f"SyntaxError in the cell, line {exc.lineno}: {exc.msg}.") from None
    namespace = CellGlobals(notebook, prelude())
    namespace["__name__"] = "__route__"
    try:
        exec(code, namespace)
    except Exception as exc:
        line = _line_in(exc, filename)
        where = f" (line {line} of the cell)" if line else ""
        raise CellError(
            f"The cell raised {type(exc).__name__}: {exc}{where}. Nothing was registered."
        ) from None
    return {k: v for k, v in namespace.items() if not k.startswith("__")}


def _line_in(exc: BaseException, filename: str) -> int | None:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
