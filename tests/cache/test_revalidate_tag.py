"""`revalidate_tag(tag, profile)` and `update_tag(tag)` as Next.js 16 has them (issue 16),
over real HTTP: a POST in one route invalidates what a static GET in another shows."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from notebook_routes import App, Response, Server, cached, fetch, revalidate_tag, update_tag
from notebook_routes._tables import cache_table
from notebook_routes.cache._invalidate import SINGLE_ARG_WARNING, UPDATE_TAG_IN_HANDLER
from tests.cache.test_routes import add, wait_for
from tests.clock import FakeClock
from tests.conftest import Live

WARNING_TEXT = (
    '"revalidateTag" without the second argument is now deprecated, add second argument of '
    '"max" or use "updateTag". See more info here: '
    "https://nextjs.org/docs/messages/revalidate-tag-single-arg"
)
UPDATE_TAG_TEXT = (
    "updateTag can only be called from within a Server Action. To invalidate cache tags in "
    "Route Handlers or other contexts, use revalidateTag instead. See more info here: "
    "https://nextjs.org/docs/app/api-reference/functions/updateTag"
)


@pytest.fixture
def live() -> Iterator[Live]:
    app = App(clock=FakeClock())  # time stands still: only a tag can make an entry stale
    server = Server(app).start()
    try:
        yield Live(app, server)
    finally:
        server.stop()


class Posts:
    """A GET with ``revalidate = 3600`` that shows tagged data, counting its renders.

    A render after the first waits for `gate` when `hold` is set, so a test can send
    requests while one regeneration is running.
    """

    def __init__(self) -> None:
        self.value = "old"
        self.renders = 0
        self.hold = False
        self.gate = threading.Event()
        self.lock = threading.Lock()

        @cached(tags=["posts"])
        def posts() -> str:
            return self.value

        self.posts = posts

    def __call__(self) -> Response:
        with self.lock:
            self.renders += 1
            run = self.renders
        if run > 1 and self.hold:
            self.gate.wait(10)
        return Response.json({"posts": self.posts(), "render": run})


def state(got) -> tuple[str, str | None]:
    return got.json()["posts"], got.headers.get("x-nextjs-cache")


def posts_route(live: Live) -> Posts:
    handler = Posts()
    add(live, "/posts", {"GET": handler, "revalidate": 3600})
    assert state(live.request("GET", "/posts")) == ("old", "HIT")
    handler.value = "new"
    return handler


def invalidator(live: Live, call) -> None:
    def POST() -> Response:
        call()
        return Response("done")

    live.app.add("/invalidate", {"POST": POST})


def test_one_argument_is_a_miss_then_a_hit_with_the_deprecation_warning(live):
    invalidator(live, lambda: revalidate_tag("posts"))
    posts_route(live)
    with pytest.warns(DeprecationWarning) as caught:
        assert live.request("POST", "/invalidate").status == 200
        assert live.request("POST", "/invalidate").status == 200  # the same call site
    assert [str(w.message) for w in caught if w.category is DeprecationWarning] == [WARNING_TEXT]
    assert SINGLE_ARG_WARNING == WARNING_TEXT
    assert state(live.request("GET", "/posts")) == ("new", "MISS")
    assert state(live.request("GET", "/posts")) == ("new", "HIT")


def test_max_is_stale_with_the_old_body_while_one_regeneration_runs(live):
    invalidator(live, lambda: revalidate_tag("posts", "max"))
    handler = posts_route(live)
    handler.hold = True
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # a profile: no warning
        assert live.request("POST", "/invalidate").status == 200
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: live.request("GET", "/posts"), range(4)))
    assert {state(a) for a in answers} == {("old", "STALE")}
    handler.gate.set()
    wait_for(lambda: state(live.request("GET", "/posts")) == ("new", "HIT"))
    assert handler.renders == 2  # the prerender and exactly one regeneration


@pytest.mark.parametrize("profile", ["default", "seconds", "minutes", "hours", "days", "weeks"])
def test_every_cache_life_profile_serves_stale_once(live, profile):
    invalidator(live, lambda: revalidate_tag("posts", profile))
    posts_route(live)
    live.request("POST", "/invalidate")
    assert state(live.request("GET", "/posts")) == ("old", "STALE")
    wait_for(lambda: state(live.request("GET", "/posts")) == ("new", "HIT"))


def test_the_profile_expire_time_turns_stale_into_miss(live):
    posts_route(live)
    live.app.revalidate_tag("posts", "minutes")  # expire 1 h
    live.app.cache.clock.advance(3601)
    assert state(live.request("GET", "/posts")) == ("new", "MISS")


def test_expire_zero_is_a_miss_then_a_hit_without_a_warning(live):
    invalidator(live, lambda: revalidate_tag("posts", {"expire": 0}))
    posts_route(live)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        assert live.request("POST", "/invalidate").status == 200
    assert state(live.request("GET", "/posts")) == ("new", "MISS")
    assert state(live.request("GET", "/posts")) == ("new", "HIT")


def test_revalidate_path_is_unchanged_a_miss_then_a_hit(live):
    posts_route(live)
    live.app.revalidate_path("/posts")
    assert live.request("GET", "/posts").headers["x-nextjs-cache"] == "MISS"
    assert live.request("GET", "/posts").headers["x-nextjs-cache"] == "HIT"


def test_an_unknown_profile_is_refused_naming_the_known_ones(live):
    invalidator(live, lambda: revalidate_tag("posts", "hourly"))
    assert live.request("POST", "/invalidate").status == 500
    entry = live.app.log.answer_to("POST", "/invalidate", 500, since=0)
    assert entry is not None
    assert "one of default, seconds, minutes, hours, days, weeks, max" in entry.error


def test_fetch_data_tagged_with_max_is_refetched_by_the_regeneration(live):
    upstream = {"value": "old"}
    live.app.add("/upstream", {"GET": lambda: Response.json(upstream)})
    url = live.server.url + "/upstream"

    async def GET() -> Response:
        got = await fetch(url, next={"tags": ["up"], "revalidate": 3600})
        return Response.json({"posts": (await got.json())["value"]})

    add(live, "/via-fetch", {"GET": GET, "revalidate": 3600})
    invalidator(live, lambda: revalidate_tag("up", "max"))
    upstream["value"] = "new"
    assert state(live.request("GET", "/via-fetch")) == ("old", "HIT")
    live.request("POST", "/invalidate")
    assert state(live.request("GET", "/via-fetch")) == ("old", "STALE")
    wait_for(lambda: state(live.request("GET", "/via-fetch")) == ("new", "HIT"))


def test_the_cache_table_tells_stale_by_tag_from_stale_by_time(live):
    pytest.importorskip("pandas")
    handler = posts_route(live)
    handler.hold = True  # the regeneration waits: the entry stays stale while we look
    add(live, "/aged", {"GET": lambda: Response("aged"), "revalidate": 60})
    live.app.revalidate_tag("posts", "max")
    live.app.cache.clock.advance(61)
    table = cache_table(live.app)
    states = dict(zip(table["path"], table["state"], strict=True))
    assert states["/posts"] == "stale by tag"
    assert states["/aged"] == "stale"
    handler.gate.set()


def test_update_tag_in_a_handler_is_a_500_with_next_js_message(live):
    posts_route(live)
    invalidator(live, lambda: update_tag("posts"))
    got = live.request("POST", "/invalidate")
    assert (got.status, got.content) == (500, b"")
    entry = live.app.log.answer_to("POST", "/invalidate", 500, since=0)
    assert entry is not None and entry.error == UPDATE_TAG_TEXT == UPDATE_TAG_IN_HANDLER
    assert state(live.request("GET", "/posts")) == ("old", "HIT")  # nothing was invalidated


def test_update_tag_outside_a_handler_expires_at_once(live):
    posts_route(live)
    live.app.update_tag("posts")
    assert state(live.request("GET", "/posts")) == ("new", "MISS")
    assert state(live.request("GET", "/posts")) == ("new", "HIT")
