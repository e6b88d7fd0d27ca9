"""`notebook-routes run NOTEBOOK.ipynb` (issue 3, item 8): a headless kernel serves the routes.

Each test starts the real command as a subprocess, waits for its "running" line, sends real
HTTP requests, then stops it with a signal, as a terminal or a process manager would.
"""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from notebook_routes._client import ClientResponse, send
from notebook_routes._run import run_notebook

pytestmark = pytest.mark.timeout(300)

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "routes_notebook.ipynb"


@dataclass
class Running:
    process: subprocess.Popen[str]
    url: str
    stdout: list[str]
    stderr_file: Path

    @property
    def stderr(self) -> str:
        return self.stderr_file.read_text()

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def request(self, method: str, path: str, **kwargs: object) -> ClientResponse:
        return send(self.url, method, path, **kwargs)  # type: ignore[arg-type]


def start(notebook: Path, tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "notebook_routes", "run", str(notebook), *args],
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "stderr.txt").open("w"),
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


@contextmanager
def running(notebook: Path, tmp_path: Path, *args: str) -> Iterator[Running]:
    process = start(notebook, tmp_path, "--port", "0", *args)
    try:
        lines = []
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if found := re.search(r"^notebook-routes running .* at (http://\S+)$", line):
                yield Running(process, found.group(1), lines, tmp_path / "stderr.txt")
                break
        else:
            pytest.fail(
                "run did not start:\n" + "\n".join(lines) + (tmp_path / "stderr.txt").read_text()
            )
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(30)


def write_notebook(path: Path, *cells: str) -> Path:
    """A notebook with a markdown cell first, so code cells are numbered from 2."""
    nb = new_notebook(cells=[new_markdown_cell("# test"), *map(new_code_cell, cells)])
    nbformat.write(nb, str(path))
    return path


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.mark.slow  # starts a kernel
def test_run_serves_the_notebook_until_interrupted(tmp_path):
    with running(FIXTURE, tmp_path) as run:
        assert run.stdout[-1] == f"notebook-routes running {FIXTURE} at {run.url}"
        assert f"GET HEAD OPTIONS /api/hello  ƒ dynamic  {run.url}/api/hello" in run.stdout
        assert f"GET HEAD OPTIONS page /about  ƒ dynamic  {run.url}/about" in run.stdout

        hello = run.request("GET", "/api/hello")
        assert (hello.status, hello.json()) == (200, {"message": "HELLO!!!"})
        created = run.request("POST", "/api/items", json={"b": 1, "a": 2})
        assert (created.status, created.json()) == (
            201,
            {"method": "POST", "dumped": '{"a": 2, "b": 1}'},
        )
        # ITEMS is defined in a cell after the route's: globals are read when a request comes.
        assert run.request("GET", "/api/items").json() == {"items": ["a", "b", "c"]}
        assert run.request("GET", "/shop/summer/Big%20Hat").json() == {
            "tag": "summer",
            "item": "big-hat",
            "greeting": "hello",
        }
        assert run.request("GET", "/about").text == "<h1>About</h1>"

        run.process.send_signal(signal.SIGINT)
        assert run.process.wait(60) == 0
        assert port_is_free(run.port)
        assert "error:" not in run.stderr


@pytest.mark.slow  # starts a kernel
def test_failing_cells_are_reported_and_the_others_still_served(tmp_path):
    notebook = write_notebook(
        tmp_path / "failing.ipynb",
        "%load_ext notebook_routes",
        "%%route GET /c/[...rest]/more\nreturn 'never'",
        "1 / 0",
        "%%route GET /ok\nreturn 'still served'",
        "import time\ntime.sleep(600)",
        "%%route GET /after\nreturn 'after the timeout'",
    )
    with running(notebook, tmp_path, "--timeout", "3") as run:
        errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
        assert errors == [
            'error: cell 3: UsageError: Catch-all must be the last part of the URL in route "/c/[...rest]/more".',  # noqa: E501
            "error: cell 4: ZeroDivisionError: division by zero",
            "error: cell 6: interrupted after 3 s (--timeout)",
        ]
        assert run.request("GET", "/ok").text == "still served"
        assert run.request("GET", "/after").text == "after the timeout"
        assert run.request("GET", "/c/x/more").status == 404

        run.process.send_signal(signal.SIGTERM)
        assert run.process.wait(60) == 0
        assert port_is_free(run.port)


@pytest.mark.slow  # starts a kernel
def test_a_kernel_that_dies_ends_the_run_with_exit_code_1(tmp_path):
    notebook = write_notebook(
        tmp_path / "dies.ipynb",
        "%%route GET /x\nreturn 'x'",
        "import os\nos._exit(3)",
        "%%route GET /never\nreturn 'never'",
    )
    process = start(notebook, tmp_path, "--port", "0")
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 1
    assert "notebook-routes running" not in out
    assert "error: the kernel died while running cell 3" in (tmp_path / "stderr.txt").read_text()


@pytest.mark.slow  # starts a kernel
def test_a_kernel_that_dies_while_serving_ends_the_run_with_exit_code_1(tmp_path):
    notebook = write_notebook(tmp_path / "dies.ipynb", "%%route GET /die\nimport os\nos._exit(1)")
    with running(notebook, tmp_path) as run:
        with pytest.raises(OSError):  # the connection drops with the kernel
            run.request("GET", "/die")
        assert run.process.wait(60) == 1
        assert "error: the kernel died; its routes are no longer served" in run.stderr


@pytest.mark.slow  # starts a kernel
def test_a_port_in_use_is_an_error_that_names_it(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = start(FIXTURE, tmp_path, "--port", str(port))
        process.communicate(timeout=120)
    assert process.returncode == 1
    stderr = (tmp_path / "stderr.txt").read_text()
    assert f"error: cannot start the server on 127.0.0.1:{port}: OSError:" in stderr


def test_a_missing_notebook_is_exit_code_2(tmp_path):
    err = io.StringIO()
    assert run_notebook(tmp_path / "nowhere.ipynb", stderr=err) == 2
    assert err.getvalue() == (
        f"error: {tmp_path / 'nowhere.ipynb'}: no such file; give the path of an .ipynb file\n"
    )


def test_a_timeout_must_be_positive(tmp_path):
    err = io.StringIO()
    assert run_notebook(FIXTURE, timeout=0, stderr=err) == 2
    assert "--timeout must be a number of seconds above 0, not 0" in err.getvalue()
