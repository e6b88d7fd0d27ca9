"""`notebook-routes dev DIR`: files edited under a running dev server, answered over HTTP."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from notebook_routes._client import ClientResponse, send

pytestmark = pytest.mark.timeout(120)
WAIT_S = 30.0  # a generous bound for the watcher to notice, on a busy machine

HELLO = 'def GET(request):\n    return {"version": %d}\n'


class Dev:
    def __init__(self, folder: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "notebook_routes", "dev", str(folder), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        found = self.expect(r"serving .* at (http://\S+)")
        self.url = found.group(1)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def expect(self, pattern: str) -> re.Match[str]:
        """The next output line matching `pattern` (earlier lines are kept in `seen`)."""
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            self.seen.append(line)
            if found := re.search(pattern, line):
                return found
        raise AssertionError(
            f"no line matching {pattern!r}; output so far:\n" + "\n".join(self.seen)
        )

    def get(self, path: str) -> ClientResponse:
        return send(self.url, "GET", path)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture
def app_folder(tmp_path: Path) -> Path:
    (tmp_path / "hello").mkdir()
    (tmp_path / "hello" / "route.py").write_text(HELLO % 1)
    return tmp_path


@pytest.fixture
def dev(app_folder: Path) -> Iterator[Dev]:
    server = Dev(app_folder)
    try:
        yield server
    finally:
        server.stop()


def until(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():
        assert time.monotonic() < deadline, "the change was not picked up"
        time.sleep(0.1)


def test_a_changed_file_is_reloaded_in_place(dev: Dev, app_folder: Path) -> None:
    assert dev.get("/hello").json() == {"version": 1}
    (app_folder / "hello" / "route.py").write_text(HELLO % 2)
    dev.expect(r"reloaded /hello \(.*hello/route\.py\)")
    assert dev.get("/hello").json() == {"version": 2}


def test_an_added_and_a_removed_file(dev: Dev, app_folder: Path) -> None:
    (app_folder / "items" / "[slug]").mkdir(parents=True)
    (app_folder / "items" / "[slug]" / "route.py").write_text(
        "def GET(request, context):\n    return {'slug': context.params['slug']}\n"
    )
    dev.expect(r"added /items/\[slug\]")
    assert dev.get("/items/pen").json() == {"slug": "pen"}
    (app_folder / "hello" / "route.py").unlink()
    dev.expect(r"removed /hello")
    assert dev.get("/hello").status == 404
    assert dev.get("/items/pen").status == 200


def test_a_broken_file_leaves_the_old_route_serving(dev: Dev, app_folder: Path) -> None:
    url = dev.url
    (app_folder / "hello" / "route.py").write_text("def GET(request):\n    return {\n")
    found = dev.expect(r"error: .*hello/route\.py: SyntaxError")
    assert "the old /hello keeps serving" in found.string
    assert dev.get("/hello").json() == {"version": 1}
    (app_folder / "hello" / "route.py").write_text("POST = 3\n")
    found = dev.expect(r"error: .*hello/route\.py: POST in route /hello is a int")
    assert dev.get("/hello").json() == {"version": 1}
    (app_folder / "hello" / "route.py").write_text(HELLO % 3)
    dev.expect(r"reloaded /hello")
    assert dev.get("/hello").json() == {"version": 3}
    assert dev.url == url


def test_conflicts_are_printed_as_they_appear_and_go(dev: Dev, app_folder: Path) -> None:
    (app_folder / "(shop)" / "hello").mkdir(parents=True)
    twin = app_folder / "(shop)" / "hello" / "route.py"
    twin.write_text(HELLO % 9)
    found = dev.expect(r"^conflict error: ")
    assert "/hello" in found.string
    until(lambda: dev.get("/hello").status == 500)
    twin.unlink()
    dev.expect(r"^resolved error: ")
    assert dev.get("/hello").json() == {"version": 1}


def test_a_request_in_flight_finishes_on_the_old_handler(dev: Dev, app_folder: Path) -> None:
    gate, entered = app_folder / "gate", app_folder / "entered"
    (app_folder / "slow").mkdir()
    (app_folder / "slow" / "route.py").write_text(
        "import asyncio, pathlib\n"
        "async def GET(request):\n"
        f"    pathlib.Path({str(entered)!r}).write_text('yes')\n"
        f"    while not pathlib.Path({str(gate)!r}).exists():\n"
        "        await asyncio.sleep(0.05)\n"
        "    return {'handler': 'old'}\n"
    )
    dev.expect(r"added /slow")
    answers: list[ClientResponse] = []
    waiting = threading.Thread(target=lambda: answers.append(dev.get("/slow")))
    waiting.start()
    until(entered.exists)  # the request is in the old handler now
    (app_folder / "slow" / "route.py").write_text(
        "def GET(request):\n    return {'handler': 'new'}\n"
    )
    dev.expect(r"reloaded /slow")
    assert dev.get("/slow").json() == {"handler": "new"}
    gate.write_text("open")
    waiting.join(WAIT_S)
    assert answers[0].json() == {"handler": "old"}
