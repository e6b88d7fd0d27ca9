"""`notebook-routes export NOTEBOOK.ipynb --out DIR`: each `%%route` cell as a route.py file.

The exported folder, served by `notebook-routes serve`, must answer as the kernel did. The
end-to-end tests run a notebook in a real kernel, export it, serve the folder with the real
`notebook-routes serve`, and expect the same answers from both.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from notebook_routes._client import send
from notebook_routes._export import Cell, export_cells, export_command, notebook_cells
from tests.kernel import Kernel

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "routes_notebook.ipynb"


def cells(*sources: str) -> list[Cell]:
    return [Cell(number, source) for number, source in enumerate(sources, start=1)]


def exported(*sources: str) -> dict[str, str]:
    """Path -> text of what the cells export to."""
    return {f.path: f.text for f in export_cells(cells(*sources)).files}


# -- the same answers from the kernel and from the exported folder ----------------------

REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/api/hello", {}),
    ("POST", "/api/items", {"json": {"b": 1, "a": 2}}),
    ("PUT", "/api/items", {"json": [1]}),
    ("POST", "/api/items", {"body": "not json"}),
    ("GET", "/api/items", {}),
    ("HEAD", "/api/items", {}),
    ("OPTIONS", "/api/items", {}),
    ("PATCH", "/api/items", {}),
    ("DELETE", "/api/items/7", {}),
    ("GET", "/api/search?q=hey", {}),
    ("GET", "/api/list", {}),
    ("GET", "/shop/summer/Big%20Hat", {}),
    ("POST", "/shop/summer/hat", {}),
    ("GET", "/nowhere", {}),
]


def answer(url: str, method: str, path: str, kwargs: dict[str, Any]) -> tuple[Any, ...]:
    got = send(url, method, path, **kwargs)
    return got.status, got.content, got.headers.get("content-type"), got.headers.get("allow")


@pytest.fixture(scope="module")
def kernel_url() -> Iterator[str]:
    kernel = Kernel()
    try:
        for cell in notebook_cells(FIXTURE):
            kernel.ok(cell.source)
        yield kernel.url
    finally:
        kernel.shutdown()


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("export") / "app"


@pytest.fixture(scope="module")
def export_run(app_dir: Path) -> subprocess.CompletedProcess[str]:
    return export(FIXTURE, app_dir)


def export(notebook: Path, out: Path) -> subprocess.CompletedProcess[str]:
    """The real command line, in a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "notebook_routes", "export", str(notebook), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@contextmanager
