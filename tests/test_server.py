"""The tornado adapter and its thread: real HTTP on a loopback socket."""

from __future__ import annotations

import asyncio
import http.client
import socket
import threading
import time

import pytest

from notebook_routes import App, MemoryCache, Response, Server
from notebook_routes._client import send
from tests.clock import FakeClock


def test_serves_on_loopback_free_port_and_frees_it_on_stop():
    server = Server(App()).start()
    assert server.host == "127.0.0.1"
    assert server.url == f"http://127.0.0.1:{server.port}"
    port = server.port
    server.stop()
    assert not server.running
    with socket.socket() as probe:  # the port is free again
        probe.bind(("127.0.0.1", port))


def test_stop_leaves_no_server_thread_behind():
    before = {t.name for t in threading.enumerate()}
    server = Server(App()).start()
    server.stop()
    after = {t.name for t in threading.enumerate()}
    assert "notebook-routes-server" not in after - before


def test_port_already_taken_is_reported_by_start():
    first = Server(App()).start()
    try:
        with pytest.raises(OSError):
            Server(App(), port=first.port).start()
    finally:
        first.stop()


def test_a_non_loopback_host_gets_a_generated_token():
    server = Server(App(), host="0.0.0.0")
    assert server.token_generated and len(server.token) >= 20


def test_an_empty_token_is_refused():
    with pytest.raises(ValueError, match="token must be a non-empty str"):
        Server(App(), host="0.0.0.0", token="")


def test_bad_port_is_a_clear_error():
    with pytest.raises(ValueError, match="port must be an int"):
        Server(App(), port=70000)


def test_token_protects_every_route():
    app = App()
    app.add("/api/hello", {"GET": lambda: {"message": "Hello World"}})
    server = Server(app, token="s3cret").start()
    try:
        refused = send(server.url, "GET", "/api/hello")
        assert refused.status == 401
        assert refused.headers.get("www-authenticate").startswith("Bearer")
        wrong = send(server.url, "GET", "/api/hello", headers={"Authorization": "Bearer nope"})
        assert wrong.status == 401
        ok = send(server.url, "GET", "/api/hello", token="s3cret")
        assert ok.status == 200 and ok.json() == {"message": "Hello World"}
    finally:
        server.stop()


def test_public_url_is_direct_locally_and_proxied_under_jupyterhub(monkeypatch):
    server = Server(App())
    server.port = 8123
    monkeypatch.delenv("JUPYTERHUB_SERVICE_PREFIX", raising=False)
    assert server.public_url("/api/hello") == "http://127.0.0.1:8123/api/hello"
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/ada/")
    assert server.public_url("/api/hello") == "/user/ada/proxy/8123/api/hello"


def test_body_over_the_limit_gets_413_and_the_server_keeps_answering():
    app = App()

    async def POST(request):
        return {"size": len(await request.body())}

    app.add("/upload", {"POST": POST})
    server = Server(app, max_body_size=1024).start()
    try:
        too_big = send(server.url, "POST", "/upload", body=b"x" * 2048)
        assert too_big.status == 413
        fits = send(server.url, "POST", "/upload", body=b"x" * 1024)
        assert fits.status == 200 and fits.json() == {"size": 1024}
    finally:
        server.stop()


def test_chunked_body_over_the_limit_gets_413(served):
    async def POST(request):
        return {"size": len(await request.body())}

    served.app.add("/upload", {"POST": POST})
    served.server.max_body_size = 100
    conn = served.connection()
    conn.putrequest("POST", "/upload")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    for _ in range(3):
        conn.send(b"40\r\n" + b"y" * 64 + b"\r\n")
    conn.send(b"0\r\n\r\n")
    answer = conn.getresponse()
    assert answer.status == 413
    assert served.request("GET", "/upload").status == 405  # still answering


def test_a_slow_def_handler_does_not_block_another_request(served):
    release = threading.Event()

    def slow():
        release.wait(10)
        return "slow done"

    served.app.add("/slow", {"GET": slow})
    served.app.add("/fast", {"GET": lambda: "fast"})
    results = {}
    waiter = threading.Thread(target=lambda: results.update(slow=served.request("GET", "/slow")))
    waiter.start()
    try:
        fast = served.request("GET", "/fast")  # answered while /slow still sleeps in a worker
        assert fast.text == "fast"
        assert "slow" not in results
    finally:
        release.set()
        waiter.join(10)
    assert results["slow"].text == "slow done"


