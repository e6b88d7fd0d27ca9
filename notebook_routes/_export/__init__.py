"""``notebook-routes export NOTEBOOK.ipynb --out app/``: a notebook's routes as an ``app/`` folder.

Every ``%%route`` cell becomes ``app/<PATH folders>/route.py``, which ``notebook-routes serve``
answers the way the kernel did:

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

Cells are numbered by their position in the notebook, markdown cells included. The
magic line and the body-form template are read and written by `notebook_routes._cell_source`,
as in the kernel. The export's parts, in the order they run:

- `notebook`: the notebook's code cells;
- `replay`: the route and page cells replayed in order (what each ``route.py`` holds);
- `names`: what a route reads, and the notebook statements that define it;
- `render`: one route's ``route.py`` text;
- `plan`: all of it in memory (`export_cells`); `command`: writing it, and the CLI command.

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

from notebook_routes._export.command import export_command, export_notebook, write_export
from notebook_routes._export.names import defined_names, free_names
from notebook_routes._export.notebook import Cell, NotebookError, notebook_cells
from notebook_routes._export.plan import Export, export_cells
from notebook_routes._export.render import ExportedFile

__all__ = [
    "Cell",
    "Export",
    "ExportedFile",
    "NotebookError",
    "defined_names",
    "export_cells",
    "export_command",
    "export_notebook",
    "free_names",
    "notebook_cells",
    "write_export",
]
