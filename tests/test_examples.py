"""Every seed example, ported to notebooks/app/, answered the same three ways: served by the
real `notebook-routes serve` (on its tornado server, then on uvicorn through
`notebook_routes.asgi`), and typed into a real kernel as `%%route` cells."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from notebook_routes._client import ClientResponse, send
from notebook_routes._loader import route_path
from tests.kernel import Kernel

APP = Path(__file__).resolve().parent.parent / "notebooks" / "app"


class Served:
    def __init__(self, url: str) -> None:
        self.url = url

    def request(self, method: str, path: str, **kwargs: object) -> ClientResponse:
        return send(self.url, method, path, **kwargs)  # type: ignore[arg-type]


def serve(*options: str) -> Iterator[Served]:
    """`notebook-routes serve notebooks/app --port 0 OPTIONS...` until the test is done."""
    process = subprocess.Popen(
        [sys.executable, "-m", "notebook_routes", "serve", str(APP), "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        lines = []
        for line in process.stdout:  # the last start-up line names the URL
            lines.append(line)
            if found := re.search(r"serving .* at (http://\S+)", line):
                yield Served(found.group(1))
                break
        else:
            pytest.fail("serve did not start:\n" + "".join(lines) + process.stderr.read())
    finally:
        process.terminate()
        process.wait(10)


def _kernel() -> Iterator[Served]:
    """Each route.py of the examples, typed into a notebook as a module-form %%route cell."""
    kernel = Kernel()
    try:
        kernel.ok("%load_ext notebook_routes")
        for file in sorted(APP.rglob("route.py")):
            kernel.ok(f"%%route {route_path(APP, file)}\n{file.read_text()}")
        yield Served(kernel.url)
    finally:
        kernel.shutdown()


@pytest.fixture(
    scope="module", params=["serve", "uvicorn", pytest.param("kernel", marks=pytest.mark.slow)]
)
def served(request: pytest.FixtureRequest) -> Iterator[Served]:
    if request.param == "kernel":
        yield from _kernel()
    elif request.param == "uvicorn":
        yield from serve("--server", "uvicorn")
    else:
        yield from serve()


def test_hello(served):
    got = served.request("GET", "/api/hello")
    assert (got.status, got.content) == (200, b'{"message":"Hello World"}')
    assert got.headers.get("content-type") == "application/json"


def test_every_method(served):
    assert served.request("GET", "/api/methods").json() == {"method": "GET"}
    assert served.request("POST", "/api/methods").status == 201
    assert served.request("PUT", "/api/methods").json() == {"method": "PUT"}
    assert served.request("PATCH", "/api/methods").json() == {"method": "PATCH"}
    assert served.request("DELETE", "/api/methods").status == 204
    head = served.request("HEAD", "/api/methods")
    assert (head.status, head.headers.get("x-method"), head.content) == (200, "HEAD", b"")
    options = served.request("OPTIONS", "/api/methods")
    assert options.status == 204
    assert options.headers.get("allow") == "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/dashboard/1", {"team": "1"}),
        ("/shop/1/2", {"tag": "1", "item": "2"}),
        ("/blog/1/2", {"slug": ["1", "2"]}),
        ("/items/a", {"slug": "a"}),
        ("/items/b", {"slug": "b"}),
        ("/items/c", {"slug": "c"}),
        ("/users/7", {"id": "7"}),
        ("/docs", {}),
        ("/docs/a/b", {"slug": ["a", "b"]}),
    ],
)
def test_params_tables(served, path, params):
    assert served.request("GET", path).json() == params


def test_catch_all_needs_a_segment(served):
    assert served.request("GET", "/blog").status == 404


def test_query(served):
    assert served.request("GET", "/api/search?query=hello").json() == {"query": "hello"}


def test_cookies_store(served):
    got = served.request("GET", "/api/cookies", cookies={"a": "1", "c": "2"})
    assert got.json() == {"a": "1"}
    assert got.headers.get_set_cookie() == [
        "b=1; Path=/",
        "c=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
    ]


def test_cookie_via_set_cookie_header(served):
    got = served.request("GET", "/api/cookies/token", cookies={"token": "abc"})
    assert got.text == "Hello, Next.js!"
    assert got.headers.get_set_cookie() == ["token=abc"]


def test_cookies_from_the_request(served):
    got = served.request("GET", "/api/cookies/request", cookies={"token": "abc"})
    assert got.json() == {"token": "abc"}


def test_next_response_cookies(served):
    got = served.request("GET", "/api/cookies/set")
    assert got.headers.get_set_cookie() == [
        "theme=dark; Path=/; HttpOnly; SameSite=lax",
        "old=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
    ]


def test_headers(served):
    got = served.request("GET", "/api/headers", headers={"Referer": "https://example.org/"})
    assert got.headers.get("referer") == "https://example.org/"
    copy = served.request("GET", "/api/headers/copy", headers={"X-Mine": "1"}).json()
    assert copy["x-mine"] == "1" and copy["x-copied"] == "yes"


def test_url(served):
    got = served.request("GET", "/api/url?x=1").json()
    assert got["pathname"] == "/api/url" and got["search"] == "?x=1"
    assert got["url"].endswith("/api/url?x=1")


def test_redirect(served):
    got = served.request("GET", "/api/redirect")
    assert (got.status, got.headers.get("location")) == (307, "https://nextjs.org/")


def test_json_body(served):
    assert served.request("POST", "/items", json={"a": 1}).json() == {"res": {"a": 1}}


def test_form_body(served):
    got = served.request("POST", "/api/form", data={"name": "Ada", "email": "ada@example.org"})
    assert got.json() == {"name": "Ada", "email": "ada@example.org"}


def test_streaming(served):
    got = served.request("GET", "/api/stream")
    assert got.text == "<p>One</p><p>Two</p><p>Three</p>"
    assert got.headers.get("transfer-encoding") == "chunked"


def test_chat_token_stream(served):
    got = served.request("POST", "/api/chat", json={"messages": [{"content": "hi there"}]})
    assert got.text == "You said: hi there "


def test_cors(served):
    got = served.request("GET", "/api/cors")
    assert got.headers.get("access-control-allow-origin") == "*"
    assert got.headers.get("access-control-allow-methods") == "GET, POST, PUT, DELETE, OPTIONS"
    assert got.headers.get("access-control-allow-headers") == "Content-Type, Authorization"


def test_webhook(served):
    assert served.request("POST", "/api/webhook", body="{}").text == "Success!"
    failed = served.request("POST", "/api/webhook")
    assert (failed.status, failed.text) == (400, "Webhook error: empty payload")


def test_rss(served):
    got = served.request("GET", "/rss.xml")
    assert got.headers.get("content-type") == "text/xml"
    assert got.text.startswith('<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0">')


def test_route_group(served):
    assert served.request("GET", "/catalog").json() == {"catalog": ["hat", "scarf"]}
