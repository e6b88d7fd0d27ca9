"""Replay and export of requests, round-tripped: requests made in a real kernel, sent again
with `replay()`, written as HAR (read back by haralyzer) and as a pytest file that passes
against `notebook-routes serve` of the exported app and fails after a route changes."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tests.kernel import Kernel

pytestmark = pytest.mark.timeout(240)

ITEMS = """%%route GET POST /items/[slug]
import json as _json
if request.method == "POST":
    data = await request.json()
    return Response.json({"slug": params["slug"], "saved": data}, status=201)
return Response.json({"slug": params["slug"], "q": request.next_url.search_params.get("q")})
"""
NOTE = """%%route GET /note
return Response("plain text", headers={"Content-Type": "text/plain; charset=utf-8"})
"""


@pytest.fixture(scope="module")
def explored(tmp_path_factory: pytest.TempPathFactory):
    """A notebook explored in a kernel: its routes, requests, and what was exported."""
    folder = tmp_path_factory.mktemp("explore")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(c) for c in ("%load_ext notebook_routes", ITEMS, NOTE)
    ]
    nbformat.write(notebook, folder / "explore.ipynb")
    kernel = Kernel()
    try:
        for cell in notebook.cells:
            kernel.ok(cell.source)
        kernel.ok(
            "import notebook_routes as nr\n"
            "nr.request('GET', '/items/pen?q=blue')\n"
            "nr.request('POST', '/items/pen', json={'colour': 'blue'})\n"
            "nr.request('GET', '/note')\n"
            "nr.request('GET', '/nothing')\n"
        )
        replayed = kernel.value(
            "(lambda r: (r.before.status, r.after.status, r.same_body))(nr.replay(1))"
        )
        kernel.ok("from notebook_routes._replay import curl_command")
        curl = kernel.value("curl_command(list(nr.default_app().log)[1])")
        kernel.ok(
            f"nr.export_har({str(folder / 'explore.har')!r})\n"
            f"nr.export_tests({str(folder / 'test_explore.py')!r}, app_dir={str(folder / 'app')!r})"
        )
        url = kernel.url
    finally:
        kernel.shutdown()
    exported = subprocess.run(
        [
            sys.executable,
            "-m",
            "notebook_routes",
            "export",
            str(folder / "explore.ipynb"),
            "--out",
            str(folder / "app"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert exported.returncode == 0, exported.stderr
    return {"folder": folder, "replayed": replayed, "curl": curl, "url": url}


def test_replay_sends_the_same_request_again(explored) -> None:
    assert explored["replayed"] == (201, 201, True)


def test_copy_as_curl(explored) -> None:
    words = shlex.split(explored["curl"])
    assert words[:3] == ["curl", "-X", "POST"]
    assert words[3] == explored["url"] + "/items/pen"
    assert "Content-Type: application/json" in words
    assert words[-2:] == ["--data-binary", '{"colour":"blue"}']


def test_the_har_file_reads_in_a_har_library(explored) -> None:
    from haralyzer import HarEntry, HarParser

    path = explored["folder"] / "explore.har"
    parser = HarParser.from_file(str(path))
    assert (parser.version, parser.creator["name"]) == ("1.2", "notebook-routes")
    entries = [HarEntry(e) for e in json.loads(path.read_text())["log"]["entries"]]
    url = explored["url"]
    assert [(e.request.method, e.url, e.status) for e in entries][:4] == [
        ("GET", url + "/items/pen?q=blue", 200),
        ("POST", url + "/items/pen", 201),
        ("GET", url + "/note", 200),
        ("GET", url + "/nothing", 404),
    ]
    assert entries[0].request.queryString == [{"name": "q", "value": "blue"}]
    post = entries[1]
    assert (post.request.mimeType, post.request.text) == ("application/json", '{"colour":"blue"}')
    assert json.loads(post.response.text) == {"slug": "pen", "saved": {"colour": "blue"}}
    assert entries[2].response.mimeType == "text/plain; charset=utf-8"
    assert entries[2].response.text == "plain text"
    assert entries[0].startTime.tzinfo is not None


def run_suite(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            str(folder / "test_explore.py"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=folder,
        env={k: v for k, v in os.environ.items() if k != "NOTEBOOK_ROUTES_URL"},
    )


def test_the_exported_tests_pass_then_catch_a_change(explored) -> None:
    folder = explored["folder"]
    green = run_suite(folder)
    assert green.returncode == 0, green.stdout + green.stderr
    assert "4 passed" in green.stdout  # 3 requests and the replay; the 404 reached no route
    route = folder / "app" / "items" / "[slug]" / "route.py"
    route.write_text(route.read_text().replace('"q":', '"query":'))
    red = run_suite(folder)
    assert red.returncode == 1
    assert "1 failed, 3 passed" in red.stdout
