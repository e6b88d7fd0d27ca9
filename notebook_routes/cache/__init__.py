"""Caching: the store, static/ISR route rendering and the data cache."""

from notebook_routes.cache._data import cached, current_store, using_store
from notebook_routes.cache._store import CacheEntry, CacheStore, FakeClock, MemoryCache

__all__ = [
    "CacheEntry",
    "CacheStore",
    "FakeClock",
    "MemoryCache",
    "cached",
    "current_store",
    "using_store",
]
