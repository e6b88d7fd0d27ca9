"""Cache storage: the store of route answers and data entries (in memory, or shared
between processes and hosts through Redis), and the data cache.

Rendering static routes into the store is `notebook_routes._rendering`'s job; this
package only keeps entries.
"""

from notebook_routes.cache._data import cached, current_store, using_store
from notebook_routes.cache._handler import cache_handler, cache_url_from_env, default_prefix
from notebook_routes.cache._redis import RedisCache
from notebook_routes.cache._store import (
    CacheEntry,
    CacheStore,
    CacheUnavailable,
    Clock,
    MemoryCache,
)
from notebook_routes.cache._tags import TagState, path_tag

__all__ = [
    "CacheEntry",
    "CacheStore",
    "CacheUnavailable",
    "Clock",
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
