"""Shared fixtures: a real server on a loopback port for an `App` a test builds."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from notebook_routes import App, Server
from notebook_routes._client import ClientResponse, send


@dataclass
class Live:
    """A running server and a client for it."""

    app: App
    server: Server

    def request(self, method: str, path: str, **kwargs: object) -> ClientResponse:
        return send(self.server.url, method, path, **kwargs)  # type: ignore[arg-type]

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)


@pytest.fixture
def live() -> Iterator[Live]:
    app = App()
    server = Server(app).start()
    try:
        yield Live(app, server)
    finally:
        server.stop()


@pytest.fixture(params=["tornado", "uvicorn"])
def served(request: pytest.FixtureRequest) -> Iterator[Live]:
    """A `Live` on the embedded tornado server, then on uvicorn through `notebook_routes.asgi`:
    the suites that use it hold both adapters to the same answers."""
    app = App()
    if request.param == "tornado":
        server = Server(app).start()
    else:
        from tests.asgi_server import UvicornServer

        server = UvicornServer(app).start()  # type: ignore[assignment]
    try:
        yield Live(app, server)
    finally:
        server.stop()
