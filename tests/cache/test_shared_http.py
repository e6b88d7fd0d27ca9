"""Several real `serve` processes sharing one real redis-server, over real HTTP.

Two servers on two ports (as two hosts behind a load balancer), then ``--workers 4`` on
one port: a revalidation on one is seen on the others, a stale entry is regenerated once
across all of them, fifty cold requests run the handler once, and a server started
against a Redis that already holds an entry answers that same body.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from notebook_routes.cache import RedisCache, path_tag
from tests.cache.conftest import unique_prefix
from tests.cache.serving import Served, concurrently, renders, serving, write_app
from tests.redis_server import free_port


def until(condition, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


class Shared:
    """An app folder, its data file and render log, and the env that shares one Redis."""

    def __init__(self, root: Path, url: str) -> None:
        self.app = write_app(root)
        self.log = root / "renders.log"
        self.value = root / "value.txt"
        self.value.write_text("v1")
        self.prefix = unique_prefix()
        self.url = url
        self.env = {
            "RENDER_LOG": str(self.log),
            "VALUE_FILE": str(self.value),
            "NOTEBOOK_ROUTES_CACHE": url,
        }

    def serve(self, *args: str, port: int = 0):
        return serving(self.app, self.env, "--cache-prefix", self.prefix, *args, port=port)

    def store(self) -> RedisCache:
        store = RedisCache(self.url, prefix=self.prefix, timeout_s=3.0)
        assert store.wait_subscribed(10)
        return store


@pytest.fixture
def shared(tmp_path, redis_server) -> Shared:
    return Shared(tmp_path, redis_server.url)


@pytest.fixture
def two(shared) -> Iterator[tuple[Served, Served]]:
    with shared.serve() as a, shared.serve() as b:
        yield a, b


def body(response) -> dict:
    assert response.status == 200, (response.status, response.text)
    return json.loads(response.text)


def test_a_second_server_answers_the_body_the_first_prerendered(shared):
    with shared.serve() as a:
        first = a.get("/boot")
        assert first.headers.get("x-nextjs-cache") == "HIT"
        with shared.serve() as b:
            second = b.get("/boot")
    assert second.headers.get("x-nextjs-cache") == "HIT"
    assert second.text == first.text  # b's start-up prerender kept a's fresh entry
    assert body(second)["pid"] == a.process.pid


@pytest.mark.parametrize("handler", ["/revalidate", "/revalidate-sync"])
def test_a_revalidation_on_one_server_is_seen_on_the_other(shared, two, handler):
    a, b = two
    assert body(a.get("/data"))["value"] == "v1"
    assert b.get("/data").headers.get("x-nextjs-cache") == "HIT"  # a's render, shared
    shared.value.write_text("v2")
    assert b.get("/data").headers.get("x-nextjs-cache") == "HIT"  # cached: still v1
    assert body(b.get("/data"))["value"] == "v1"

    assert body(a.post(handler))["revalidated"] == "/data"

    assert until(lambda: body(b.get("/data"))["value"] == "v2")
    assert body(a.get("/data"))["value"] == "v2"
    assert b.get("/data").headers.get("x-nextjs-cache") == "HIT"


def test_a_stale_entry_is_regenerated_once_across_both_servers(shared, two):
    a, b = two
    original = a.get("/data").text
    assert b.get("/data").text == original
    before = len(renders(shared.log, "data"))
    store = shared.store()
    try:
        store.invalidate([path_tag("/data")], expire_s=3600)  # stale, not gone
    finally:
        store.close()
    until(lambda: b.get("/data").headers.get("x-nextjs-cache") != "HIT", 5)

    answers = concurrently([lambda s=s: s.get("/data") for s in (a, b) * 20])
    states = {r.headers.get("x-nextjs-cache") for r in answers}
    assert states <= {"STALE", "HIT"} and all(r.status == 200 for r in answers)
    assert until(lambda: a.get("/data").text != original and b.get("/data").text != original)
    time.sleep(0.5)  # a second regeneration, if there were one, would have logged by now
    assert len(renders(shared.log, "data")) == before + 1
    assert a.get("/data").text == b.get("/data").text


def test_fifty_cold_requests_over_two_servers_run_the_handler_once(shared, two):
    a, b = two
    answers = concurrently([lambda s=s: s.get("/cold/x") for s in (a, b) * 25])
    assert [r.status for r in answers] == [200] * 50
    assert len({r.text for r in answers}) == 1
    assert len(renders(shared.log, "cold")) == 1


def test_serve_workers_4_share_one_cache(shared):
    port = free_port()
    with shared.serve("--workers", "4", port=port) as served:
        pids = {body(served.get("/pid"))["pid"] for _ in range(60)}
        assert len(pids) >= 2, "the kernel did not spread connections over the workers"

        # The same body from every worker after start-up (rendered once, by the parent).
        boots = {served.get("/boot").text for _ in range(40)}
        assert len(boots) == 1
        assert len(renders(shared.log, "boot")) == 1

        # Fifty cold requests: one handler run across the four processes.
        answers = concurrently([lambda: served.get("/cold/w") for _ in range(50)])
        assert [r.status for r in answers] == [200] * 50
        assert len(renders(shared.log, "cold")) == 1

        # A revalidation on whichever worker takes the POST is seen by every worker.
        assert len({served.get("/data").text for _ in range(20)}) == 1
        shared.value.write_text("v2")
        assert body(served.post("/revalidate"))["revalidated"] == "/data"

        def all_new() -> bool:
            return all(body(served.get("/data"))["value"] == "v2" for _ in range(20))

        assert until(all_new)

        # One regeneration across the workers.
        before = len(renders(shared.log, "data"))
        store = shared.store()
        try:
            store.invalidate([path_tag("/data")], expire_s=3600)
        finally:
            store.close()
        answers = concurrently([lambda: served.get("/data") for _ in range(40)])
        assert all(r.status == 200 for r in answers)
        assert until(lambda: len(renders(shared.log, "data")) == before + 1)
        time.sleep(0.5)
        assert len(renders(shared.log, "data")) == before + 1


def test_a_kernel_and_a_serve_share_one_cache(shared):
    """The notebook's app, configured from NOTEBOOK_ROUTES_CACHE, and a running serve."""
    from tests.cache.serving import ROUTES
    from tests.kernel import Kernel

    with shared.serve() as served:
        from_serve = served.get("/data")
        assert body(from_serve)["value"] == "v1"
        kernel = Kernel(env={**os.environ, **shared.env})
        try:
            kernel.ok("%load_ext notebook_routes")
            kernel.ok(
                f"import notebook_routes\nnotebook_routes.configure(cache_prefix={shared.prefix!r})"
            )
            kernel.ok(f"%%route /data\n{ROUTES['data']}")
            # The kernel's own start-up render kept the serve's fresh entry.
            in_kernel = kernel.http("GET", "/data")
            assert in_kernel.headers.get("x-nextjs-cache") == "HIT"
            assert in_kernel.text == from_serve.text
            table = kernel.value(
                "[(r.path, r.origin) for r in notebook_routes.cache_table().itertuples()"
                " if r.path == '/data']"
            )
            assert table == [("/data", f"{socket.gethostname()}:{served.process.pid}")]

            # A revalidation in a cell is seen by the serve, and one in the serve by the kernel.
            shared.value.write_text("from the kernel")
            kernel.ok("notebook_routes.revalidate_path('/data')")
            assert until(lambda: body(served.get("/data"))["value"] == "from the kernel")
            assert body(kernel.http("GET", "/data"))["value"] == "from the kernel"
            shared.value.write_text("from the serve")
            assert served.post("/revalidate").status == 200
            assert until(lambda: body(kernel.http("GET", "/data"))["value"] == "from the serve")
        finally:
            kernel.shutdown()


