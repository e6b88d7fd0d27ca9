"""Issue 19 item 3: a client's ``Host`` never reaches an answer cached for everyone.

The attacker sends ``Host: localhost:1``: a loopback name, so it passes the server's Host
checks (DNS-rebinding guard), yet is not the server's own address. Renders kept in the
cache (the first render on a MISS, the regeneration a STALE starts) run with the app's
origin; reading ``request.next_url.host``/``hostname``/``port`` is dynamic usage.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

from notebook_routes import App, NextRequest, Server
from notebook_routes._client import send
from notebook_routes.cache._store import MemoryCache
from notebook_routes.web._scope import request_scope
from tests.clock import FakeClock
from tests.conftest import Live
from tests.robustness import exchange, settles, status_of

pytestmark = pytest.mark.timeout(60)

ATTACKER_HOST = "localhost:1"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def live(clock: FakeClock) -> Iterator[Live]:
    app = App(cache=MemoryCache(clock))
    server = Server(app).start()
    try:
        yield Live(app, server)
    finally:
        server.stop()


def attack(port: int, path: str) -> tuple[int | None, bytes, bytes]:
    """GET `path` with the attacker's Host: (status, head, body)."""
    raw = exchange(
        port, f"GET {path} HTTP/1.1\r\nHost: {ATTACKER_HOST}\r\nConnection: close\r\n\r\n".encode()
    )
    head, _, body = raw.partition(b"\r\n\r\n")
    return status_of(raw), head, body


def canonical_page(runs: list[int]):
    def GET(request, context):
        runs.append(1)
        slug = context.params["slug"]
        return f'<link rel="canonical" href="{request.next_url.origin}/posts/{slug}"> {len(runs)}'

    return GET


def test_an_isr_render_on_a_miss_uses_the_servers_origin_not_the_attackers(live):
    runs: list[int] = []
    live.app.add(
        "/posts/[slug]", {"GET": canonical_page(runs), "dynamic": "force-static", "revalidate": 60}
    )
    own = f'href="{live.server.url}/posts/a"'

    status, head, body = attack(live.server.port, "/posts/a")  # the first request: a MISS
    assert status == 200 and b"x-nextjs-cache: miss" in head.lower()
    assert own.encode() in body and b"localhost:1" not in body

    visitor = live.request("GET", "/posts/a")
    assert visitor.headers.get("x-nextjs-cache") == "HIT"
    assert visitor.text == f'<link rel="canonical" {own}> 1'


def test_a_regeneration_started_by_the_attacker_is_not_poisoned(live, clock):
    runs: list[int] = []
    live.app.add(
        "/posts/[slug]", {"GET": canonical_page(runs), "dynamic": "force-static", "revalidate": 60}
    )
    own = f'href="{live.server.url}/posts/a"'
    assert live.request("GET", "/posts/a").text == f'<link rel="canonical" {own}> 1'

    clock.advance(61)
    status, head, body = attack(live.server.port, "/posts/a")  # lands on the stale entry
    assert status == 200 and b"x-nextjs-cache: stale" in head.lower()
    assert settles(lambda: len(runs) == 2 and live.app.cache.peek("/posts/a").body.endswith(b"2"))
    visitor = live.request("GET", "/posts/a")
    assert (visitor.text, visitor.headers.get("x-nextjs-cache")) == (
        f'<link rel="canonical" {own}> 2',
        "HIT",
    )


@pytest.mark.parametrize("part", ["host", "hostname", "port"])
def test_reading_the_host_makes_an_auto_isr_route_dynamic(live, part):
    def GET(request):
        return f"{part}={getattr(request.next_url, part)}"

    live.app.add("/where", {"GET": GET, "revalidate": 60})
    status, head, body = attack(live.server.port, "/where")
    expected = {"host": "localhost:1", "hostname": "localhost", "port": "1"}[part]
    assert (status, body.decode()) == (200, f"{part}={expected}")  # its own answer, uncached
    assert b"x-nextjs-cache" not in head.lower()
    assert live.app.get("/where").bailout == f"used `request.next_url.{part}`"

    visitor = live.request("GET", "/where")
    mine = {
        "host": f"127.0.0.1:{live.server.port}",
        "hostname": "127.0.0.1",
        "port": str(live.server.port),
    }[part]
    assert visitor.text == f"{part}={mine}" and visitor.headers.get("x-nextjs-cache") is None


