"""Routes opened from the browser under JupyterHub/Binder, through a real ``jupyter server``.

There the kernel has ``JUPYTERHUB_SERVICE_PREFIX`` set, ``server().public_url(path)`` (and
every link a ``%%route`` cell prints) is ``{prefix}proxy/{port}{path}``, and
jupyter-server-proxy forwards it to the notebook's server on loopback. Each test sends what a
browser would, with the Jupyter server's token, to a server started with that ``base_url``.
"""

from __future__ import annotations

import asyncio
import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from notebook_routes import App, Response, Server
from tests.kernel import Kernel

pytest.importorskip("jupyter_server_proxy")
pytestmark = pytest.mark.timeout(180)

PREFIX = "/user/ada/"  # JupyterHub's base_url for the user "ada", as on mybinder.org


@dataclass
class Jupyter:
    """A running ``jupyter server`` at ``http://127.0.0.1:{port}{PREFIX}``."""

    port: int
    token: str

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def request(
        self,
        method: str,
        url: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        *,
        token: bool = True,
    ) -> tuple[int, dict[str, str], bytes]:
        """Send `url` (a path such as ``public_url()`` gives) as the browser would."""
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"token {self.token}"
        connection = self.connection()
        try:
            connection.request(method, url, body=body, headers=sent)
            answer = connection.getresponse()
            return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
        finally:
            connection.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def jupyter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Jupyter]:
    home = tmp_path_factory.mktemp("jupyter")
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        # The user's own Jupyter config stays out of it; the environment's (which enables
        # jupyter-server-proxy when it is installed) applies, as on Binder.
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
    }
    env.pop("JUPYTERHUB_SERVICE_PREFIX", None)
    log = (home / "server.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter_server",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.base_url={PREFIX}",
            f"--IdentityProvider.token={token}",
            "--ServerApp.open_browser=False",
            "--ServerApp.allow_root=True",  # containers and CI often run as root
            f"--ServerApp.root_dir={home}",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    running = Jupyter(port, token)
    try:
        _wait_until_up(running, server, home / "server.log")
        yield running
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)
        log.close()


def _wait_until_up(jupyter: Jupyter, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"jupyter server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if jupyter.request("GET", f"{PREFIX}api/status")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"jupyter server did not answer within 60 s:\n{log.read_text()}")


GATE = threading.Event()  # the streaming test releases the second chunk once it has the first


async def _hello() -> Response:
    return Response.json({"message": "Hello World"})


async def _echo(request) -> Response:
    return Response.json(
        {"got": await request.json(), "x-from": request.headers.get("x-from")},
        status=201,
        headers={"X-Route": "echo"},
    )


async def _events() -> Response:
    async def stream():
        yield "data: one\n\n"
        released = await asyncio.to_thread(GATE.wait, 20)
        yield "data: two\n\n" if released else "data: the proxy held the first chunk back\n\n"

    return Response(stream(), headers={"Content-Type": "text/event-stream"})


@pytest.fixture(scope="module")
def routes() -> Iterator[Server]:
    app = App()
    app.add("/api/hello", {"GET": _hello})
    app.add("/api/echo", {"POST": _echo})
    app.add("/api/events", {"GET": _events})
    server = Server(app).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def under_jupyterhub(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", PREFIX)


def test_public_url_opens_the_route_through_the_proxy(jupyter, routes, under_jupyterhub):
    url = routes.public_url("/api/hello")
    assert url == f"{PREFIX}proxy/{routes.port}/api/hello"
    status, headers, body = jupyter.request("GET", url)
    assert (status, body) == (200, b'{"message":"Hello World"}')
    assert headers["content-type"] == "application/json"


def test_the_proxy_asks_for_jupyters_own_login(jupyter, routes, under_jupyterhub):
    # Only the notebook's user reaches the routes: without the token, Jupyter's login page.
    url = routes.public_url("/api/hello")
    status, headers, body = jupyter.request("GET", url, token=False)
    assert status == 302
    assert headers["location"] == f"{PREFIX}login?next={quote(url, safe='')}"
    assert b"Hello World" not in body


def test_methods_bodies_and_headers_pass_through(jupyter, routes, under_jupyterhub):
    status, headers, body = jupyter.request(
        "POST",
        routes.public_url("/api/echo"),
        body=b'{"name": "hat"}',
        headers={"Content-Type": "application/json", "X-From": "browser"},
    )
    assert (status, body) == (201, b'{"got":{"name":"hat"},"x-from":"browser"}')
    assert headers["x-route"] == "echo"
    status, headers, _ = jupyter.request("PUT", routes.public_url("/api/echo"))
    assert (status, headers["allow"]) == (405, "OPTIONS, POST")


def test_a_redirect_stays_under_the_proxy(jupyter, routes, under_jupyterhub):
    # The server's 308 to the normalised path names "/api/hello"; the proxy puts it back
    # under its own prefix, so the browser does not leave the proxy.
    status, headers, _ = jupyter.request("GET", routes.public_url("/api/hello/"))
    assert (status, headers["location"]) == (308, routes.public_url("/api/hello"))


def test_an_event_stream_arrives_chunk_by_chunk(jupyter, routes, under_jupyterhub):
    GATE.clear()
    connection = jupyter.connection()
    try:
        connection.request(
            "GET",
            routes.public_url("/api/events"),
            headers={"Authorization": f"token {jupyter.token}", "Accept": "text/event-stream"},
        )
        answer = connection.getresponse()
        assert answer.status == 200
        first = answer.read1(65536)  # the route has sent only this much so far
        GATE.set()
        rest = answer.read()
    finally:
        connection.close()
    assert first == b"data: one\n\n"
    assert rest == b"data: two\n\n"


@pytest.mark.slow  # starts a kernel
def test_the_link_a_route_cell_prints_opens_through_the_proxy(jupyter):
    kernel = Kernel(env={**os.environ, "JUPYTERHUB_SERVICE_PREFIX": PREFIX})
    try:
        kernel.ok("%load_ext notebook_routes")
        out = kernel.ok("%%route GET /api/from-a-cell\nreturn {'opened': 'from the link'}")
        link = re.search(r'<a href="([^"]+)"', out.html)
        assert link is not None, out.html
        assert link.group(1).startswith(f"{PREFIX}proxy/")
        status, _, body = jupyter.request("GET", link.group(1))
        assert (status, body) == (200, b'{"opened":"from the link"}')
    finally:
        kernel.shutdown()
