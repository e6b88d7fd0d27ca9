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


ASGI_MARK = "# written by notebook-routes export"


def deploy_files(out: Path) -> dict[str, str]:
    """``asgi.py`` and ``requirements.txt``, written beside the app folder `out`, so that the
    folder deploys as it is: ``uvicorn asgi:app --workers 4``.

    >>> sorted(deploy_files(Path("site/app")))
    ['asgi.py', 'requirements.txt']
    """
    from notebook_routes import __version__

    asgi = f"""{ASGI_MARK}
\"\"\"The ASGI app of the routes in {out.name}/ beside this file.

    uvicorn asgi:app --workers 4
    gunicorn -k uvicorn_worker.UvicornWorker -w 4 asgi:app

Set NOTEBOOK_ROUTES_CACHE=redis://HOST:6379/0 to share one cache between workers and hosts.
\"\"\"

from pathlib import Path

from notebook_routes.asgi import create_app

app = create_app(Path(__file__).resolve().parent / {out.name!r})
"""
    requirements = f"""{ASGI_MARK}
notebook-routes[uvicorn]>={__version__}
# For a cache shared by every worker and host (NOTEBOOK_ROUTES_CACHE=redis://...):
# notebook-routes[uvicorn,redis]>={__version__}
# Add here the packages your routes import.
"""
    return {"asgi.py": asgi, "requirements.txt": requirements}


def write_deploy_files(out: Path, *, force: bool = False) -> tuple[list[Path], list[str]]:
    """Write `deploy_files` beside `out`; a file there that we did not write is kept
    (unless `force`). Returns the files written and a warning per file kept."""
    written, kept = [], []
    for name, text in deploy_files(out).items():
        target = out.resolve().parent / name
        if target.exists() and not force:
            current = target.read_text(encoding="utf-8", errors="replace")
            if not current.startswith(ASGI_MARK):
                kept.append(f"warning: kept {target} (not written by export; --force replaces it)")
                continue
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written, kept


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
        beside, kept = write_deploy_files(Path(out), force=force)
        written += beside
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
    for warning in kept:
        print(warning, file=stderr)
    return 0