def serving(app_dir: Path) -> Iterator[str]:
    """`notebook-routes serve app_dir` on a free port; yields its URL once every file loaded."""
    stderr = app_dir.parent / "serve-stderr.txt"
    process = subprocess.Popen(
        [sys.executable, "-m", "notebook_routes", "serve", str(app_dir), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=stderr.open("w"),
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if found := re.search(r"serving .* at (http://\S+)", line):
                assert stderr.read_text() == ""  # every exported route.py loaded
                yield found.group(1)
                break
        else:
            pytest.fail("serve did not start: " + stderr.read_text())
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="module")
def serve_url(app_dir: Path, export_run: subprocess.CompletedProcess[str]) -> Iterator[str]:
    with serving(app_dir) as url:
        yield url


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize(("method", "path", "kwargs"), REQUESTS)
def test_exported_folder_answers_as_the_kernel_did(kernel_url, serve_url, method, path, kwargs):
    assert answer(serve_url, method, path, kwargs) == answer(kernel_url, method, path, kwargs)


CATCH_ALL = (
    "%%route GET /docs/[...slug]\n"
    "return {'params': params, 'type': type(params).__name__, "
    "'slug': type(params['slug']).__name__}"
)


@pytest.mark.timeout(300)
def test_a_body_form_cell_and_its_route_py_get_the_same_params_for_a_catch_all(tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    notebook = tmp_path / "docs.ipynb"
    cells = [new_code_cell("%load_ext notebook_routes"), new_code_cell(CATCH_ALL)]
    nbformat.write(new_notebook(cells=cells), str(notebook))
    path = "/docs/guide/getting%20started/intro"
    kernel = Kernel()
    try:
        for cell in notebook_cells(notebook):
            kernel.ok(cell.source)
        from_kernel = kernel.http("GET", path)
    finally:
        kernel.shutdown()
    ran = export(notebook, tmp_path / "app")
    assert ran.returncode == 0, ran.stderr
    with serving(tmp_path / "app") as url:
        from_export = send(url, "GET", path)
    expected = {
        "params": {"slug": ["guide", "getting started", "intro"]},
        "type": "dict",
        "slug": "list",
    }
    assert (from_kernel.status, from_kernel.json()) == (200, expected)
    assert (from_export.status, from_export.json()) == (200, expected)


def test_export_prints_one_line_per_file(app_dir, export_run):
    assert export_run.returncode == 0, export_run.stderr
    assert export_run.stderr == ""
    out = str(app_dir)
    assert export_run.stdout.splitlines() == [
        f"wrote {out}/api/hello/route.py",
        f"wrote {out}/api/items/route.py",
        f"wrote {out}/api/items/[id]/route.py",
        f"wrote {out}/api/search/route.py",
        f"wrote {out}/api/list/route.py",
        f"wrote {out}/shop/[tag]/[item]/route.py",
        f"wrote {out}/about/page.html (a page: `notebook-routes serve` does not serve pages)",
        # beside app/, so that the folder deploys as it is (uvicorn asgi:app)
        f"wrote {app_dir.parent}/asgi.py",
        f"wrote {app_dir.parent}/requirements.txt",
    ]
    assert Path(out, "about", "page.html").read_text() == "<h1>About</h1>\n"


# -- body form, module form, and cells that add up ----------------------------------------


def test_two_methods_on_one_line_make_one_function_and_an_alias():
    files = exported("%%route POST PUT /things\nreturn request.method")
    assert files["things/route.py"] == (
        "# /things: from cell 1 of the notebook (notebook-routes export)\n"
        "\n\n"
        "# cell 1: %%route POST PUT /things\n"
        "async def POST(request, context):\n"
        "    params = await context.params\n"
        "    return request.method\n"
        "\n\n"
        "PUT = POST\n"
    )


def test_later_cells_replace_the_methods_they_name_and_add_the_others():
    files = exported(
        "%%route GET POST /x\nreturn 'first'",
        "%%route GET /x\nreturn 'second'",
        "%%route DELETE /x/\nreturn 'third'",
    )
    text = files["x/route.py"]
    assert "# /x: from cells 1, 2, 3 of" in text
    assert "async def POST(request, context):\n    params = await context.params\n" in text
    assert "return 'first'" in text and "GET = POST" not in text
    assert "async def GET(request, context):\n    params = await context.params\n" in text
    assert "async def DELETE(" in text


def test_a_module_form_cell_replaces_the_route_and_is_written_as_is():
    module = "from __future__ import annotations\n\ndef GET():\n    return Response('m')\n"
    files = exported("%%route GET /m\nreturn 'gone'", f"%%route /m\n{module}")
    assert files["m/route.py"] == (
        "# /m: from cell 2 of the notebook (notebook-routes export)\n"
        "\n"
        "from __future__ import annotations\n"
        "\n"
        "from notebook_routes import Response\n"
        "\n\n"
        "# cell 2: %%route /m\n"
        "def GET():\n"
        "    return Response('m')\n"
    )


def test_body_lines_inside_multiline_strings_are_not_indented():
    files = exported('%%route GET /s\nhtml = """<p>\n  one\n</p>"""\nreturn html')
    assert '    html = """<p>\n  one\n</p>"""\n    return html\n' in files["s/route.py"]


def test_cells_that_never_registered_are_not_exported_and_say_why():
    result = export_cells(
        cells(
            "%%route GET /c/[...rest]/more\nreturn 1",
            "%%route GRT /x\nreturn 1",
            "%%route GET /y\nreturn (",
            "%%route GET /_private\nreturn 1",
        )
    )
    assert result.files == ()
    assert result.warnings[:3] == (
        "warning: cell 1 (%%route GET /c/[...rest]/more) is not exported: "
        'Catch-all must be the last part of the URL in route "/c/[...rest]/more".',
        "warning: cell 2 (%%route GRT /x) is not exported: unknown HTTP method 'GRT'",
        "warning: cell 3 (%%route GET /y) is not exported: "
        "SyntaxError in the cell, line 1: '(' was never closed",
    )
    assert "private folder" in result.warnings[3]


# -- notebook globals --------------------------------------------------------------------


def test_globals_are_carried_over_with_their_dependencies_in_notebook_order():
    files = exported(
        "import json\nfrom datetime import date\nLIMIT = 3",
        "def shout(text):\n    return text.upper() + '!' * LIMIT",
        "%%route GET /a\nreturn json.dumps(shout(WORD))",
        "UNUSED = 1\nWORD = 'hey'",
    )
    assert files["a/route.py"] == (
        "# /a: from cell 3 of the notebook (notebook-routes export)\n"
        "\n\n"
        "# carried over from cell 1\n"
        "import json\n"
        "LIMIT = 3\n"
        "\n\n"
        "# carried over from cell 2\n"
        "def shout(text):\n"
        "    return text.upper() + '!' * LIMIT\n"
        "\n\n"
        "# carried over from cell 4\n"
        "WORD = 'hey'\n"
        "\n\n"
        "# cell 3: %%route GET /a\n"
        "async def GET(request, context):\n"
        "    params = await context.params\n"
        "    return json.dumps(shout(WORD))\n"
    )


def test_every_definition_of_a_name_is_carried_in_order_as_run_all_would():
    files = exported(
        "COUNT = 1",
        "%%route GET /n\nreturn {'n': COUNT}",
        "COUNT = COUNT + 1",
    )
    assert (
        "# carried over from cell 1\nCOUNT = 1\n\n\n# carried over from cell 3\n"
        in (files["n/route.py"])
    )


def test_a_name_no_cell_defines_is_a_warning_and_a_comment():
    result = export_cells(cells("%%route GET /x\nreturn {'v': SECRET, 'n': len(params)}"))
    assert result.warnings == (
        "warning: route.py for /x uses SECRET, which no notebook cell defines",
    )
    (file,) = result.files
    assert file.text.splitlines()[1] == (
        "# Not defined by any notebook cell (define or import them here): SECRET"
    )


def test_magics_shell_escapes_and_top_level_await_are_not_carried_over():
    result = export_cells(
        cells(
            "%load_ext notebook_routes\nimport json\nFILES = !ls",
            "%%capture\nHIDDEN = 1",
            "import asyncio\nAWAITED = await asyncio.sleep(0, 'top-level await')",
            "%%route GET /x\nreturn json.dumps([FILES, HIDDEN, AWAITED])",
        )
    )
    assert result.warnings == (
        "warning: route.py for /x uses AWAITED, which no notebook cell defines",
        "warning: route.py for /x uses FILES, which no notebook cell defines",
        "warning: route.py for /x uses HIDDEN, which no notebook cell defines",
    )
    assert "# carried over from cell 1\nimport json\n" in result.files[0].text
    assert "get_ipython" not in result.files[0].text


def test_prelude_names_are_imported_and_module_names_are_not_carried():
    files = exported(
        "helper = 'notebook helper'",
        "%%route /x\n"
        "def helper():\n"
        "    return 1\n"
        "async def GET():\n"
        "    return NextResponse.json(helper())",
    )
    text = files["x/route.py"]
    assert "from notebook_routes import NextResponse\n" in text
    assert "carried over" not in text


# -- the command -------------------------------------------------------------------------


def test_a_folder_that_is_not_empty_is_refused_unless_forced(tmp_path):
    out = tmp_path / "app"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    stdout, stderr = io.StringIO(), io.StringIO()
    assert export_command(FIXTURE, out, stdout=stdout, stderr=stderr) == 2
    assert stderr.getvalue() == (
        f"error: {out} is not empty; choose a new folder, empty this one, "
        "or pass --force to write over the files in it\n"
    )
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]

    assert export_command(FIXTURE, out, force=True, stdout=stdout, stderr=stderr) == 0
    assert (out / "api" / "hello" / "route.py").is_file()
    assert (out / "keep.txt").read_text() == "mine"


def test_a_notebook_without_route_cells_exports_nothing(tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    notebook = tmp_path / "plain.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1")]), str(notebook))
    stderr = io.StringIO()
    assert export_command(notebook, tmp_path / "out", stderr=stderr) == 1
    assert stderr.getvalue() == f"error: {notebook} has no %%route or %%page cells to export\n"
    assert not (tmp_path / "out").exists()


# -- the production recipe of the README: export, then uvicorn with 2 workers ------------


@pytest.fixture(scope="module")
def uvicorn_url(app_dir: Path, export_run: subprocess.CompletedProcess[str]) -> Iterator[str]:
    """``cd <beside app/> && uvicorn asgi:app --workers 2``, as the README says."""
    from notebook_routes._servers import free_port

    port = free_port("127.0.0.1")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "asgi:app", "--workers", "2", "--port", str(port)],
        cwd=app_dir.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if send(url, "GET", "/api/hello", timeout=2).status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                process.terminate()
                pytest.fail("uvicorn did not start: " + (process.communicate(timeout=10)[1]))
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(15)


@pytest.mark.timeout(300)
@pytest.mark.parametrize(("method", "path", "kwargs"), REQUESTS)
def test_the_exported_folder_on_uvicorn_with_two_workers_answers_as_the_kernel_did(
    kernel_url, uvicorn_url, method, path, kwargs
):
    assert answer(uvicorn_url, method, path, kwargs) == answer(kernel_url, method, path, kwargs)
