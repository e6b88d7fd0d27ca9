"""Where a differential test against Next.js 16 found us answering differently (issue 12).

Every request goes over the server's socket as raw bytes, since a client library would
normalise exactly what is being tested (method case, raw bytes in the target, encodings).
"""

from __future__ import annotations

import gzip
import re
import socket
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from notebook_routes import App, Headers, NextResponse, Response, Server

# -- a raw HTTP/1.1 client ---------------------------------------------------------------


@dataclass
class Raw:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = [v for n, v in self.headers if n.lower() == name.lower()]
        return ", ".join(values) if values else None


def read_response(stream: Any, *, head: bool = False) -> Raw:
    status_line = stream.readline()
    assert status_line.startswith(b"HTTP/1.1 "), status_line
    status = int(status_line.split()[1])
    headers = []
    while (line := stream.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers.append((name.strip(), value.strip()))
    raw = Raw(status, headers, b"")
    if head or status in (204, 304):
        return raw
    if (raw.header("transfer-encoding") or "").lower() == "chunked":
        while (size := int(stream.readline().split(b";")[0], 16)) != 0:
            raw.body += stream.read(size)
            stream.readline()
        stream.readline()
    else:
        raw.body = stream.read(int(raw.header("content-length") or 0))
    return raw


def exchange(server: Server, data: bytes, *, count: int = 1, head: bool = False) -> list[Raw]:
    """Send `data` (one or more pipelined requests) and read `count` answers."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(data)
        stream = sock.makefile("rb")
        return [read_response(stream, head=head and i == 0) for i in range(count)]


def get(path: str, *headers: str, method: str = "GET") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *headers, "", ""]
    return "\r\n".join(lines).encode("latin-1")


def post(path: str, body: bytes, content_type: str) -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
    return head.encode() + f"Content-Length: {len(body)}\r\n\r\n".encode() + body


@dataclass
class Served:
    app: App
    server: Server

    def one(self, data: bytes, **kwargs: Any) -> Raw:
        return exchange(self.server, data, **kwargs)[0]


@pytest.fixture
def served() -> Iterator[Served]:
    app = App()
    server = Server(app).start()
    try:
        yield Served(app, server)
    finally:
        server.stop()


def hello(request):
    return Response.json({"message": "Hello World"})


# -- 1. header values outside Latin-1, and line breaks ----------------------------------


def test_a_header_value_beyond_latin1_is_a_type_error_like_fetch():
    with pytest.raises(
        TypeError, match=r"'Content-Disposition'.*'✓' \(U\+2713\).*greater than 255"
    ):
        Headers({"Content-Disposition": 'attachment; filename="report-✓.txt"'})
    with pytest.raises(TypeError, match="'X-Evil'.*line break"):
        Response("x", headers={"X-Evil": "a\r\nSet-Cookie: evil=1"})
    assert Headers({"X-Latin": "café"}).get("x-latin") == "café"  # U+00E9 is a byte


def test_a_handler_setting_a_non_latin1_header_gets_500_and_the_connection_goes_on(served):
    def report(request):
        return Response("x", headers={"Content-Disposition": 'attachment; filename="report-✓.txt"'})

    def echo(request):
        value = request.cookies.get("name").value  # %E2%9C%93 decoded: "✓"
        return NextResponse("x", headers={"X-Echo": value})

    served.app.add("/report", {"GET": report})
    served.app.add("/echo", {"GET": echo})
    served.app.add("/api/hello", {"GET": hello})
    answers = exchange(
        served.server,
        get("/report") + get("/echo", "Cookie: name=%E2%9C%93") + get("/api/hello"),
        count=3,
    )
    assert [a.status for a in answers] == [500, 500, 200]
    assert answers[2].body == b'{"message":"Hello World"}'
    errors = {entry.path: entry.error for entry in served.app.log}
    assert "Invalid value for header 'Content-Disposition'" in errors["/report"]
    assert "U+2713" in errors["/report"] and "greater than 255" in errors["/report"]
    assert "Invalid value for header 'X-Echo'" in errors["/echo"]


def test_a_header_with_a_line_break_is_never_sent(served):
    served.app.add(
        "/inject", {"GET": lambda: Response("x", headers={"X-A": "v\r\nSet-Cookie: e=1"})}
    )
    served.app.add("/api/hello", {"GET": hello})
    answers = exchange(served.server, get("/inject") + get("/api/hello"), count=2)
    assert [a.status for a in answers] == [500, 200]
    assert answers[0].header("set-cookie") is None and answers[0].header("x-a") is None


def test_headers_that_slip_past_the_checks_still_get_a_500_not_a_hang(served):
    def sneaky(request):
        response = Response("x")
        response.headers._pairs.append(("X-Sneaky", "✓"))  # a bug of ours, simulated
        return response

    served.app.add("/sneaky", {"GET": sneaky})
    served.app.add("/api/hello", {"GET": hello})
    answers = exchange(served.server, get("/sneaky") + get("/api/hello"), count=2)
    assert [a.status for a in answers] == [500, 200]
    assert any("could not be sent" in (e.error or "") for e in served.app.log)


# -- 2. request bodies decode as the Fetch API does -------------------------------------


async def echo_body(request):
    kind = request.next_url.search_params.get("as")
    if kind == "json":
        return Response.json({"json": await request.json()})
    if kind == "form":
        form = await request.form_data()
        return Response.json(dict(form.items()))
    return Response.json({"text": await request.text()})


@pytest.mark.parametrize(
    ("query", "content_type", "body", "expected"),
    [
        ("text", "text/plain; charset=bogus", "é".encode(), {"text": "é"}),
        ("text", "text/plain; charset=latin1", "é".encode(), {"text": "é"}),
        ("text", "text/plain", b"\xef\xbb\xbf\xef\xbb\xbfa\xffb", {"text": "\ufeffa\ufffdb"}),
        (
            "json",
            "application/json; charset=latin1",
            '\ufeff{"a": "é"}'.encode(),
            {"json": {"a": "é"}},
        ),
        ("json", "application/json; charset=bogus", b'"x"', {"json": "x"}),
        (
            "form",
            "application/x-www-form-urlencoded; charset=latin1",
            "\ufeffname=Zoë&city=%C3%A9".encode(),
            {"name": "Zoë", "city": "é"},
        ),
    ],
    ids=["charset-bogus", "charset-latin1", "bom-and-bad-bytes", "json-bom", "json-bogus", "form"],
)
def test_request_bodies_are_utf8_whatever_the_charset(served, query, content_type, body, expected):
    served.app.add("/echo", {"POST": echo_body})
    got = served.one(post(f"/echo?as={query}", body, content_type))
    assert got.status == 200, got.body
    assert __import__("json").loads(got.body) == expected


def test_json_that_is_not_json_is_still_our_documented_400(served):
    served.app.add("/echo", {"POST": echo_body})
    got = served.one(post("/echo?as=json", b"{nope", "application/json"))
    assert got.status == 400
    assert got.body.startswith(b"Invalid JSON in request body")


# -- 3. raw non-ASCII bytes in the request target ---------------------------------------


def test_raw_non_ascii_bytes_in_the_target_are_a_400_with_a_reason(served):
    seen = []
    served.app.add("/items/[slug]", {"GET": lambda request, context: seen.append(1) or "ran"})
    got = served.one(b"GET /items/\xe2\x9c\x93 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert got.status == 400
    assert got.header("content-type") == "text/plain; charset=utf-8"
    assert b"raw non-ASCII bytes" in got.body and b"\n" not in got.body
    assert seen == []
    (entry,) = served.app.log
    assert (entry.status, entry.method) == (400, "GET")
    assert "raw non-ASCII bytes" in entry.error
    # Percent-encoded, the same character reaches the route.
    assert served.one(get("/items/%E2%9C%93")).status == 200


# -- 4. method names are case-sensitive -------------------------------------------------


@pytest.mark.parametrize("method", ["get", "head", "Get", "post", "options", "BREW"])
def test_a_method_in_another_case_is_an_unknown_method(served, method):
    served.app.add("/api/hello", {"GET": hello, "POST": hello})
    # The odd method first, then a GET pipelined behind it on the same connection.
    first, second = exchange(
        served.server, get("/api/hello", method=method) + get("/api/hello"), count=2
    )
    assert (first.status, first.header("allow")) == (405, "GET, HEAD, OPTIONS, POST")
    assert first.header("content-length") == "0" and first.body == b""
    assert (second.status, second.body) == (200, b'{"message":"Hello World"}')


def test_upper_case_head_still_answers_like_get_without_a_body(served):
    served.app.add("/api/hello", {"GET": hello})
    first, second = exchange(
        served.server, get("/api/hello", method="HEAD") + get("/api/hello"), count=2, head=True
    )
    assert (first.status, first.header("content-length"), first.body) == (200, "25", b"")
    assert second.body == b'{"message":"Hello World"}'


# -- 5. static segments match undecoded --------------------------------------------------


@pytest.fixture
def items(served: Served) -> Served:
    served.app.add("/api/hello", {"GET": hello})
    served.app.add("/items/new", {"GET": lambda: {"route": "/items/new"}})
    served.app.add("/items/[slug]", {"GET": lambda request, context: dict(context.params)})
    return served


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("/%61pi/hello", 404, None),
        ("/api/hell%6F", 404, None),
        ("/api/hello", 200, {"message": "Hello World"}),
        ("/items/new", 200, {"route": "/items/new"}),
        ("/items/n%65w", 200, {"slug": "new"}),
        ("/items/a%2Fb", 200, {"slug": "a/b"}),
        ("/items/a%2fb", 200, {"slug": "a/b"}),
    ],
)
def test_static_segments_match_the_raw_segment(items, path, status, body):
    got = items.one(get(path))
    assert got.status == status
    if body is not None:
        assert __import__("json").loads(got.body) == body


def test_encoded_dots_still_redirect_and_never_reach_another_route(items):
    got = items.one(get("/items/x/%2e%2e/new"))
    assert (got.status, got.header("location")) == (308, "/items/new")
    assert items.one(get("/items/new%2F..")).status == 200  # one segment, captured as is


# -- 6. compression ----------------------------------------------------------------------


GZIP = "Accept-Encoding: gzip, deflate, br"


def test_json_is_gzipped_for_a_client_that_accepts_it_even_25_bytes(served):
    served.app.add("/api/hello", {"GET": hello})
    got = served.one(get("/api/hello", GZIP))
    assert got.status == 200
    assert got.header("content-encoding") == "gzip"
    assert got.header("vary") == "Accept-Encoding"
    assert gzip.decompress(got.body) == b'{"message":"Hello World"}'


def test_a_client_that_does_not_ask_gets_identity_and_the_vary(served):
    served.app.add("/api/hello", {"GET": hello})
    got = served.one(get("/api/hello"))
    assert got.header("content-encoding") is None
    assert (got.header("vary"), got.body) == ("Accept-Encoding", b'{"message":"Hello World"}')
    assert served.one(get("/api/hello", "Accept-Encoding: br")).header("content-encoding") is None


@pytest.mark.parametrize(
    ("content_type", "compressed"),
    [
        ("text/html; charset=utf-8", True),
        ("text/plain; charset=utf-8", True),
        ("application/xml", True),
        ("text/javascript", True),
        ("application/javascript", True),
        ("application/ld+json", True),
        ("image/svg+xml", True),
        ("image/png", False),
        ("application/octet-stream", False),
    ],
)
def test_compressible_content_types(served, content_type, compressed):
    served.app.add(
        "/t", {"GET": lambda: Response(b"<x>" * 20, headers={"Content-Type": content_type})}
    )
    got = served.one(get("/t", GZIP))
    assert (got.header("content-encoding") == "gzip") is compressed
    assert (gzip.decompress(got.body) if compressed else got.body) == b"<x>" * 20


def test_existing_vary_is_extended_and_no_transform_is_respected(served):
    served.app.add("/v", {"GET": lambda: Response("x", headers={"Vary": "Origin"})})
    served.app.add("/n", {"GET": lambda: Response("x", headers={"Cache-Control": "no-transform"})})
    got = served.one(get("/v", GZIP))
    assert got.header("vary") == "Origin, Accept-Encoding"
    assert gzip.decompress(got.body) == b"x"
    plain = served.one(get("/n", GZIP))
    assert (plain.header("content-encoding"), plain.header("vary"), plain.body) == (
        None,
        None,
        b"x",
    )


def test_deflate_when_gzip_is_not_accepted(served):
    served.app.add("/api/hello", {"GET": hello})
    got = served.one(get("/api/hello", "Accept-Encoding: deflate"))
    assert got.header("content-encoding") == "deflate"
    assert zlib.decompress(got.body) == b'{"message":"Hello World"}'
    refused = served.one(get("/api/hello", "Accept-Encoding: gzip;q=0"))
    assert refused.header("content-encoding") is None


def test_head_204_and_304_carry_no_body_and_no_encoding(served):
    served.app.add("/api/hello", {"GET": hello})
    served.app.add(
        "/none", {"GET": lambda: Response(status=204, headers={"Content-Type": "text/plain"})}
    )
    served.app.add(
        "/same", {"GET": lambda: Response(status=304, headers={"Content-Type": "text/plain"})}
    )
    head, after = exchange(
        served.server,
        get("/api/hello", GZIP, method="HEAD") + get("/api/hello"),
        count=2,
        head=True,
    )
    assert (head.status, head.header("content-encoding"), head.header("vary")) == (
        200,
        None,
        "Accept-Encoding",
    )
    assert after.body == b'{"message":"Hello World"}'
    for path, status in (("/none", 204), ("/same", 304)):
        got, after = exchange(served.server, get(path, GZIP) + get("/api/hello"), count=2)
        assert (got.status, got.header("content-encoding"), got.body) == (status, None, b"")
        assert after.status == 200


def test_a_stream_without_a_content_type_is_not_compressed(served):
    served.app.add("/s", {"GET": lambda: Response(iter([b"a", b"b"]))})
    got = served.one(get("/s", GZIP))
    assert (got.header("content-encoding"), got.body) == (None, b"ab")


def test_a_token_stream_is_compressed_and_still_arrives_token_by_token(served):
    release = threading.Event()

    def tokens():
        yield "Hello"
        # The next token waits until the client has decoded the first one.
        release.wait(10)
        yield " world"

    served.app.add(
        "/chat",
        {"GET": lambda: Response(tokens(), headers={"Content-Type": "text/plain; charset=utf-8"})},
    )
    with socket.create_connection(("127.0.0.1", served.server.port), timeout=10) as sock:
        sock.sendall(get("/chat", GZIP))
        stream = sock.makefile("rb")
        status = stream.readline()
        headers = []
        while (line := stream.readline()) != b"\r\n":
            headers.append(line.decode().strip().lower())
        assert b"200" in status
        assert "content-encoding: gzip" in headers and "transfer-encoding: chunked" in headers
        decoder = zlib.decompressobj(31)
        size = int(stream.readline(), 16)
        first = decoder.decompress(stream.read(size))
        stream.readline()
        assert first == b"Hello"  # decodable before the second token exists
        release.set()
        rest = b""
        while (size := int(stream.readline(), 16)) != 0:
            rest += decoder.decompress(stream.read(size))
            stream.readline()
        assert rest + decoder.flush() == b" world"


def test_a_cached_answer_is_compressed_too(served):
    served.app.add("/static", {"GET": hello, "dynamic": "force-static"})
    for state in ("MISS", "HIT"):
        got = served.one(get("/static", GZIP))
        assert got.header("x-nextjs-cache") == state
        assert gzip.decompress(got.body) == b'{"message":"Hello World"}'


def test_compress_false_turns_it_off():
    app = App()
    app.add("/api/hello", {"GET": hello})
    server = Server(app, compress=False).start()
    try:
        got = exchange(server, get("/api/hello", GZIP))[0]
    finally:
        server.stop()
    assert (got.header("content-encoding"), got.header("vary")) == (None, None)
    assert got.body == b'{"message":"Hello World"}'
    with pytest.raises(TypeError, match="compress must be True or False"):
        Server(app, compress="no")


def test_serve_no_compress(tmp_path):
    route = tmp_path / "app" / "api" / "hello"
    route.mkdir(parents=True)
    (route / "route.py").write_text(
        "from notebook_routes import Response\n\n"
        "def GET():\n    return Response.json({'message': 'Hello World'})\n"
    )
    answers = {}
    for flag in ([], ["--no-compress"]):
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "notebook_routes",
                "serve",
                str(tmp_path / "app"),
                "--port",
                "0",
                *flag,
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stdout is not None
            for line in process.stdout:
                if found := re.search(r"at http://127\.0\.0\.1:(\d+)", line):
                    port = int(found.group(1))
                    break
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(get("/api/hello", GZIP))
                answers[bool(flag)] = read_response(sock.makefile("rb"))
        finally:
            process.terminate()
            process.wait(10)
    assert answers[False].header("content-encoding") == "gzip"
    assert answers[True].header("content-encoding") is None
    assert answers[True].body == b'{"message":"Hello World"}'


# -- 7. the not-found page -----------------------------------------------------------------


def test_an_unmatched_path_gets_the_next_js_not_found_page(served):
    served.app.add("/api/hello", {"GET": hello})
    got = served.one(get("/nothing/here"))
    assert got.status == 404
    assert got.header("content-type") == "text/html; charset=utf-8"
    page = got.body.decode()
    assert "<title>404: This page could not be found.</title>" in page
    assert re.search(r"<h1[^>]*>404</h1>", page)
    assert re.search(r"<h2[^>]*>This page could not be found\.</h2>", page)
    assert "<script" not in page and "src=" not in page and "href=" not in page
    head, after = exchange(
        served.server, get("/nothing/here", method="HEAD") + get("/api/hello"), count=2, head=True
    )
    assert head.status == 404
    assert head.header("content-type") == "text/html; charset=utf-8"
    assert head.header("content-length") == str(len(got.body))
    assert after.status == 200  # so the HEAD answer really had no body


def test_not_found_helper_keeps_its_empty_body(served):
    from notebook_routes import not_found

    served.app.add("/gone", {"GET": lambda: not_found()})
    got = served.one(get("/gone"))
    assert (got.status, got.body) == (404, b"")


# -- round three: what the conformance harness found after items 1-7 ------------------------


def test_an_http11_request_without_host_is_a_400_as_rfc_9112_and_node_say(served):
    served.app.add("/api/hello", {"GET": hello})
    got = served.one(b"GET /api/hello HTTP/1.1\r\n\r\n")
    assert got.status == 400
    assert (
        got.body
        == b"Bad Request: an HTTP/1.1 request needs a Host header (RFC 9112, section 3.2).\n"
    )
    (entry,) = served.app.log
    assert (entry.status, entry.error) == (400, "refused: HTTP/1.1 request without Host")
    # HTTP/1.0 has no Host requirement: the server's own address stands in.
    with socket.create_connection(("127.0.0.1", served.server.port), timeout=10) as sock:
        sock.sendall(b"GET /api/hello HTTP/1.0\r\n\r\n")
        answer = sock.makefile("rb").read()
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b'{"message":"Hello World"}')


def test_a_refused_head_gets_its_status_line_not_silence(served):
    # A refusal with a reason text used to be written as HEAD + body, which tornado drops
    # whole: the client got no bytes at all.
    with socket.create_connection(("127.0.0.1", served.server.port), timeout=10) as sock:
        sock.sendall(b"HEAD /items/\xe2\x9c\x93 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = sock.makefile("rb").read()  # the connection is closed after a refusal
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"Content-Type: text/plain; charset=utf-8" in head
    assert body == b""


async def echo_headers(request):
    response = Response.json(request.headers.items())
    response.headers.append("Zeta", "last")
    response.headers.append("Set-Cookie", "b=2")
    response.headers.append("Alpha", "first")
    response.headers.append("Set-Cookie", "a=1")
    return response


def test_headers_iterate_sorted_as_fetch_does_and_go_on_the_wire_as_written(served):
    served.app.add("/api/headers", {"GET": echo_headers})
    got = served.one(get("/api/headers", "X-B: 1", "Accept: */*", "x-b: 2", "Cookie: c=3"))
    assert got.status == 200
    assert [tuple(pair) for pair in __import__("json").loads(got.body)] == [
        ("accept", "*/*"),
        ("cookie", "c=3"),
        ("host", "127.0.0.1"),
        ("x-b", "1, 2"),
    ]
    # The wire keeps the order the handler wrote (names as written; cookies one by one).
    written = [n for n, _ in got.headers if n in ("Zeta", "Alpha")]
    assert written == ["Zeta", "Alpha"]
    assert [v for n, v in got.headers if n == "Set-Cookie"] == ["b=2", "a=1"]
    response = Response("x", headers=[("Set-Cookie", "b=2"), ("Vary", "a"), ("Set-Cookie", "a=1")])
    assert list(response.headers) == ["content-type", "set-cookie", "vary"]
    assert response.headers.items()[1:3] == [("set-cookie", "b=2"), ("set-cookie", "a=1")]


@pytest.mark.parametrize(
    ("path", "target"),
    [("/api/hello/", "/api/hello"), ("//api//hello?x=1", "/api/hello?x=1")],
)
def test_a_normalising_308_carries_refresh_as_next_js_does(served, path, target):
    served.app.add("/api/hello", {"GET": hello})
    got = served.one(get(path))
    assert got.status == 308
    assert got.header("location") == target
    assert got.header("refresh") == f"0;url={target}"
