"""Two `RedisCache` instances on one real redis-server, as two processes would hold them.

Each instance has its own I/O thread, connection pool, pub/sub subscription and local
tier: what one records, the other must see on its next read.
"""

from __future__ import annotations

import asyncio
import threading
import time

from notebook_routes.cache import CacheEntry, path_tag
from tests.cache.conftest import unique_prefix


def route(key: str, body: bytes = b"old", tags: tuple[str, ...] = ()) -> CacheEntry:
    return CacheEntry(key=key, kind="route", body=body, route=key, tags=tags)


def until(condition, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return False


def pair(redis_server, redis_stores):
    prefix = unique_prefix()
    return redis_stores(redis_server.url, prefix), redis_stores(redis_server.url, prefix)


def test_an_entry_made_by_one_is_read_through_by_the_other(redis_server, redis_stores):
    a, b = pair(redis_server, redis_stores)
    a.set(route("/a", body=b"from a"))
    assert until(lambda: asyncio.run(b.aget("/a")) is not None)
    entry = b.get("/a")  # now in b's local tier: the synchronous HIT path
    assert (entry.body, entry.origin) == (b"from a", a.origin)


def test_a_tag_invalidation_on_one_drops_the_local_copy_of_the_other(redis_server, redis_stores):
    a, b = pair(redis_server, redis_stores)
    asyncio.run(a.aset(route("/a", tags=("posts",))))
    assert asyncio.run(b.aget("/a")).body == b"old" and b.get("/a") is not None
    a.invalidate(["posts"])
    assert until(lambda: b.get("/a") is None)
    assert asyncio.run(b.aget("/a")) is None


def test_a_profile_invalidation_is_stale_on_the_other(redis_server, redis_stores):
    a, b = pair(redis_server, redis_stores)
    asyncio.run(a.aset(route("/a", tags=("posts",))))
    assert asyncio.run(b.aget("/a")) is not None
    time.sleep(0.002)  # a later wall-clock time than the entry's
    asyncio.run(a.ainvalidate(["posts"], expire_s=3600))
    assert until(lambda: (e := b.get("/a")) is not None and e.stale_by_tag)
    assert b.get("/a").body == b"old"


def test_a_path_invalidation_on_one_is_seen_by_the_other(redis_server, redis_stores):
    a, b = pair(redis_server, redis_stores)
    asyncio.run(a.aset(route("/data")))
    assert asyncio.run(b.aget("/data")) is not None
    time.sleep(0.002)
    a.invalidate([path_tag("/data")])
    assert until(lambda: b.get("/data") is None)


def test_a_newer_entry_on_one_replaces_the_others_local_copy(redis_server, redis_stores):
    a, b = pair(redis_server, redis_stores)
    asyncio.run(a.aset(route("/a", body=b"v1")))
    assert asyncio.run(b.aget("/a")).body == b"v1"
    asyncio.run(a.aset(route("/a", body=b"v2")))
    assert until(lambda: asyncio.run(b.aget("/a")).body == b"v2")


def test_the_lock_gives_exactly_one_regenerator_across_instances(redis_server, redis_stores):
    a, b = pair(redis_server, redis_stores)
    tokens: list[str | None] = []

    def contend(store):
        async def many():
            return await asyncio.gather(*(store.alock("regen:/a", 30) for _ in range(25)))

        tokens.extend(asyncio.run(many()))

    threads = [threading.Thread(target=contend, args=(s,)) for s in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(tokens) == 50 and len([t for t in tokens if t is not None]) == 1


def test_a_crashed_holders_lock_expires_for_the_other(redis_server, redis_stores):
    a, b = pair(redis_server, redis_stores)
    assert asyncio.run(a.alock("regen:/a", 0.3)) is not None
    a.close()  # the holder dies without unlocking
    assert asyncio.run(b.alock("regen:/a", 30)) is None
    assert until(lambda: asyncio.run(b.alock("regen:/a", 30)) is not None)


def test_fifty_cold_requests_over_two_instances_render_once(redis_server, redis_stores):
    a, b = pair(redis_server, redis_stores)
    renders: list[int] = []

    async def request(store):
        entry = await store.aget("/cold")
        if entry is not None:
            return entry.body
        token = await store.alock("render:/cold", 10)
        if token is None:
            entry = await store.await_entry("/cold", "render:/cold", 10)
            return entry.body if entry is not None else b"rendered alone"
        try:
            # A render may have finished between the miss and the lock (what _rendering does).
            entry = await store.aget("/cold", shared=True)
            if entry is not None:
                return entry.body
            renders.append(1)
            await asyncio.sleep(0.05)  # the handler
            await store.aset(route("/cold", body=b"rendered"))
            return b"rendered"
        finally:
            await store.aunlock("render:/cold", token)

    bodies: list[bytes] = []

    def burst(store):
        async def many():
            return await asyncio.gather(*(request(store) for _ in range(25)))

        bodies.extend(asyncio.run(many()))

    threads = [threading.Thread(target=burst, args=(s,)) for s in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (len(renders), set(bodies), len(bodies)) == (1, {b"rendered"}, 50)


def test_prefixes_keep_two_apps_apart(redis_server, redis_stores):
    a = redis_stores(redis_server.url, unique_prefix())
    b = redis_stores(redis_server.url, unique_prefix())
    asyncio.run(a.aset(route("/a")))
    assert asyncio.run(b.aget("/a")) is None
    b.invalidate([path_tag("/a")])
    assert asyncio.run(a.aget("/a")) is not None


def test_a_cached_value_computed_by_one_is_reused_by_the_other(redis_server, redis_stores):
    from notebook_routes.cache import cached, using_store

    a, b = pair(redis_server, redis_stores)
    calls: list[int] = []

    @cached(tags=["squares"])
    def square(n):
        calls.append(n)
        return {"n": n * n}

    @cached(tags=["squares"])
    async def cube(n):
        calls.append(-n)
        return n**3

    with using_store(a):
        assert (square(3), asyncio.run(cube(2))) == ({"n": 9}, 8)
    assert until(lambda: len(asyncio.run(b.aentries())) == 2)  # a writes behind
    with using_store(b):
        assert (square(3), asyncio.run(cube(2))) == ({"n": 9}, 8)
    assert calls == [3, -2]
    b.invalidate(["squares"])
    with using_store(a):
        assert until(lambda: square(3) == {"n": 9} and len(calls) == 3)


def _in_forked_child(store, results) -> None:
    entry = asyncio.run(store.aget("/forked"))
    store.invalidate([path_tag("/forked")])
    results.put((entry.body if entry else None, store.origin))


def test_a_store_made_before_fork_works_in_the_child(redis_server, redis_stores):
    """``serve --workers`` loads the app (and its store) once, then forks."""
    import multiprocessing

    a = redis_stores(redis_server.url, unique_prefix())
    asyncio.run(a.aset(route("/forked", body=b"parent")))
    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()
    child = ctx.Process(target=_in_forked_child, args=(a, results))
    child.start()
    body, origin = results.get(timeout=30)
    child.join(30)
    assert (body, child.exitcode, origin != a.origin) == (b"parent", 0, True)
    assert until(lambda: a.get("/forked") is None)  # the child's invalidation reached the parent
