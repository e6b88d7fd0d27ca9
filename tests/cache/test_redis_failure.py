"""Redis stopped, paused or unreachable: the store answers in bounded time and recovers alone.

The bound is a hang detector (each call is given 5 s against the store's 0.5 s timeout),
not a speed measurement.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from notebook_routes.cache import CacheEntry, CacheUnavailable, cache_handler
from tests.cache.conftest import unique_prefix
from tests.redis_server import RedisServer, free_port

HANG_S = 5.0


def route(key: str, body: bytes = b"old") -> CacheEntry:
    return CacheEntry(key=key, kind="route", body=body, route=key)


def bounded(coro):
    async def inside():
        return await asyncio.wait_for(coro, HANG_S)

    return asyncio.run(inside())


def until(condition, timeout_s: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def works(store) -> bool:
    """A write and a read through Redis succeed (what a request after recovery needs)."""
    probe = route("/probe", body=str(time.monotonic()).encode())
    bounded(store.aset(route(probe.key, probe.body)))
    store._local.clear()  # force the read through Redis, not the local tier
    entry = bounded(store.aget("/probe"))
    return entry is not None and entry.body == probe.body and store.warning is None


def degraded_but_answering(store) -> None:
    assert bounded(store.aget("/nothing")) is None  # a read is a miss
    bounded(store.aset(route("/a")))  # a write is dropped, not raised
    assert bounded(store.alock("regen:/a", 5)) is not None  # render here rather than never
    with pytest.raises(CacheUnavailable, match="could not be recorded"):
        bounded(store.ainvalidate(["posts"]))
    assert "not answering" in store.warning


def test_paused_redis_bounds_every_call_then_recovers(own_redis, redis_stores, caplog):
    store = redis_stores(own_redis.url, unique_prefix(), timeout_s=0.5)
    assert works(store)
    own_redis.pause()
    try:
        degraded_but_answering(store)
        # Once the invalidation feed is found dead, the local tier stops answering: an
        # invalidation it cannot hear about must not leave it serving an old body.
        assert until(lambda: store.get("/a") is None)
    finally:
        own_redis.resume()
    assert until(lambda: works(store))
    assert until(lambda: store.wait_subscribed(0.1))
    warnings = [r for r in caplog.records if "not answering" in r.getMessage()]
    assert len(warnings) == 1  # one warning per outage, not one per request


def test_killed_and_restarted_redis_recovers_by_itself(own_redis, redis_stores):
    store = redis_stores(own_redis.url, unique_prefix(), timeout_s=0.5)
    assert works(store)
    own_redis.kill()
    degraded_but_answering(store)
    own_redis.start()
    assert until(lambda: works(store))
    bounded(store.ainvalidate(["posts"]))


def test_unreachable_redis_from_the_start(redis_stores):
    store = cache_handler(f"redis://127.0.0.1:{free_port()}/0", prefix=unique_prefix())
    try:
        degraded_but_answering(store)
        assert store.dropped_writes >= 1
    finally:
        store.close()


def test_a_store_started_before_redis_connects_when_it_comes(redis_stores):
    server = RedisServer()
    store = cache_handler(server.url, prefix=unique_prefix())
    try:
        assert bounded(store.aget("/a")) is None
        server.start()
        assert until(lambda: works(store))
    finally:
        store.close()
        server.stop()
