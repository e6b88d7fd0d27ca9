"""Reading a notebook for the export: its code cells, numbered as the notebook shows them.

>>> Cell(2, "x = 1")
Cell(number=2, source='x = 1')
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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