def test_notebook_routes_run_cache_shares_the_kernels_cache_with_a_serve(
    shared, tmp_path, monkeypatch
):
    """``run --cache URL``: the headless kernel's app and a `serve` answer one body."""
    from tests.cache.serving import ROUTES
    from tests.test_run import running, write_notebook

    notebook = write_notebook(
        tmp_path / "shared.ipynb",
        "%load_ext notebook_routes",
        f"import notebook_routes\nnotebook_routes.configure(cache_prefix={shared.prefix!r})",
        f"%%route /data\n{ROUTES['data']}",
    )
    for name in ("RENDER_LOG", "VALUE_FILE"):  # the kernel's handler reads them
        monkeypatch.setenv(name, shared.env[name])
    monkeypatch.delenv("NOTEBOOK_ROUTES_CACHE", raising=False)  # --cache alone sets it
    with running(notebook, tmp_path, "--cache", shared.url) as run:
        from_run = run.request("GET", "/data")
        assert from_run.headers.get("x-nextjs-cache") == "HIT"
        with shared.serve() as served:
            from_serve = served.get("/data")
        assert from_serve.headers.get("x-nextjs-cache") == "HIT"
        assert from_serve.text == from_run.text  # the serve kept the kernel's prerender
        assert body(from_serve)["pid"] != served.process.pid
