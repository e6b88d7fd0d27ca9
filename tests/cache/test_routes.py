"""Static rendering, ISR and prerendering (SPEC §10), over real HTTP with a hand-moved clock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from notebook_routes import App, Response, RouteError, Server, cookies, headers
from tests.clock import FakeClock
from tests.conftest import Live


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def live(clock: FakeClock) -> Iterator[Live]:
    app = App(clock=clock)
    server = Server(app).start()
    try:
        yield Live(app, server)
    finally:
        server.stop()


def add(live: Live, path: str, namespace: dict) -> object:
    """Register with a prerender, as a %%route cell or `serve` start-up does."""
    return live.server.submit(live.app.add_prerendered(path, namespace)).result(30)


class Counter:
    """A handler that counts its runs and answers with the count."""

    def __init__(self) -> None:
        self.runs = 0
        self.lock = threading.Lock()

    def __call__(self) -> Response:
        with self.lock:
            self.runs += 1
            return Response(f"render {self.runs}")


# -- which routes are static -----------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "rendering"),
    [
        ({}, "dynamic"),
        ({"dynamic": "force-static"}, "static"),
        ({"dynamic": "error"}, "static"),
        ({"revalidate": False}, "static"),
        ({"revalidate": 60}, "isr"),
        ({"revalidate": 0}, "dynamic"),
        ({"dynamic": "force-dynamic", "revalidate": 60}, "dynamic"),
        ({"generate_static_params": lambda: []}, "static"),
    ],
)
def test_static_or_dynamic_from_exports(config, rendering):
    assert App().add("/r", {"GET": Counter(), **config}).rendering == rendering


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_other_handlers_make_get_dynamic(method):
    route = App().add("/r", {"GET": Counter(), method: Counter(), "dynamic": "force-static"})
    assert route.rendering == "dynamic"


def test_a_plain_get_is_dynamic_and_sends_no_cache_headers(live):
    handler = Counter()
    add(live, "/plain", {"GET": handler})
    first, second = live.request("GET", "/plain"), live.request("GET", "/plain")
    assert (first.text, second.text) == ("render 1", "render 2")
    assert first.headers.get("x-nextjs-cache") is None
    assert first.headers.get("cache-control") is None


# -- static ----------------------------------------------------------------------------


def test_static_route_is_prerendered_and_then_a_hit(live):
    handler = Counter()
    add(live, "/static", {"GET": handler, "dynamic": "force-static"})
    assert handler.runs == 1  # rendered at registration: the notebook's `next build`
    got = live.request("GET", "/static")
    assert got.text == "render 1"
    assert got.headers.get("x-nextjs-cache") == "HIT"
    assert got.headers.get("cache-control") == "s-maxage=31536000"
    assert got.headers.get("content-type") == "text/plain; charset=utf-8"
    live.request("GET", "/static")
    assert handler.runs == 1


def test_head_uses_gets_entry(live):
    handler = Counter()
    add(live, "/static", {"GET": handler, "revalidate": False})
    got = live.request("HEAD", "/static")
    assert (got.status, got.content, got.headers.get("x-nextjs-cache")) == (200, b"", "HIT")
    assert handler.runs == 1


def test_entries_are_keyed_by_pathname_not_query(live):
    handler = Counter()
    add(live, "/static", {"GET": handler, "dynamic": "force-static"})
    assert live.request("GET", "/static?a=1").text == "render 1"
    assert live.request("GET", "/static?a=2").headers.get("x-nextjs-cache") == "HIT"


def test_force_static_hands_the_handler_empty_inputs(live):
    def GET(request):
        return {
            "query": request.next_url.search_params.get("q"),
            "header": request.headers.get("x-a"),
            "cookie": request.cookies.get("c"),
            "url": request.url,
        }

    add(live, "/empty", {"GET": GET, "dynamic": "force-static"})
    got = live.request("GET", "/empty?q=1", headers={"X-A": "1"}, cookies={"c": "1"})
    assert got.json() == {
        "query": None,
        "header": None,
        "cookie": None,
        "url": f"{live.server.url}/empty",  # the server's own origin (issue 19 item 3)
    }


def test_rerunning_a_cell_drops_the_old_handlers_answers(live):
    add(live, "/v", {"GET": lambda: "one", "dynamic": "force-static"})
    add(live, "/v", {"GET": lambda: "two", "dynamic": "force-static"})
    assert live.request("GET", "/v").text == "two"


# -- the dynamic bail-out and dynamic = "error" ----------------------------------------


@pytest.mark.parametrize(
    ("uses", "api"),
    [
        (lambda request: headers().get("x"), "headers()"),
        (lambda request: cookies().get("x"), "cookies()"),
        (lambda request: request.headers.get("x"), "request.headers"),
        (lambda request: request.next_url.search_params.get("x"), "request.next_url.search_params"),
    ],
)
def test_auto_route_using_a_dynamic_api_becomes_dynamic(live, uses, api):
    def GET(request):
        uses(request)
        return "rendered"

    route = add(live, "/auto", {"GET": GET, "revalidate": 60})
    assert route.rendering == "dynamic"
    assert route.bailout == f"used `{api}` while prerendering"
    got = live.request("GET", "/auto")
    assert got.text == "rendered" and got.headers.get("x-nextjs-cache") is None


def test_dynamic_error_refuses_the_route_and_keeps_the_table(live):
    add(live, "/api/err", {"GET": lambda: "before"})

    def GET():
        headers()
        return "never"

    with pytest.raises(RouteError) as caught:
        add(live, "/api/err", {"GET": GET, "dynamic": "error"})
    assert str(caught.value) == (
        'Route /api/err with `dynamic = "error"` couldn\'t be rendered statically because it '
        "used `headers()`."
    )
    assert live.request("GET", "/api/err").text == "before"


def test_a_failing_prerender_refuses_the_route(live):
    def GET():
        raise RuntimeError("db down")

    with pytest.raises(RouteError, match="Prerendering /boom .* failed: RuntimeError: db down"):
        add(live, "/boom", {"GET": GET, "dynamic": "force-static"})
    assert live.app.get("/boom") is None


# -- ISR -------------------------------------------------------------------------------


def test_isr_fresh_then_one_stale_answer_then_the_new_body(live, clock):
    handler = Counter()
    add(live, "/isr", {"GET": handler, "revalidate": 60})
    fresh = live.request("GET", "/isr")
    assert (fresh.text, fresh.headers.get("x-nextjs-cache")) == ("render 1", "HIT")
    assert fresh.headers.get("cache-control") == "s-maxage=60, stale-while-revalidate=31535940"

    clock.advance(61)
    stale = live.request("GET", "/isr")
    assert (stale.text, stale.headers.get("x-nextjs-cache")) == ("render 1", "STALE")
    wait_for(lambda: live.request("GET", "/isr").text == "render 2")
    after = live.request("GET", "/isr")
    assert (after.text, after.headers.get("x-nextjs-cache")) == ("render 2", "HIT")
    assert handler.runs == 2  # exactly one regeneration


def test_concurrent_stale_requests_start_exactly_one_regeneration(live, clock):
    gate = threading.Event()
    runs = []

    def GET():
        runs.append(1)
        if len(runs) > 1:
            gate.wait(10)
        return f"render {len(runs)}"

    add(live, "/isr", {"GET": GET, "revalidate": 10})
    clock.advance(11)
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda _: live.request("GET", "/isr"), range(10)))
    assert {a.headers.get("x-nextjs-cache") for a in answers} == {"STALE"}
    assert {a.text for a in answers} == {"render 1"}
    gate.set()
    wait_for(lambda: live.request("GET", "/isr").text == "render 2")
    assert len(runs) == 2


def test_a_failing_regeneration_keeps_the_last_good_body_and_logs(live, clock):
    fail = threading.Event()

    def GET():
        if fail.is_set():
            raise RuntimeError("upstream gone")
        return "good"

    add(live, "/isr", {"GET": GET, "revalidate": 10})
    fail.set()
    clock.advance(11)
    assert live.request("GET", "/isr").text == "good"
    wait_for(lambda: any(e.cache == "REVALIDATE" for e in live.app.log))
    entry = next(e for e in live.app.log if e.cache == "REVALIDATE")
    assert "Regenerating /isr failed, still serving the last good body" in entry.error
    assert "RuntimeError: upstream gone" in entry.error
    assert live.request("GET", "/isr").text == "good"


# -- generate_static_params and dynamic_params -----------------------------------------


def test_listed_params_are_prerendered_and_others_miss_then_hit(live):
    runs = []

    def GET(request, context):
        runs.append(context.params["slug"])
        return {"slug": context.params["slug"]}

    route = add(
        live,
        "/items/[slug]",
        {"GET": GET, "generate_static_params": lambda: [{"slug": "a"}, {"slug": "b"}]},
    )
    assert sorted(runs) == ["a", "b"]
    assert route.rendering == "static"
    assert live.request("GET", "/items/a").headers.get("x-nextjs-cache") == "HIT"
    first = live.request("GET", "/items/c")
    assert (first.json(), first.headers.get("x-nextjs-cache")) == ({"slug": "c"}, "MISS")
    assert live.request("GET", "/items/c").headers.get("x-nextjs-cache") == "HIT"


def test_dynamic_params_false_answers_404_for_unlisted_params(live):
    add(
        live,
        "/items/[slug]",
        {
            "GET": lambda request, context: dict(context.params),
            "generateStaticParams": lambda: [{"slug": "a"}],
            "dynamicParams": False,
        },
    )
    assert live.request("GET", "/items/a").status == 200
    assert live.request("GET", "/items/z").status == 404


def test_async_generate_static_params_and_catch_alls(live):
    async def generate():
        return [{"slug": ["x", "y"]}]

    add(
        live,
        "/blog/[...slug]",
        {"GET": lambda request, context: dict(context.params), "generate_static_params": generate},
    )
    got = live.request("GET", "/blog/x/y")
    assert (got.json(), got.headers.get("x-nextjs-cache")) == ({"slug": ["x", "y"]}, "HIT")


def test_bad_generate_static_params_refuses_the_route(live):
    with pytest.raises(RouteError, match="must return a list of param dicts"):
        add(live, "/items/[slug]", {"GET": Counter(), "generate_static_params": lambda: "a"})


def test_progress_is_reported_per_param_set(live):
    seen = []
    namespace = {
        "GET": lambda request, context: "x",
        "generate_static_params": lambda: [{"slug": str(i)} for i in range(12)],
    }
    live.server.submit(
        live.app.add_prerendered("/p/[slug]", namespace, progress=lambda d, t: seen.append((d, t)))
    ).result(30)
    assert seen[0] == (1, 12) and seen[-1] == (12, 12)


# -- coalescing ------------------------------------------------------------------------


def test_fifty_concurrent_requests_to_a_cold_path_run_the_handler_once(live):
    gate = threading.Event()
    handler_runs = []

    def GET(request, context):
        handler_runs.append(1)
        gate.wait(10)
        return "cold"

    add(live, "/cold/[id]", {"GET": GET, "dynamic": "force-static"})
    with ThreadPoolExecutor(50) as pool:
        futures = [pool.submit(live.request, "GET", "/cold/1") for _ in range(50)]
        wait_for(lambda: len(handler_runs) >= 1)
        gate.set()
        answers = [f.result() for f in futures]
    assert {a.text for a in answers} == {"cold"}
    assert len(handler_runs) == 1


# -- revalidate_path / revalidate_tag --------------------------------------------------


def test_revalidate_path_drops_one_entry(live):
    handler = Counter()
    add(live, "/static", {"GET": handler, "dynamic": "force-static"})
    assert live.app.revalidate_path("/static") is True
    got = live.request("GET", "/static")
    assert (got.text, got.headers.get("x-nextjs-cache")) == ("render 2", "MISS")


def test_revalidate_tag_drops_routes_tagged_by_their_data(live):
    from notebook_routes import cached

    @cached(tags=["posts"])
    def posts():
        return ["p1"]

    handler_runs = []

    def GET():
        handler_runs.append(1)
        return {"posts": posts(), "run": len(handler_runs)}

    add(live, "/posts", {"GET": GET, "dynamic": "force-static"})
    keys = live.app.revalidate_tag("posts")
    assert "/posts" in keys and any(k.startswith("cached ") for k in keys)
    assert live.request("GET", "/posts").json()["run"] == 2


def wait_for(condition, timeout: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)
