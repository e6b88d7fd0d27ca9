"""Name analysis for the export: what a route reads, and which notebook statements define it.

A route's ``route.py`` must define what the route read from the notebook's globals. The
notebook's plain code cells are cut into top-level statements, each with the names it
defines and the names it reads; `resolve` follows a route's free names through them.

>>> from notebook_routes._export.notebook import Cell
>>> found = definitions([Cell(1, "LIMIT = 3\\nSTEP = LIMIT + 1"), Cell(2, "UNUSED = 0")])
>>> prelude_names = frozenset({"Response"})
>>> carried, imports, missing = resolve("x = STEP + Response + TOKEN", found, prelude_names)
>>> [d.text for d in carried], imports, missing
(['LIMIT = 3', 'STEP = LIMIT + 1'], ['Response'], ['TOKEN'])
"""

from __future__ import annotations

import ast
import builtins
import symtable
from collections.abc import Iterable
from dataclasses import dataclass

from notebook_routes._cell_source import split_cell
from notebook_routes._export.notebook import Cell

_BUILTINS = frozenset(dir(builtins))


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
class Definition:
    """One top-level statement of a plain code cell, in notebook order."""

    order: int
    cell: int
    text: str
    defines: frozenset[str]
    uses: frozenset[str]


Definitions = dict[str, list[Definition]]  # name -> every statement defining it, in order


def definitions(cells: Iterable[Cell]) -> Definitions:
    """Every top-level statement of the plain code cells, by the names it defines.

    IPython syntax (``%magic``, ``!shell``, ``%%cell_magic``) becomes ``get_ipython()`` calls,
    and statements making one are left out: they mean nothing outside a kernel.
    """
    from IPython.core.inputtransformer2 import TransformerManager

    transformer = TransformerManager()
    by_name: Definitions = {}
    order = 0
    for cell in cells:
        if split_cell(cell.source) is not None:
            continue
        source = transformer.transform_cell(cell.source)
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue  # it failed in the kernel too, defining nothing
        for node in tree.body:
            text = statement_text(source, node)
            try:
                # Top-level `await` runs in IPython but not in a module: not carried.
                compile(text, f"<cell {cell.number}>", "exec", dont_inherit=True)
                defines, uses = defined_names(text), free_names(text)
            except SyntaxError:
                continue
            if not defines or "get_ipython" in uses:
                continue
            order += 1
            found = Definition(order, cell.number, text, frozenset(defines), frozenset(uses))
            for name in defines:
                by_name.setdefault(name, []).append(found)
    return by_name


def statement_text(source: str, node: ast.stmt) -> str:
    """The statement's own text, decorators included (offsets are UTF-8 byte offsets)."""
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    lines = source.splitlines()[first - 1 : node.end_lineno]
    # `a = 1; b = 2` share a line: cut the end first, so the start offset still holds.
    lines[-1] = lines[-1].encode()[: node.end_col_offset].decode()
    if first == node.lineno:
        lines[0] = lines[0].encode()[node.col_offset :].decode()
    return "\n".join(lines)


def resolve(
    code: str, found: Definitions, prelude_names: frozenset[str]
) -> tuple[list[Definition], list[str], list[str]]:
    """What `code` needs: notebook statements to carry over, prelude imports, missing names.

    A name resolves as the kernel resolves it: the notebook's globals, then the prelude,
    then the builtins.
    """
    carried: dict[int, Definition] = {}
    imports: set[str] = set()
    missing: set[str] = set()
    pending = sorted(free_names(code))
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in found:
            for definition in found[name]:
                if definition.order not in carried:
                    carried[definition.order] = definition
                    pending.extend(sorted(definition.uses))
        elif name in prelude_names:
            imports.add(name)
        elif name not in _BUILTINS and not (name.startswith("__") and name.endswith("__")):
            missing.add(name)
    return [carried[k] for k in sorted(carried)], sorted(imports), sorted(missing)
