"""Faults (issue 7, item 7): handlers that raise, hang, return the wrong thing or stream
forever; slow and malformed clients. The server keeps answering, and leaks nothing."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notebook_routes import App, Response, Server
from notebook_routes._client import send
from notebook_routes._log import LogEntry
from tests.robustness import (
    exchange,
    open_fds,
    settles,
    status_of,
    threads_besides_workers,
    worker_threads,
)

pytestmark = pytest.mark.timeout(120)

IDLE_TIMEOUT_S = 0.5


@dataclass
class Faulty:
    app: App
    server: Server
    release: threading.Event = field(default_factory=threading.Event)
    closed: dict[str, threading.Event] = field(default_factory=dict)

    def get(self, path: str) -> int:
        return send(self.server.url, "GET", path, timeout=10).status

    def still_answers(self) -> bool:
        got = send(self.server.url, "GET", "/ok", timeout=10)
        return (got.status, got.text) == (200, "ok")


def returning(value: object) -> object:
    def GET() -> object:
        return value

    return GET


def faulty_app(release: threading.Event, closed: dict[str, threading.Event]) -> App:
    app = App()
    app.add("/ok", {"GET": lambda: "ok"})
    app.add("/echo", {"POST": lambda request: request.body()})

    def raises() -> None:
        raise RuntimeError("the handler broke")

    async def hangs() -> str:
        await asyncio.sleep(60)
        return "late"

    def blocks() -> str:
        release.wait(30)  # a plain def keeps its worker until it returns: the test releases it
        return "late"

    app.add("/raise", {"GET": raises})
    app.add("/hang/async", {"GET": hangs, "max_duration": 0.3})
    app.add("/hang/sync", {"GET": blocks, "max_duration": 0.3})
    for name, value in {
        "int": 42,
        "set": {1, 2},
        "object": object(),
        "none": None,
        "unserializable": {"when": object()},
    }.items():
        app.add(f"/wrong/{name}", {"GET": returning(value)})

    async def bad_chunks() -> Response:
        return Response(iter(["fine\n", 42]))

    app.add("/wrong/chunk", {"GET": bad_chunks})

    async def stream_async() -> Response:
        async def forever() -> object:
            try:
                while True:
                    yield "tick\n"
                    await asyncio.sleep(0.01)
            finally:
                closed["async"].set()

        return Response(forever())

    def stream_sync() -> Response:
        def forever() -> object:
            try:
                while True:
                    yield "tick\n"
                    time.sleep(0.01)
            finally:
                closed["sync"].set()

        return Response(forever())

    app.add("/stream/async", {"GET": stream_async})
    app.add("/stream/sync", {"GET": stream_sync})
    return app


@pytest.fixture(scope="module")
def faulty() -> Iterator[Faulty]:
    release = threading.Event()
    closed = {"async": threading.Event(), "sync": threading.Event()}
    # Any Host: the odd requests below must reach dispatch (Host checks: test_attacks.py).
    server = Server(
        faulty_app(release, closed), idle_timeout=IDLE_TIMEOUT_S, allowed_hosts=["*"]
    ).start()
    try:
        yield Faulty(server.app, server, release, closed)
    finally:
        release.set()
        server.stop()


@pytest.fixture
def no_leaks(faulty: Faulty) -> Iterator[None]:
    """Threads and file descriptors after a test are what they were before it."""
    faulty.release.clear()
    assert faulty.still_answers()  # the worker pool and the loop exist before we count
    fds, threads = open_fds(), threads_besides_workers()
    yield
    faulty.release.set()  # let a blocked plain-def handler return
    assert faulty.still_answers()
    assert settles(lambda: open_fds() <= fds), f"file descriptors: {fds} -> {open_fds()}"
    assert settles(lambda: threads_besides_workers() == threads), threads_besides_workers()
    assert worker_threads() <= faulty.server.workers


def log_entry(app: App, path: str) -> LogEntry:
    return [entry for entry in app.log if entry.path == path][-1]


def test_a_handler_that_raises_is_a_500_with_its_traceback_in_the_log(faulty, no_leaks):
    assert faulty.get("/raise") == 500
    entry = log_entry(faulty.app, "/raise")
    assert entry.error == "RuntimeError: the handler broke"
    assert "raise RuntimeError" in (entry.traceback or "")
    assert faulty.still_answers()


@pytest.mark.parametrize("kind", ["async", "sync"])
def test_a_handler_past_max_duration_gets_504_and_the_others_still_answer(faulty, no_leaks, kind):
    assert faulty.get(f"/hang/{kind}") == 504
    assert "ran longer than max_duration = 0.3 s" in (
        log_entry(faulty.app, f"/hang/{kind}").error or ""
    )
    assert faulty.still_answers()


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("int", "Route handler returned int; return a Response"),
        ("set", "Route handler returned set; return a Response"),
        ("object", "Route handler returned object; return a Response"),
        ("none", "No response is returned from route handler '/wrong/none'"),
        ("unserializable", "TypeError: Object of type object is not JSON serializable"),
    ],
)
def test_a_handler_returning_the_wrong_type_is_a_500_that_says_what_to_return(
    faulty, no_leaks, name, error
):
    assert faulty.get(f"/wrong/{name}") == 500
    assert error in (log_entry(faulty.app, f"/wrong/{name}").error or "")
    assert faulty.still_answers()


def test_a_stream_that_yields_a_wrong_chunk_ends_the_connection_not_the_server(faulty, no_leaks):
    with socket.create_connection(("127.0.0.1", faulty.server.port), timeout=5) as sock:
        sock.sendall(b"GET /wrong/chunk HTTP/1.1\r\nHost: x\r\n\r\n")
        raw = b""
        while chunk := sock.recv(4096):  # until the server cuts the connection
            raw += chunk
    assert status_of(raw) == 200  # the status went out before the bad chunk was made
    assert raw.endswith(b"\r\n\r\n5\r\nfine\n\r\n")  # the good chunk, then nothing:
    assert b"0\r\n\r\n" not in raw  # ... the body ends abruptly, not as if complete
    entry = log_entry(faulty.app, "/wrong/chunk")
    assert entry.error == (
        "the response body failed while streaming: "
        "TypeError: A streamed body yields str or bytes chunks; got int."
    )
    assert "encode_chunk" in (entry.traceback or "")
    assert faulty.app.get("/wrong/chunk").errors == 1
    assert faulty.still_answers()


@pytest.mark.parametrize("kind", ["async", "sync"])
def test_an_endless_stream_stops_when_its_client_disconnects(faulty, no_leaks, kind):
    faulty.closed[kind].clear()
    with socket.create_connection(("127.0.0.1", faulty.server.port), timeout=10) as sock:
        sock.sendall(f"GET /stream/{kind} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        received = b""
        while received.count(b"tick") < 3:
            received += sock.recv(4096)
    assert status_of(received) == 200
    assert faulty.closed[kind].wait(10), "the generator was not closed (its finally never ran)"
    assert faulty.still_answers()


def test_a_slow_client_sending_partial_headers_is_closed_by_the_idle_timeout(faulty, no_leaks):
    with socket.create_connection(("127.0.0.1", faulty.server.port), timeout=10) as sock:
        sock.sendall(b"GET /ok HTTP/1.1\r\nHost: x\r\n")
        sock.settimeout(0.05)
        closed_by_server = False
        for n in range(200):  # one header line every 50 ms, never the blank line: 10 s at most
            try:
                sock.sendall(f"X-Slow-{n}: a\r\n".encode())
                if sock.recv(1) == b"":
                    closed_by_server = True
                    break
            except TimeoutError:
                assert faulty.still_answers()  # others are served meanwhile
            except (BrokenPipeError, ConnectionResetError):
                closed_by_server = True
                break
    assert closed_by_server


def test_an_idle_keep_alive_connection_is_closed_by_the_idle_timeout(faulty, no_leaks):
    with socket.create_connection(("127.0.0.1", faulty.server.port), timeout=10) as sock:
        sock.sendall(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = b""
        while not answer.endswith(b"ok"):
            answer += sock.recv(4096)
        assert status_of(answer) == 200
        answered = time.monotonic()
        assert sock.recv(1) == b""  # the server closed it; the 10 s socket timeout bounds this
        assert time.monotonic() - answered >= IDLE_TIMEOUT_S * 0.9  # ... and not before its time


# -- 1,000 malformed requests -----------------------------------------------------------------

CRLF = b"\r\n"
methods = st.one_of(
    st.sampled_from(
        [b"GET", b"POST", b"HEAD", b"OPTIONS", b"PUT", b"BREW", b"get", b"G\x00T", b""]
    ),
    st.binary(min_size=1, max_size=8),
)
targets = st.one_of(
    st.sampled_from(
        [b"/ok", b"/echo", b"/raise", b"*", b"", b"http://x/ok", b"/%", b"/%zz", b"/..", b"//"]
    ),
    st.binary(max_size=40).map(lambda raw: b"/" + raw),
    st.text(max_size=30).map(lambda text: ("/" + text).encode("utf-8", "surrogatepass")),
)
versions = st.sampled_from([b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2", b"HTTP/1.1x", b"", b"http/1.1"])
names = st.one_of(
    st.sampled_from(
        [b"Host", b"Content-Length", b"Transfer-Encoding", b"Content-Type", b"Cookie", b"Expect"]
    ),
    st.binary(max_size=16),
)
values = st.one_of(
    st.sampled_from(
        [
            b"0",
            b"5",
            b"-1",
            b"1e3",
            b"99999999999999999999",
            b"chunked",
            b"gzip, chunked",
            b"application/json",
            b"multipart/form-data; boundary=b",
            b"a=b; ;=c; %zz=%ff",
        ]
    ),
    st.binary(max_size=40),
)
bodies = st.one_of(
    st.binary(max_size=64),
    st.sampled_from([b"5\r\nhello\r\n0\r\n\r\n", b"zz\r\nx\r\n0\r\n\r\n", b'{"a": ', b"--b--"]),
)


@st.composite
def malformed_requests(draw: st.DrawFn) -> bytes:
    line = draw(methods) + b" " + draw(targets) + b" " + draw(versions)
    if draw(st.booleans()):
        line = draw(st.binary(max_size=60))  # sometimes not even a request line
    headers = draw(st.lists(st.tuples(names, values), max_size=5))
    end = draw(st.sampled_from([CRLF, CRLF, CRLF, b"\n", b"\r"]))
    head = line + end + b"".join(name + b": " + value + end for name, value in headers) + end
    return head + draw(bodies)


header_text = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=40
).map(lambda text: text.strip().encode("latin-1"))


@st.composite
def odd_requests(draw: st.DrawFn) -> bytes:
    """Well framed, so they reach dispatch, with odd targets, header values and bodies."""
    method = draw(st.sampled_from([b"GET", b"POST", b"HEAD", b"OPTIONS", b"DELETE", b"BREW"]))
    target = (
        draw(st.sampled_from([b"/ok", b"/echo", b"/wrong/", b"/stream/", b"/"]))
        + draw(st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=30)).encode()
    )
    headers = [(b"Host", draw(st.sampled_from([b"x", b"127.0.0.1:1", b"a.b", b""])))]
    headers += draw(
        st.lists(
            st.tuples(
                st.sampled_from([b"Content-Type", b"Cookie", b"Accept", b"X-Odd", b"Range"]),
                header_text,
            ),
            max_size=4,
        )
    )
    body = draw(st.binary(max_size=64)) if method != b"GET" else b""
    headers.append((b"Content-Length", str(len(body)).encode()))
    head = method + b" " + target + b" HTTP/1.1" + CRLF
    head += b"".join(name + b": " + value + CRLF for name, value in headers)
    return head + CRLF + body


@pytest.mark.slow  # a load test
def test_1000_malformed_requests_leave_the_server_answering_and_leak_nothing(faulty, no_leaks):
    fuzz(faulty)


@pytest.fixture(scope="module")
def faulty_on_uvicorn() -> Iterator[Faulty]:
    from tests.asgi_server import UvicornServer

    release = threading.Event()
    closed = {"async": threading.Event(), "sync": threading.Event()}
    server = UvicornServer(faulty_app(release, closed), allowed_hosts=["*"]).start()
    try:
        yield Faulty(server.app, server, release, closed)  # type: ignore[arg-type]
    finally:
        release.set()
        server.stop()


def test_1000_malformed_requests_leave_uvicorn_answering(faulty_on_uvicorn):
    """The same fuzz through notebook_routes.asgi: uvicorn parses, our rules answer."""
    faulty_on_uvicorn.release.set()  # a plain-def handler that blocks returns at once
    fuzz(faulty_on_uvicorn)


def fuzz(faulty: Faulty) -> None:
    port = faulty.server.port
    checked = {"n": 0}

    @settings(
        max_examples=1000,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.one_of(malformed_requests(), odd_requests()))
    def one(data: bytes) -> None:
        answer = exchange(port, data, wait=2, first_byte=0.05)
        if answer:
            status = status_of(answer)
            assert status is not None, f"not an HTTP response to {data!r}: {answer[:80]!r}"
            failing_route = any(route in data for route in (b"/raise", b"/wrong/", b"/hang/"))
            assert status < 500 or failing_route, (data, answer[:200])
        checked["n"] += 1
        if checked["n"] % 100 == 0:
            assert faulty.still_answers()

    one()
    assert checked["n"] >= 1000
    ours = [e for e in faulty.app.log if (e.error or "").startswith("notebook-routes failed")]
    assert ours == [], ours[0].traceback if ours else ""


def test_a_malformed_host_header_gets_a_400(faulty):
    raw = exchange(faulty.server.port, b"GET /ok HTTP/1.1\r\nHost: [::1\r\n\r\n")
    assert status_of(raw) == 400
