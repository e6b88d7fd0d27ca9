"""`cache_handler(url)`: which store a URL (or ``NOTEBOOK_ROUTES_CACHE``) names."""

from __future__ import annotations

import asyncio
import sys

import pytest

from notebook_routes.cache import (
    CacheEntry,
    MemoryCache,
    RedisCache,
    cache_handler,
    cache_url_from_env,
    default_prefix,
)
from tests.cache.conftest import unique_prefix


def test_no_url_and_no_environment_is_the_in_memory_cache(monkeypatch):
    monkeypatch.delenv("NOTEBOOK_ROUTES_CACHE", raising=False)
    assert isinstance(cache_handler(), MemoryCache)
    assert isinstance(cache_handler("memory://"), MemoryCache)


def test_the_environment_variable_is_read_by_one_helper():
    assert cache_url_from_env({"NOTEBOOK_ROUTES_CACHE": " redis://h:1/2 "}) == "redis://h:1/2"
    assert cache_url_from_env({"NOTEBOOK_ROUTES_CACHE": ""}) is None
    assert cache_url_from_env({}) is None


def test_a_redis_url_gives_a_shared_store_with_the_apps_prefix(redis_server, monkeypatch):
    monkeypatch.setenv("NOTEBOOK_ROUTES_CACHE", redis_server.url)
    store = cache_handler(app_name="Shop App")
    try:
        assert isinstance(store, RedisCache)
        assert (store.url, store.prefix) == (redis_server.url, "notebook-routes:shop-app:")
        prefix = unique_prefix()
        other = cache_handler(redis_server.url, prefix=prefix)
        try:
            asyncio.run(other.aset(CacheEntry(key="/a", kind="route", body=b"x")))
            assert other.prefix == prefix and asyncio.run(store.aget("/a")) is None
        finally:
            other.close()
    finally:
        store.close()


def test_default_prefix_is_derived_from_the_app_name():
    assert default_prefix() == "notebook-routes:default:"
    assert default_prefix("blog/v2") == "notebook-routes:blog-v2:"


def test_an_unknown_scheme_names_the_accepted_ones():
    with pytest.raises(ValueError, match=r"use memory:// .* or redis://HOST:PORT/DB"):
        cache_handler("memcached://127.0.0.1:11211")


def test_a_missing_redis_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "redis", None)  # what an environment without it gives
    monkeypatch.setitem(sys.modules, "redis.asyncio", None)
    with pytest.raises(ImportError, match=r"pip install 'notebook-routes\[redis\]'"):
        cache_handler("redis://127.0.0.1:6379/0")
