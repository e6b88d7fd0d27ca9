"""A handler's traceback as its author reads it: their frames only, cells named as cells.

The frames of notebook-routes and of the standard library (asyncio, the worker pool)
say nothing about the bug, so they are left out; a frame in a notebook cell is named the
way the front end numbers it (``In [5], line 2``), not by the temporary file a kernel
compiles the cell into (``/tmp/ipykernel_123/456.py``). The kernel tells this module
those names (`name_cell`, `set_cell_namer`); nothing here imports IPython.

>>> name_cell("<cell-7>", "In [7]", first_line=2)
>>> source = "def GET():\\n    return 1 / 0\\n"
>>> exec(compile(source, "<cell-7>", "exec"), namespace := {})
>>> try:
...     namespace["GET"]()
... except ZeroDivisionError as exc:
...     print(user_traceback(exc.with_traceback(exc.__traceback__.tb_next)))  # from GET on
Traceback (most recent call last):
  In [7], line 3, in GET
ZeroDivisionError: division by zero
"""

from __future__ import annotations

import os
import sysconfig
import traceback
from collections.abc import Callable

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_STDLIB = os.path.abspath(sysconfig.get_paths()["stdlib"]) + os.sep

# filename -> (label, number of the cell's first line): cells compiled by a %%route magic,
# whose first line (the magic's own) is not part of the compiled text.
_cells: dict[str, tuple[str, int]] = {}
_namer: Callable[[str], str | None] | None = None


def name_cell(filename: str, label: str, *, first_line: int = 1) -> None:
    """Show frames of `filename` as `label`; its line 1 is line `first_line` of the cell."""
    _cells[filename] = (label, first_line)


def set_cell_namer(namer: Callable[[str], str | None] | None) -> None:
    """Name other cells' files too (the kernel's own map of cell files to numbers)."""
    global _namer
    _namer = namer


def _where(filename: str, line: int) -> str:
    known = _cells.get(filename)
    if known is not None:
        return f"{known[0]}, line {line + known[1] - 1}"
    label = _namer(filename) if _namer is not None else None
    if label:
        return f"{label}, line {line}"
    return f'File "{filename}", line {line}'


def is_user_frame(filename: str) -> bool:
    """True for the user's code: not this package, not the standard library."""
    path = os.path.abspath(filename) if os.sep in filename else filename
    if path.startswith(_PACKAGE):
        return False
    in_stdlib = path.startswith(_STDLIB) and "-packages" not in path
    return not in_stdlib


def _format(error: traceback.TracebackException) -> list[str]:
    lines: list[str] = []
    if error.__cause__ is not None:
        lines += _format(error.__cause__)
        lines.append("\nThe above exception was the direct cause of the following exception:\n\n")
    elif error.__context__ is not None and not error.__suppress_context__:
        lines += _format(error.__context__)
        lines.append("\nDuring handling of the above exception, another exception occurred:\n\n")
    frames = [f for f in error.stack if is_user_frame(f.filename)]
    if frames:
        lines.append("Traceback (most recent call last):\n")
    for frame in frames:
        lines.append(f"  {_where(frame.filename, frame.lineno or 0)}, in {frame.name}\n")
        if frame.line:
            lines.append(f"    {frame.line.strip()}\n")
    lines += list(error.format_exception_only())
    return lines


def user_traceback(exc: BaseException) -> str:
    """`exc`'s traceback trimmed to the user's frames, without the last newline.

    An error with no user frame at all (our own check refusing what a handler produced,
    such as a streamed ``int``) keeps its whole traceback: there is nothing to trim to.
    """
    error = traceback.TracebackException.from_exception(exc)
    if not _has_user_frame(error):
        return "".join(error.format()).rstrip("\n")
    return "".join(_format(error)).rstrip("\n")


def _has_user_frame(error: traceback.TracebackException | None) -> bool:
    while error is not None:
        if any(is_user_frame(f.filename) for f in error.stack):
            return True
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    return False


__all__ = ["is_user_frame", "name_cell", "set_cell_namer", "user_traceback"]
