"""`notebook_routes.asgi` on every server: granian, hypercorn and gunicorn smoke runs of the
seed examples, a Starlette `Mount` (root_path), the lifespan, and clear errors.

The full HTTP suites run on tornado and uvicorn (test_examples.py, test_dispatch.py,
test_server.py, robustness/test_faults.py)."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from notebook_routes import App, Response
from notebook_routes._client import send
from notebook_routes._servers import free_port
from notebook_routes.asgi import call, create_app
from tests.asgi_server import UvicornServer
from tests.robustness import exchange, status_of
from tests.test_examples import APP, Served, serve


def smoke(served: Served) -> None:
    """The seed examples a deployment leans on: JSON, methods, a stream, a body, a 308."""
    hello = served.request("GET", "/api/hello")
    assert (hello.status, hello.content) == (200, b'{"message":"Hello World"}')
    assert served.request("POST", "/api/methods").status == 201
    head = served.request("HEAD", "/api/methods")
    assert (head.status, head.headers.get("x-method"), head.content) == (200, "HEAD", b"")
    options = served.request("OPTIONS", "/api/methods")
    assert options.headers.get("allow") == "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"
    assert served.request("GET", "/api/stream").text == "<p>One</p><p>Two</p><p>Three</p>"
    assert served.request("POST", "/items", json={"a": 1}).json() == {"res": {"a": 1}}
    moved = served.request("GET", "/api/hello/")
    assert (moved.status, moved.headers.get("location")) == (308, "/api/hello")
    assert served.request("GET", "/blog").status == 404
    got = served.request("GET", "/api/cookies", cookies={"a": "1", "c": "2"})
    assert got.json() == {"a": "1"}
    port = int(served.url.rsplit(":", 1)[1])
    evil = exchange(port, b"GET /api/hello HTTP/1.1\r\nHost: evil.test\r\n\r\n")
    assert status_of(evil) == 403  # DNS rebinding: a loopback server answers loopback names


@pytest.mark.parametrize("server", ["granian", "hypercorn"])
def test_serve_on_granian_and_hypercorn_answers_the_seed_examples(server):
    pytest.importorskip(server)
    for served in serve("--server", server):
        smoke(served)


def test_serve_on_uvicorn_with_two_workers_answers_the_seed_examples():
    for served in serve("--server", "uvicorn", "--workers", "2"):
        smoke(served)


def test_gunicorn_with_the_uvicorn_worker_answers_the_seed_examples():
    pytest.importorskip("gunicorn")
    pytest.importorskip("uvicorn_worker")
    port = free_port("127.0.0.1")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-k",
            "uvicorn_worker.UvicornWorker",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "notebook_routes.asgi:create_app()",
        ],
        env={**os.environ, "NOTEBOOK_ROUTES_DIR": str(APP)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        served = Served(f"http://127.0.0.1:{port}")
        wait_until_answering(served, process)
        smoke(served)
    finally:
        process.terminate()
        process.wait(15)


def wait_until_answering(served: Served, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if served.request("GET", "/api/hello", timeout=2).status == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.terminate()
            pytest.fail("the server did not start: " + process.communicate(timeout=10)[1])
        time.sleep(0.1)


def test_a_missing_server_is_reported_with_the_extra_that_installs_it(tmp_path):
    # A module named like the server that fails to import stands for "not installed".
    (tmp_path / "granian").mkdir()
    (tmp_path / "granian" / "__init__.py").write_text("raise ImportError('not here')\n")
    ran = subprocess.run(
        [sys.executable, "-m", "notebook_routes", "serve", str(APP), "--server", "granian"],
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ran.returncode == 2
    assert "pip install 'notebook-routes[granian]'" in ran.stderr


# -- inside another ASGI app --------------------------------------------------------------


@pytest.fixture
def mounted() -> Iterator[tuple[App, str]]:
    """Our app at /routes inside a Starlette app, on uvicorn."""
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Mount, Route

    app = App()
    app.add("/api/hello", {"GET": lambda: {"message": "Hello World"}})
    app.add("/api/url", {"GET": lambda request: {"pathname": request.next_url.pathname}})
    outer = Starlette(
        routes=[
            Route("/", lambda request: PlainTextResponse("outer")),
            Mount("/routes", app=create_app(app)),
        ]
    )
    server = UvicornServer(App())
    server.asgi = outer  # type: ignore[assignment]
    server._server.config.app = outer
    server._server.config.loaded = False
    server.start()
    try:
        yield app, server.url
    finally:
        server.stop()


def test_mounted_in_starlette_the_routes_answer_under_the_mount(mounted):
    app, url = mounted
    assert send(url, "GET", "/").text == "outer"
    hello = send(url, "GET", "/routes/api/hello")
    assert (hello.status, hello.json()) == (200, {"message": "Hello World"})
    assert send(url, "GET", "/routes/api/url").json() == {"pathname": "/api/url"}
    assert [entry.path for entry in app.log][-1] == "/api/url"


def test_under_a_mount_a_308_keeps_the_mount_prefix(mounted):
    _, url = mounted
    moved = send(url, "GET", "/routes/api/hello/?x=1")
    assert (moved.status, moved.headers.get("location")) == (308, "/routes/api/hello?x=1")


def test_root_path_given_to_uvicorn_is_honoured():
    app = App()
    app.add("/api/hello", {"GET": lambda: "hi"})
    server = UvicornServer(app)
    server._server.config.root_path = "/base"
    server.start()
    try:
        # uvicorn --root-path: the proxy in front strips /base; the redirect puts it back.
        assert send(server.url, "GET", "/api/hello").text == "hi"
        moved = send(server.url, "GET", "/api/hello/")
        assert moved.headers.get("location") == "/base/api/hello"
    finally:
        server.stop()


# -- the lifespan and the factory ---------------------------------------------------------


def test_no_argument_reads_the_folder_and_cache_from_the_environment(monkeypatch, tmp_path):
    (tmp_path / "app" / "api" / "hello").mkdir(parents=True)
    (tmp_path / "app" / "api" / "hello" / "route.py").write_text(
        "def GET():\n    return {'from': 'env'}\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NOTEBOOK_ROUTES_DIR", raising=False)
    monkeypatch.setenv("NOTEBOOK_ROUTES_CACHE", "memory://")
    asgi = create_app()  # ./app
    status, _, body = asyncio.run(call(asgi, "GET", "/api/hello"))
    assert (status, body) == (200, b'{"from":"env"}')
    monkeypatch.setenv("NOTEBOOK_ROUTES_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="NOTEBOOK_ROUTES_DIR=app"):
        create_app()
    monkeypatch.setenv("NOTEBOOK_ROUTES_CACHE", "memcached://x")
    with pytest.raises(ValueError, match="redis://HOST:PORT/DB"):
        create_app(tmp_path / "app")


def test_bad_sources_are_clear_errors():
    with pytest.raises(TypeError, match="app/ folder"):
        create_app(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"App\(cache=...\)"):
        create_app(App(), cache="memory://")


def test_startup_prerenders_once_and_shutdown_waits_for_requests_in_flight(tmp_path):
    (tmp_path / "app" / "static").mkdir(parents=True)
    (tmp_path / "app" / "static" / "route.py").write_text(
        "import os\nRENDERS = []\ndynamic = 'force-static'\n"
        "def GET():\n    RENDERS.append(1)\n    return {'renders': len(RENDERS)}\n"
    )
    asgi = create_app(tmp_path / "app")
    messages = [{"type": "lifespan.startup"}]
    sent: list[dict] = []
    release = asyncio.Event()

    async def lifespan() -> None:
        async def receive() -> dict:
            if messages:
                return messages.pop()
            await release.wait()
            return {"type": "lifespan.shutdown"}

        async def record(message: dict) -> None:
            sent.append(message)

        await asgi({"type": "lifespan"}, receive, record)

    async def main() -> list[str]:
        life = asyncio.ensure_future(lifespan())
        while not sent:
            await asyncio.sleep(0.01)
        status, headers, body = await call(asgi, "GET", "/static")
        cache = dict(headers)[b"x-nextjs-cache"]
        asgi.in_flight += 1  # a request still running when shutdown begins
        release.set()
        await asyncio.sleep(0.2)
        drained_early = life.done()
        asgi.in_flight -= 1
        await asyncio.wait_for(life, 5)
        return [
            sent[0]["type"],
            body.decode(),
            cache.decode(),
            str(drained_early),
            sent[-1]["type"],
        ]

    assert asyncio.run(main()) == [
        "lifespan.startup.complete",
        '{"renders":1}',
        "HIT",  # prerendered at start-up, answered from the cache
        "False",  # shutdown waited for the request in flight
        "lifespan.shutdown.complete",
    ]


def test_a_client_that_disconnects_mid_stream_closes_the_generator_on_uvicorn():
    closed = threading.Event()

    async def forever():
        try:
            while True:
                yield "tick\n"
                await asyncio.sleep(0.01)
        finally:
            closed.set()

    app = App()
    app.add("/ticks", {"GET": lambda: Response(forever())})
    server = UvicornServer(app).start()
    try:
        import socket

        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(b"GET /ticks HTTP/1.1\r\nHost: localhost\r\n\r\n")
            assert re.match(rb"HTTP/1\.1 200", sock.recv(4096))
        assert closed.wait(5)
    finally:
        server.stop()


def test_a_token_guards_every_route_on_uvicorn():
    app = App()
    app.add("/api/hello", {"GET": lambda: "hi"})
    server = UvicornServer(app, token="s3cret").start()
    try:
        refused = send(server.url, "GET", "/api/hello")
        assert refused.status == 401
        assert refused.headers.get("www-authenticate").startswith("Bearer")
        assert send(server.url, "GET", "/api/hello", token="s3cret").text == "hi"
        assert list(app.log)[-2].error == "refused: no valid bearer token"
    finally:
        server.stop()


def test_a_body_over_the_limit_is_413_and_logged_on_uvicorn():
    app = App()

    async def POST(request):
        return {"size": len(await request.body())}

    app.add("/upload", {"POST": POST})
    server = UvicornServer(app, max_body_size=1024).start()
    try:
        assert send(server.url, "POST", "/upload", body=b"x" * 2048).status == 413
        assert list(app.log)[-1].error == "refused: request body too large"
        fits = send(server.url, "POST", "/upload", body=b"x" * 1024)
        assert fits.json() == {"size": 1024}
    finally:
        server.stop()


def test_the_exported_asgi_py_names_the_folder_beside_it(tmp_path: Path):
    from notebook_routes._export.command import deploy_files

    files = deploy_files(tmp_path / "site")
    assert "create_app(Path(__file__).resolve().parent / 'site')" in files["asgi.py"]
    assert "notebook-routes[uvicorn]" in files["requirements.txt"]


def test_shutdown_waits_for_pending_after_callbacks(tmp_path):
    (tmp_path / "app" / "later").mkdir(parents=True)
    (tmp_path / "app" / "later" / "route.py").write_text(
        "import asyncio\nfrom notebook_routes import after\nDONE = []\n"
        "async def GET():\n"
        "    async def work():\n        await asyncio.sleep(0.3)\n        DONE.append('after')\n"
        "    after(work)\n    return {'answered': True}\n"
    )
    asgi = create_app(tmp_path / "app")
    sent: list[dict] = []
    messages = [{"type": "lifespan.startup"}]
    shutdown = asyncio.Event()

    async def lifespan() -> None:
        async def receive() -> dict:
            if messages:
                return messages.pop()
            await shutdown.wait()
            return {"type": "lifespan.shutdown"}

        async def record(message: dict) -> None:
            sent.append(message)

        await asgi({"type": "lifespan"}, receive, record)

    async def main() -> tuple[bytes, list[str], list[str]]:
        life = asyncio.ensure_future(lifespan())
        while not sent:
            await asyncio.sleep(0.01)
        _, _, body = await call(asgi, "GET", "/later")
        module = next(r for r in asgi.app.routes if r.source == "/later").namespace
        before = list(module["DONE"])  # answered before the callback ran
        shutdown.set()
        await asyncio.wait_for(life, 5)
        return body, before, list(module["DONE"])

    body, before, after_shutdown = asyncio.run(main())
    assert body == b'{"answered":true}'
    assert before == []
    assert after_shutdown == ["after"]  # the lifespan shutdown awaited it
