"""Fixtures for the cache stores: a real redis-server, and the contract's two backends."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest

from notebook_routes.cache import MemoryCache
from tests.clock import FakeClock
from tests.redis_server import RedisServer, redis_server_binary

_prefixes = itertools.count()


def unique_prefix() -> str:
    """A key prefix per test: tests share one redis-server without seeing each other."""
    return f"test{next(_prefixes)}:"


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One redis-server for the session (tests isolate themselves by key prefix)."""
    if redis_server_binary() is None:
        pytest.skip("redis-server is not installed (.ci/run installs it)")
    with RedisServer() as server:
        yield server


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A redis-server of the test's own, to pause, kill and restart."""
    if redis_server_binary() is None:
        pytest.skip("redis-server is not installed (.ci/run installs it)")
    with RedisServer() as server:
        yield server


@pytest.fixture
def redis_stores() -> Iterator[Callable[..., object]]:
    """Make `RedisCache`s (closed after the test); each is subscribed before it is returned."""
    from notebook_routes.cache import RedisCache

    made: list[RedisCache] = []

    def make(url: str, prefix: str, **options: object) -> RedisCache:
        # A shared CI machine can stall a loopback round trip for longer than the
        # production 0.5 s; the failure tests pass their own timeout.
        options.setdefault("timeout_s", 3.0)
        store = RedisCache(url, prefix=prefix, **options)  # type: ignore[arg-type]
        made.append(store)
        assert store.wait_subscribed(10), "the store never subscribed to its invalidation feed"
        return store

    yield make
    for store in made:
        store.close()


@pytest.fixture(params=["memory", "redis"])
def contract(request: pytest.FixtureRequest) -> tuple[object, FakeClock]:
    """(store, clock): the same contract, in memory and through a real Redis."""
    clock = FakeClock()
    if request.param == "memory":
        return MemoryCache(clock), clock
    server = request.getfixturevalue("redis_server")
    make = request.getfixturevalue("redis_stores")
    return make(server.url, unique_prefix(), clock=clock), clock
