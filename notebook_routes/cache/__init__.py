"""Caching: the store (in memory or shared through Redis), static/ISR rendering, data cache."""

from notebook_routes.cache._data import cached, current_store, using_store
from notebook_routes.cache._handler import cache_handler, cache_url_from_env, default_prefix
from notebook_routes.cache._redis import RedisCache
from notebook_routes.cache._store import (
    CacheEntry,
    CacheStore,
    CacheUnavailable,
    FakeClock,
    MemoryCache,
)
from notebook_routes.cache._tags import TagState, path_tag

__all__ = [
    "CacheEntry",
    "CacheStore",
    "CacheUnavailable",
    "FakeClock",
    "MemoryCache",
    "RedisCache",
    "TagState",
    "cache_handler",
    "cache_url_from_env",
    "cached",
    "current_store",
    "default_prefix",
    "path_tag",
    "using_store",
]