def test_the_render_uses_the_public_origin_whatever_the_requests_host():
    app = App(public_origin="https://notes.example/")
    app.add(
        "/canon",
        {
            "GET": lambda request: request.next_url.origin + request.next_url.pathname,
            "dynamic": "force-static",
        },
    )

    async def get(url: str) -> tuple[bytes, str | None]:
        response = await app.handle(NextRequest("GET", url))
        return response.body, response.headers.get("x-nextjs-cache")

    assert asyncio.run(get("http://evil.example/canon")) == (b"https://notes.example/canon", "MISS")
    assert asyncio.run(get("http://other.example:8/canon")) == (
        b"https://notes.example/canon",
        "HIT",
    )


def test_without_a_server_or_public_origin_renders_see_localhost():
    app = App()
    app.add("/canon", {"GET": lambda request: request.url, "dynamic": "force-static"})
    response = asyncio.run(app.handle(NextRequest("GET", "http://evil.example/canon")))
    assert response.body == b"http://localhost/canon"


def test_the_server_gives_the_app_its_bound_origin_unless_one_is_configured():
    app = App()
    server = Server(app).start()
    try:
        assert app.origin == server.url == f"http://127.0.0.1:{server.port}"
        app.public_origin = "https://notes.example"
        assert app.origin == "https://notes.example"
        assert send(server.url, "GET", "/").status == 404  # still serving
    finally:
        server.stop()


@pytest.mark.parametrize(
    "origin",
    ["notes.example", "https://notes.example/app", "ftp://x", "https://u@x", "http://x:99999"],
)
def test_a_bad_public_origin_is_refused_with_the_fix(origin):
    with pytest.raises(ValueError, match=r"public_origin .*(such as 'https://notes.example'|port)"):
        App(public_origin=origin)


def test_host_hostname_and_port_are_dynamic_usage():
    request = NextRequest("GET", "http://127.0.0.1:8123/a")
    with request_scope(request) as scope:
        _ = request.next_url.pathname, request.next_url.protocol
        assert scope.dynamic_usage == []
        _ = request.next_url.host, request.next_url.hostname, request.next_url.port
    assert scope.dynamic_usage == [
        "request.next_url.host",
        "request.next_url.hostname",
        "request.next_url.port",
    ]


CANON_ROUTE = """\
dynamic = "force-static"
revalidate = 60


def GET(request):
    return request.next_url.origin + request.next_url.pathname
"""


@pytest.mark.parametrize("public_origin", [None, "https://notes.example"])
def test_serve_prerenders_with_its_own_or_the_configured_origin(tmp_path, public_origin):
    (tmp_path / "canon").mkdir()
    (tmp_path / "canon" / "route.py").write_text(CANON_ROUTE)
    command = [sys.executable, "-m", "notebook_routes", "serve", str(tmp_path), "--port", "0"]
    if public_origin:
        command += ["--public-origin", public_origin]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if found := re.search(r"serving .* at (http://\S+)", line):
                url = found.group(1)
                break
        else:
            pytest.fail("serve did not start: " + (process.stderr.read() if process.stderr else ""))
        port = int(url.rsplit(":", 1)[1])
        status, head, body = attack(port, "/canon")  # prerendered: a HIT from the start
        assert (status, body.decode()) == (200, f"{public_origin or url}/canon")
        assert b"x-nextjs-cache: hit" in head.lower()
    finally:
        process.terminate()
        process.wait(10)


def test_serve_refuses_a_bad_public_origin_with_the_fix(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "notebook_routes", "serve", str(tmp_path), "--public-origin", "x"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "error: --public-origin: public_origin must be a scheme and host" in done.stderr
