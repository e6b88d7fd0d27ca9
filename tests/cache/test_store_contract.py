"""The `CacheStore` contract, run against `MemoryCache` and `RedisCache` (a real redis-server).

Each test reads as what a rendering layer relies on: what `get`/`aget` answer after a set,
a time-stale period, a tag invalidation (expiring, or stale under a profile), a path
invalidation, and what the locks promise.
"""

from __future__ import annotations

import asyncio

import pytest

from notebook_routes.cache import CacheEntry, path_tag

YEAR = 31536000


def route(key: str, body: bytes = b"old", tags: tuple[str, ...] = (), **kw) -> CacheEntry:
    return CacheEntry(key=key, kind="route", body=body, route=key, tags=tags, **kw)


def run(coro):
    return asyncio.run(coro)


def test_set_then_get_keeps_the_whole_answer(contract):
    store, clock = contract
    store.set(
        CacheEntry(
            key="/a",
            kind="route",
            body=b"hi",
            status=201,
            headers=[("x-a", "1")],
            route="/a",
            revalidate=60,
            tags=("t",),
        )
    )
    clock.advance(5)
    entry = store.get("/a")
    assert (entry.body, entry.status, entry.headers, entry.tags) == (
        b"hi",
        201,
        [("x-a", "1")],
        ("t",),
    )
    assert (entry.age_s, entry.stale, "/a" in store, "/b" in store) == (5.0, False, True, False)
    assert store.get("/b") is None and run(store.aget("/b")) is None


def test_an_entry_older_than_its_period_is_stale(contract):
    store, clock = contract
    store.set(route("/a", revalidate=60))
    clock.advance(61)
    assert store.get("/a").stale and not store.get("/a").stale_by_tag


def test_aget_reads_what_aset_wrote_and_delete_drops_it(contract):
    store, clock = contract
    run(store.aset(CacheEntry(key="posts()", kind="data", value={"n": [1, 2]}, tags=("p",))))
    assert run(store.aget("posts()")).value == {"n": [1, 2]}
    assert store.load("posts()").value == {"n": [1, 2]}
    assert run(store.adelete("posts()")) is True
    assert run(store.aget("posts()")) is None


def test_an_expiring_tag_invalidation_is_a_miss_for_routes_and_data(contract):
    store, clock = contract
    run(store.aset(route("/a", tags=("posts",))))
    run(store.aset(CacheEntry(key="d", kind="data", value=1, tags=("posts",))))
    run(store.aset(route("/b", tags=("other",))))
    clock.advance(1)
    run(store.ainvalidate(["posts"]))
    assert store.get("/a") is None and run(store.aget("/a")) is None
    assert run(store.aget("d")) is None
    assert run(store.aget("/b")).body == b"old"


def test_a_profile_marks_entries_stale_until_it_expires_them(contract):
    store, clock = contract
    run(store.aset(route("/a", tags=("posts",))))
    clock.advance(1)
    run(store.ainvalidate(["posts"], expire_s=3600))
    entry = run(store.aget("/a"))
    assert (entry.body, entry.stale, entry.stale_by_tag) == (b"old", True, True)
    clock.advance(3601)
    assert run(store.aget("/a")) is None


def test_an_entry_made_after_the_invalidation_is_fresh(contract):
    store, clock = contract
    run(store.aset(route("/a", tags=("posts",))))
    clock.advance(1)
    run(store.ainvalidate(["posts"], expire_s=YEAR))
    clock.advance(1)
    run(store.aset(route("/a", body=b"new", tags=("posts",))))
    entry = run(store.aget("/a"))
    assert (entry.body, entry.stale) == (b"new", False)
    assert store.get("/a").body == b"new"


def test_revalidate_path_is_the_implicit_path_tag(contract):
    store, clock = contract
    run(store.aset(route("/a")))
    run(store.aset(route("/b")))
    clock.advance(1)
    run(store.ainvalidate([path_tag("/a")]))
    assert run(store.aget("/a")) is None
    assert run(store.aget("/b")).body == b"old"


def test_sync_invalidate_and_delete_tag(contract):
    store, clock = contract
    store.set(route("/a", tags=("t",)))
    store.set(route("/b", tags=("u",)))
    clock.advance(1)
    assert store.delete_tag("t") == ["/a"]
    assert store.get("/a") is None
    store.invalidate(["u"], expire_s=60)
    assert store.get("/b").stale_by_tag


def test_aadd_keeps_a_fresh_entry_and_replaces_a_stale_one(contract):
    store, clock = contract
    run(store.aset(route("/a", body=b"first", tags=("t",))))
    clock.advance(1)
    kept = run(store.aadd(route("/a", body=b"second", tags=("t",))))
    assert kept.body == b"first" and run(store.aget("/a")).body == b"first"
    run(store.ainvalidate(["t"], expire_s=YEAR))
    clock.advance(1)
    assert run(store.aadd(route("/a", body=b"third", tags=("t",)))).body == b"third"
    assert run(store.aget("/a")).body == b"third"


def test_one_lock_holder_and_only_its_token_frees_it(contract):
    store, clock = contract

    async def scenario():
        tokens = await asyncio.gather(*(store.alock("regen:/a", 30) for _ in range(10)))
        holders = [t for t in tokens if t is not None]
        assert len(holders) == 1 and await store.alock_held("regen:/a")
        await store.aunlock("regen:/a", "not-the-token")
        assert await store.alock("regen:/a", 30) is None
        await store.aunlock("regen:/a", holders[0])
        assert not await store.alock_held("regen:/a")
        assert await store.alock("regen:/a", 30) is not None

    run(scenario())


def test_an_expired_lock_frees_a_crashed_holder(contract):
    store, clock = contract

    async def scenario():
        assert await store.alock("regen:/a", 0.2) is not None  # the holder never unlocks
        for _ in range(500):  # Redis expires by its own clock, MemoryCache by the store's
            clock.advance(0.05)
            token = await store.alock("regen:/a", 30)
            if token is not None:
                return token
            await asyncio.sleep(0.01)
        return None

    assert run(scenario()) is not None


def test_await_entry_gets_the_lock_holders_render_or_none_if_it_gave_up(contract):
    store, clock = contract

    async def scenario():
        token = await store.alock("render:/a", 30)

        async def render():
            await asyncio.sleep(0.05)
            await store.aset(route("/a", body=b"rendered"))
            await store.aunlock("render:/a", token)

        waiter = asyncio.ensure_future(store.await_entry("/a", "render:/a", 10))
        await render()
        assert (await waiter).body == b"rendered"

        token = await store.alock("render:/b", 30)
        waiter = asyncio.ensure_future(store.await_entry("/b", "render:/b", 10))
        await asyncio.sleep(0.05)
        await store.aunlock("render:/b", token)  # a failed render stores nothing
        assert await waiter is None

    run(scenario())


def test_entries_lists_what_is_cached(contract):
    store, clock = contract
    run(store.aset(route("/a")))
    run(store.aset(CacheEntry(key="d", kind="data", value=[1])))
    assert sorted(e.key for e in store.entries()) == ["/a", "d"]
    assert sorted(e.key for e in run(store.aentries())) == ["/a", "d"]
    assert store.warning is None


@pytest.mark.parametrize("bad", [-1, 0])
def test_a_non_positive_expire_is_an_expiring_invalidation(contract, bad):
    store, clock = contract
    run(store.aset(route("/a", tags=("t",))))
    clock.advance(1)
    run(store.ainvalidate(["t"], expire_s=bad))
    assert run(store.aget("/a")) is None
