"""Writing the export to disk, and the ``notebook-routes export`` command around it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from notebook_routes._export.notebook import NotebookError, notebook_cells
from notebook_routes._export.plan import Export, export_cells


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
