"""The data cache: `cached()` and `fetch()` (SPEC §10), fetch against a loopback server."""

from __future__ import annotations

import asyncio
import threading

import pytest

from notebook_routes import App, MemoryCache, Server, cached, fetch
from notebook_routes.cache import using_store
from tests.clock import FakeClock


@pytest.fixture
def upstream():
    """A real HTTP server standing in for an external API; counts its hits."""
    app = App()
    hits = []
    lock = threading.Lock()

    def GET():
        with lock:
            hits.append(1)
            return {"hit": len(hits)}

    app.add("/api/blog", {"GET": GET})
    server = Server(app).start()
    server.hits = hits
    yield server
    server.stop()


def run(coro, store):
    async def inside():
        with using_store(store):
            return await coro

    return asyncio.run(inside())


def test_cached_sync_function_by_arguments():
    calls = []

    @cached(tags=["t"])
    def square(n):
        calls.append(n)
        return n * n

    store = MemoryCache()
    with using_store(store):
        assert [square(3), square(3), square(4)] == [9, 9, 16]
    assert calls == [3, 4]
    (entry,) = [e for e in store.entries() if "(3,)" in e.key]
    assert (entry.kind, entry.tags, entry.value) == ("data", ("t",), 9)


def test_cached_async_function_and_revalidate_period():
    clock = FakeClock()
    store = MemoryCache(clock)
    calls = []

    @cached(revalidate=30)
    async def load():
        calls.append(1)
        return len(calls)

    async def twice():
        with using_store(store):
            first = await load()
            clock.advance(10)
            second = await load()
            clock.advance(25)  # now 35 s old: recomputed
            third = await load()
            return first, second, third

    assert asyncio.run(twice()) == (1, 1, 2)


def test_cached_keys_by_code_and_closure_values_not_only_the_name():
    def cell(body: str):
        """A module-form cell run anew: module __route__, qualified name data."""
        namespace = {"__name__": "__route__", "cached": cached}
        exec(f"@cached()\ndef data():\n    return {body!r}\n", namespace)
        return namespace["data"]

    def make(word):
        @cached()
        def value():
            return word

        return value

    store = MemoryCache()
    with using_store(store):
        assert [cell("first")(), cell("second")(), cell("first")()] == ["first", "second", "first"]
        # Same module and qualified name (make.<locals>.value), another closure value.
        assert [make("one")(), make("two")(), make("one")()] == ["one", "two", "one"]
    assert len([e for e in store.entries() if e.kind == "data"]) == 4


def test_cached_validates_its_arguments():
    with pytest.raises(ValueError, match="revalidate must be False, 0 or a number"):
        cached(revalidate=-5)
    with pytest.raises(TypeError, match="tags must be a list of non-empty str"):
        cached(tags="posts")


def test_fetch_is_not_cached_by_default(upstream):
    store = MemoryCache()
    url = upstream.url + "/api/blog"
    first = run(fetch(url), store)
    second = run(fetch(url), store)
    assert (first.status, run(first.json(), store)) == (200, {"hit": 1})
    assert run(second.json(), store) == {"hit": 2}
    assert store.entries() == []


@pytest.mark.parametrize("options", [{"cache": "force-cache"}, {"next": {"revalidate": 60}}])
def test_fetch_force_cache_or_revalidate_is_cached(upstream, options):
    store = MemoryCache()
    url = upstream.url + "/api/blog"
    answers = [run(run(fetch(url, **options), store).json(), store) for _ in range(3)]
    assert answers == [{"hit": 1}] * 3
    (entry,) = store.entries()
    assert entry.kind == "data" and entry.route == f"fetch {url}"


def test_fetch_no_store_and_revalidate_zero_always_go_out(upstream):
    store = MemoryCache()
    url = upstream.url + "/api/blog"
    run(fetch(url, cache="no-store"), store)
    run(fetch(url, next={"revalidate": 0}), store)
    assert len(upstream.hits) == 2 and store.entries() == []


def test_stale_fetch_answers_once_more_and_refreshes_in_the_background(upstream):
    clock = FakeClock()
    store = MemoryCache(clock)
    url = upstream.url + "/api/blog"

    async def scenario():
        with using_store(store):
            first = await (await fetch(url, next={"revalidate": 10})).json()
            clock.advance(11)
            stale = await (await fetch(url, next={"revalidate": 10})).json()
            for _ in range(200):  # let the one background refresh land
                await asyncio.sleep(0.01)
                if len(upstream.hits) == 2 and store.entries()[0].age_s == 0:
                    break
            fresh = await (await fetch(url, next={"revalidate": 10})).json()
            return first, stale, fresh

    assert asyncio.run(scenario()) == ({"hit": 1}, {"hit": 1}, {"hit": 2})


def test_fetch_tags_are_dropped_by_revalidate_tag(upstream):
    app = App()
    url = upstream.url + "/api/blog"
    run(fetch(url, next={"revalidate": 60, "tags": ["blog"]}), app.cache)
    (entry,) = app.cache.entries()
    assert entry.tags == ("blog",)
    assert app.revalidate_tag("blog") == [entry.key]
    assert app.cache.entries() == []


def test_fetch_validates_its_options():
    with pytest.raises(ValueError, match="absolute http"):
        asyncio.run(fetch("/relative"))
    with pytest.raises(ValueError, match="cache must be one of auto, force-cache, no-store"):
        asyncio.run(fetch("http://127.0.0.1/", cache="sometimes"))
    with pytest.raises(TypeError, match="takes 'revalidate' and 'tags'"):
        asyncio.run(fetch("http://127.0.0.1/", next={"ttl": 1}))


def test_fetch_to_a_closed_port_is_a_clear_error():
    with pytest.raises(ConnectionError, match="fetch"):
        asyncio.run(fetch("http://127.0.0.1:9/"))