def test_streamed_chunks_are_flushed_as_they_are_produced(served):
    second_may_go = threading.Event()

    async def chunks():
        yield "first|"
        # The test reads "first|" before letting the generator go on: proof of flushing.
        await asyncio.get_running_loop().run_in_executor(None, second_may_go.wait, 10)
        yield "second"

    served.app.add("/stream", {"GET": lambda: Response(chunks())})
    conn = served.connection()
    conn.request("GET", "/stream")
    answer = conn.getresponse()
    assert answer.status == 200
    assert answer.getheader("Transfer-Encoding") == "chunked"
    assert answer.getheader("Content-Type") is None  # observed: streams get none
    assert answer.read1(100) == b"first|"
    second_may_go.set()
    assert answer.read() == b"second"


def test_sync_generator_bodies_stream_from_the_worker_pool(served):
    def words():
        for word in ("a", "b", "c"):
            time.sleep(0.01)  # blocking is fine: it runs off the server loop
            yield word

    served.app.add("/words", {"GET": lambda: Response(words())})
    assert served.request("GET", "/words").text == "abc"


def test_a_client_that_disconnects_mid_stream_closes_the_generator(served):
    closed = threading.Event()

    async def forever():
        try:
            while True:
                yield "tick\n"
                await asyncio.sleep(0.01)
        finally:
            closed.set()

    served.app.add("/forever", {"GET": lambda: Response(forever())})
    conn = served.connection()
    conn.request("GET", "/forever")
    answer = conn.getresponse()
    assert answer.read1(5).startswith(b"tick")
    conn.sock.shutdown(socket.SHUT_RDWR)
    conn.close()
    assert closed.wait(10), "the generator's finally block did not run"


def test_a_stream_that_fails_midway_cuts_the_connection(served):
    async def broken():
        yield "partial"
        raise RuntimeError("boom")

    served.app.add("/broken", {"GET": lambda: Response(broken())})
    conn = served.connection()
    conn.request("GET", "/broken")
    answer = conn.getresponse()
    with pytest.raises(http.client.IncompleteRead):  # the client can tell it was cut
        answer.read()
    served.app.add("/ok", {"GET": lambda: "ok"})
    assert served.request("GET", "/ok").text == "ok"


def test_request_body_stream_is_read_as_it_arrives(served):
    seen = []

    async def POST(request):
        async for chunk in request.stream():
            seen.append(chunk)
        return {"chunks": len(seen), "bytes": sum(map(len, seen))}

    served.app.add("/ingest", {"POST": POST})
    conn = served.connection()
    conn.putrequest("POST", "/ingest")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    conn.send(b"5\r\nhello\r\n")
    deadline = time.monotonic() + 10
    while not seen and time.monotonic() < deadline:  # the handler sees the first chunk
        time.sleep(0.01)
    assert seen == [b"hello"]
    conn.send(b"6\r\n world\r\n0\r\n\r\n")
    answer = conn.getresponse()
    assert answer.status == 200
    assert answer.read() == b'{"chunks":2,"bytes":11}'


def test_keep_alive_serves_several_requests_on_one_connection(served):
    served.app.add("/n", {"GET": lambda: "n"})
    conn = served.connection()
    for _ in range(3):
        conn.request("GET", "/n")
        answer = conn.getresponse()
        assert answer.read() == b"n"


def test_garbage_on_the_socket_never_stops_the_server(served):
    served.app.add("/ok", {"GET": lambda: "ok"})
    for garbage in (b"\x00\x01\x02\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n"):
        with socket.create_connection(("127.0.0.1", served.server.port), timeout=5) as raw:
            raw.sendall(garbage)
            raw.recv(1024)
    assert served.request("GET", "/ok").text == "ok"


def test_a_non_ascii_path_is_sent_percent_encoded_and_decoded_per_segment(served):
    served.app.add("/items/[slug]", {"GET": lambda request, context: context.params["slug"]})
    assert served.request("GET", "/items/café").text == "café"


