"""Shared fixtures: a real server on a loopback port for an `App` a test builds, and a real
kernel for the tests of a module. Tests that need a kernel, a browser or Binder are marked
``slow``, so ``pytest -m "not slow"`` is the quick inner loop."""

from __future__ import annotations

import http.client
import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from notebook_routes import App, Server
from notebook_routes._client import ClientResponse, send
from tests.kernel import Kernel


@dataclass
class Live:
    """A running server and a client for it."""

    app: App
    server: Server

    def request(self, method: str, path: str, **kwargs: object) -> ClientResponse:
        return send(self.server.url, method, path, **kwargs)  # type: ignore[arg-type]

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)


# Kernels started by tests take any free port: only the test of the port choice itself
# (which removes this variable) asks for 3000, so no other test's kernel races it there.
os.environ.setdefault("NOTEBOOK_ROUTES_PORT", "0")


@pytest.fixture
def live() -> Iterator[Live]:
    app = App()
    server = Server(app).start()
    try:
        yield Live(app, server)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def kernel(request: pytest.FixtureRequest) -> Iterator[Kernel]:
    """A real kernel with the extension loaded, shared by the tests of one module.

    A module that wants more cells run first lists them in ``KERNEL_SETUP``::

        KERNEL_SETUP = ["%%route GET /kept\\nreturn 'kept'"]
    """
    k = Kernel()
    try:
        k.ok("%load_ext notebook_routes")
        for cell in getattr(request.module, "KERNEL_SETUP", ()):
            k.ok(cell)
        yield k
    finally:
        k.shutdown()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A test that asks for the shared kernel, and each nbval cell (a notebook run on a fresh
    # kernel), is slow; tests that start a kernel, a browser or Binder themselves say so.
    for item in items:
        if item.path.suffix == ".ipynb" or "kernel" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


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
