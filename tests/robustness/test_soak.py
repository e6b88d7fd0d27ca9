"""Soak (issue 7, item 6): 20,000 requests of every kind; the request log stays at its bound
and the resident memory of the process running the server grows by less than 20 MB."""

from __future__ import annotations

import asyncio
import http.client
import itertools
import threading
from collections.abc import AsyncIterator

import pytest

from notebook_routes import App, NextRequest, Response, Server
from tests.robustness import open_fds, resident_bytes, settles

pytestmark = pytest.mark.timeout(240)

REQUESTS = 20_000
CLIENTS = 4
MiB = 1024 * 1024

# (method, path, body, expected status): answers, errors with tracebacks, streams, the cache
MIX = [
    ("GET", "/items/a", None, 200),
    ("GET", "/items/%E2%9C%93?q=1", None, 200),
    ("POST", "/echo", b'{"n": 1, "text": "' + b"x" * 512 + b'"}', 200),
    ("GET", "/raise", None, 500),
    ("GET", "/stream", None, 200),
    ("GET", "/static", None, 200),
    ("HEAD", "/items/b", None, 200),
    ("OPTIONS", "/echo", None, 204),
    ("DELETE", "/items/c", None, 405),
    ("GET", "/missing", None, 404),
]


def soak_app() -> App:
    app = App()
    app.add("/items/[slug]", {"GET": lambda request, context: dict(context.params)})

    async def echo(request: NextRequest) -> object:
        return await request.json()

    def raises() -> None:
        raise RuntimeError("soak failure with a traceback")

    async def stream() -> Response:
        async def chunks() -> AsyncIterator[str]:
            for n in range(5):
                yield f"{n}\n"
                await asyncio.sleep(0)

        return Response(chunks())

    app.add("/echo", {"POST": echo})
    app.add("/raise", {"GET": raises})
    app.add("/stream", {"GET": stream})
    app.add("/static", {"GET": lambda: {"cached": True}, "dynamic": "force-static"})
    return app


def client(port: int, numbers: itertools.count, failures: list[str]) -> None:
    """Send requests from the shared counter over one keep-alive connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        while (n := next(numbers)) < REQUESTS:
            method, path, body, expected = MIX[n % len(MIX)]
            headers = {"Content-Type": "application/json"} if body else {}
            try:
                connection.request(method, path, body=body, headers=headers)
                answer = connection.getresponse()
                answer.read()
            except (OSError, http.client.HTTPException) as exc:
                failures.append(f"{method} {path}: {exc!r}")
                connection.close()
                continue
            if answer.status != expected:
                failures.append(f"{method} {path}: {answer.status}, expected {expected}")
    finally:
        connection.close()


@pytest.mark.slow  # a load test
def test_20000_requests_keep_the_log_at_its_bound_and_memory_flat():
    app = soak_app()
    server = Server(app).start()
    try:
        warm: list[str] = []
        client(server.port, itertools.count(REQUESTS - 200), warm)  # pools, caches, imports
        assert warm == []
        fds, before = open_fds(), resident_bytes()

        failures: list[str] = []
        numbers = itertools.count()  # next() on a count is atomic under the GIL
        threads = [
            threading.Thread(target=client, args=(server.port, numbers, failures))
            for _ in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        grown = resident_bytes() - before
        assert failures == []
        assert len(app.log) == app.log.maxlen == 1000
        assert any(entry.traceback for entry in app.log)  # the heaviest entries are in there
        assert grown < 20 * MiB, f"resident memory grew by {grown / MiB:.1f} MB"
        assert settles(lambda: open_fds() <= fds), f"file descriptors: {fds} -> {open_fds()}"
    finally:
        server.stop()