@pytest.mark.parametrize("method", ["G ET", "GET\r\n", ""])
def test_the_client_refuses_a_method_that_is_not_a_token(served, method):
    with pytest.raises((ValueError, TypeError), match="method must be"):
        served.request(method, "/a")


def test_a_cache_hit_is_answered_and_logged_as_dispatch_would(served):
    renders = []

    def handler():
        renders.append(1)
        return Response.json({"render": len(renders)})

    served.app.add("/static", {"GET": handler, "dynamic": "force-static"})
    first = served.request("GET", "/static")
    hit = served.request("GET", "/static?ignored=1", headers={"X-Probe": "1"})
    head = served.request("HEAD", "/static")
    assert first.headers["x-nextjs-cache"] == "MISS"
    assert (hit.status, hit.json(), hit.headers["x-nextjs-cache"]) == (200, {"render": 1}, "HIT")
    assert hit.headers["Cache-Control"] == "s-maxage=31536000"
    assert hit.headers["Content-Type"] == "application/json"
    assert (head.status, head.text, head.headers["x-nextjs-cache"]) == (200, "", "HIT")
    assert head.headers["Content-Length"] == str(len(hit.text))
    assert renders == [1]
    logged = list(served.app.log)[-2:]
    assert [(e.method, e.path, e.route, e.status, e.cache) for e in logged] == [
        ("GET", "/static", "/static", 200, "HIT"),
        ("HEAD", "/static", "/static", 200, "HIT"),
    ]
    # As received: ASGI servers hand the app lower-cased names (the ASGI spec).
    assert ("x-probe", "1") in [(n.lower(), v) for n, v in logged[0].request_headers]
    assert served.app.get("/static").hits == 3


def test_a_stale_entry_answers_stale_once_and_regenerates_in_the_background():
    clock = FakeClock()
    app = App(cache=MemoryCache(clock))
    renders = []

    def handler():
        renders.append(1)
        return f"render {len(renders)}"

    app.add("/isr", {"GET": handler, "revalidate": 60})
    server = Server(app).start()
    try:
        assert send(server.url, "GET", "/isr").headers["x-nextjs-cache"] == "MISS"
        clock.advance(61)
        stale = send(server.url, "GET", "/isr")
        assert (stale.text, stale.headers["x-nextjs-cache"]) == ("render 1", "STALE")
        deadline = time.monotonic() + 10
        while app.cache.peek("/isr").body != b"render 2" and time.monotonic() < deadline:
            time.sleep(0.01)  # the regeneration runs in the background
        fresh = send(server.url, "GET", "/isr")
        assert (fresh.text, fresh.headers["x-nextjs-cache"]) == ("render 2", "HIT")
        assert fresh.headers["Cache-Control"] == "s-maxage=60, stale-while-revalidate=31535940"
    finally:
        server.stop()


def test_a_plain_def_handler_reads_the_body_without_await(served):
    def POST(request):
        # A def handler runs on a worker thread: the readers give values, no await needed.
        return {"json": request.json(), "text": request.text(), "bytes": len(request.body())}

    def PUT(request):
        form = request.form_data()
        return {"name": form.get("name")}

    def PATCH(request):
        received = 0
        for chunk in request.stream():  # a plain iterator here; async for in an async def
            assert isinstance(chunk, bytes)
            received += len(chunk)
        return {"received": received}

    served.app.add("/sync-body", {"POST": POST, "PUT": PUT, "PATCH": PATCH})
    got = served.request("POST", "/sync-body", json={"a": [1, 2]})
    assert (got.status, got.json()) == (
        200,
        {"json": {"a": [1, 2]}, "text": '{"a":[1,2]}', "bytes": 11},
    )
    assert served.request("PUT", "/sync-body", data={"name": "Zoë"}).json() == {"name": "Zoë"}
    big = served.request("PATCH", "/sync-body", body=b"\0" * 250_000)
    assert big.json() == {"received": 250_000}
    bad = served.request(
        "POST", "/sync-body", body="{nope", headers={"Content-Type": "application/json"}
    )
    assert bad.status == 400
    assert "Invalid JSON in request body" in (list(served.app.log)[-1].error or "")
