"""Cache storage: the store of route answers and data entries, and the data cache.

Rendering static routes into the store is `notebook_routes._rendering`'s job; this
package only keeps entries.
"""

from notebook_routes.cache._data import cached, current_store, using_store
from notebook_routes.cache._store import CacheEntry, CacheStore, Clock, MemoryCache

__all__ = [
    "CacheEntry",
    "CacheStore",
    "Clock",
    "MemoryCache",
    "cached",
    "current_store",
    "using_store",
]
