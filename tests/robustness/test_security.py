"""Security (issue 7, item 9): loopback by default, tokens, size limits, path traversal."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from notebook_routes import App, Server
from notebook_routes._client import send
from tests.robustness import exchange, status_of

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def guarded() -> Iterator[tuple[Server, list[str]]]:
    """A server with a secret route, a public one with a param, and a catch-all."""
    reached: list[str] = []
    app = App()

    def secret() -> str:
        reached.append("secret")
        return "secret"

    app.add("/admin/secret", {"GET": secret})
    app.add("/public/[file]", {"GET": lambda request, context: dict(context.params)})
    app.add("/files/[...path]", {"GET": lambda request, context: dict(context.params)})
    server = Server(app, max_body_size=1024, max_header_size=4096, allowed_hosts=["x"]).start()
    try:
        yield server, reached
    finally:
        server.stop()


def test_the_default_bind_is_loopback_only():
    psutil = pytest.importorskip("psutil")  # ipykernel's dependency
    server = Server(App()).start()
    try:
        assert server.host == "127.0.0.1" and server.token is None
        listening = [
            c.laddr
            for c in psutil.Process().net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN and c.laddr.port == server.port
        ]
        assert [address.ip for address in listening] == ["127.0.0.1"]
    finally:
        server.stop()


def test_a_non_loopback_bind_never_runs_without_a_token():
    generated = Server(App(), host="0.0.0.0")
    assert generated.token_generated and len(generated.token or "") >= 20
    with pytest.raises(ValueError, match="token must be a non-empty str"):
        Server(App(), host="0.0.0.0", token="")


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Bearer wrong", "Basic czNjcmV0", "s3cret", "Bearer s3cret2"],
)
def test_with_a_token_requests_without_the_bearer_token_get_401(authorization):
    app = App()
    app.add("/api/hello", {"GET": lambda: {"message": "Hello World"}})
    server = Server(app, token="s3cret").start()
    try:
        headers = {} if authorization is None else {"Authorization": authorization}
        refused = send(server.url, "GET", "/api/hello", headers=headers)
        assert refused.status == 401 and refused.content == b""
        assert refused.headers.get("www-authenticate") == 'Bearer realm="notebook-routes"'
        assert send(server.url, "GET", "/api/hello", token="s3cret").status == 200
    finally:
        server.stop()


def test_an_oversized_body_gets_413(guarded):
    server, _ = guarded
    got = send(server.url, "POST", "/public/a", body=b"x" * 2048)
    assert got.status == 413


def test_an_oversized_chunked_body_gets_413(guarded):
    server, _ = guarded
    chunk = b"x" * 600
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(3)) + b"0\r\n\r\n"
    head = b"POST /public/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert status_of(exchange(server.port, head + body)) == 413


def test_oversized_headers_get_431_and_a_long_url_414(guarded):
    server, _ = guarded
    big = send(server.url, "GET", "/public/a", headers={"X-Big": "a" * 5000})
    assert big.status == 431
    many = send(server.url, "GET", "/public/a", headers=[(f"X-{i}", "v" * 100) for i in range(50)])
    assert many.status == 431
    assert send(server.url, "GET", "/public/" + "a" * 5000).status == 414
    assert send(server.url, "GET", "/public/a", headers={"X-Fine": "a" * 1000}).status == 200


TRAVERSALS = [
    "/public/../admin/secret",
    "/public/%2e%2e/admin/secret",
    "/public/.%2e/admin/secret",
    "/public/%2E%2E/admin/secret",
    "/public/..%2fadmin%2fsecret",
    "/public/%2e%2e%2fadmin%2fsecret",
    "/public/%252e%252e/admin/secret",
    "/public/..%5cadmin%5csecret",
    "/public/..\\admin\\secret",
    "/files/..%2f..%2fadmin%2fsecret",
    "/files/%2e%2e/%2e%2e/admin/secret",
    "/admin%2fsecret",
    "/admin%2Fsecret",
    "/admin/secret%00",
    "/admin/secret%2f",
    "/ADMIN/SECRET",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_never_runs_a_route_it_should_not(guarded, path):
    server, reached = guarded
    raw = exchange(server.port, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    status = status_of(raw)
    assert reached == [], f"{path} ran /admin/secret"
    if status == 308:  # dot segments are normalised by a redirect the client may follow
        location = next(
            line.split(b":", 1)[1].strip()
            for line in raw.split(b"\r\n")
            if line.lower().startswith(b"location:")
        )
        assert not location.startswith(b"//"), "a protocol-relative redirect leaves the site"
    else:
        assert status in (200, 404), raw[:200]


def test_an_encoded_slash_stays_inside_its_segment(guarded):
    server, reached = guarded
    got = send(server.url, "GET", "/public/..%2fadmin%2fsecret")
    assert got.json() == {"file": "../admin/secret"}
    got = send(server.url, "GET", "/files/a%2fb/c")
    assert got.json() == {"path": ["a/b", "c"]}
    assert reached == []


@pytest.mark.parametrize("target", ["//evil.example/", "/\\evil.example", "///evil.example/x"])
def test_normalising_redirects_never_leave_the_site(guarded, target):
    server, _ = guarded
    raw = exchange(server.port, f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert status_of(raw) == 308
    assert b"\r\nLocation: /evil.example" in raw


def test_a_host_header_cannot_change_the_route(guarded):
    server, reached = guarded
    for host in ("x/admin/secret?", "x/admin/secret#", "u@x/admin/secret?"):
        raw = exchange(server.port, f"GET /public/a HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        assert status_of(raw) in (200, 400), raw[:200]
    assert reached == []
