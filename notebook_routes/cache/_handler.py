"""`cache_handler(url)`: the store a URL names (Next.js's ``cacheHandler`` option).

>>> cache_handler("memory://")
MemoryCache(entries=0)
>>> cache_handler("memcached://x")  # doctest: +ELLIPSIS
Traceback (most recent call last):
ValueError: cache URL 'memcached://x' is not understood: use memory:// ...
>>> default_prefix("My Notebook")
'notebook-routes:my-notebook:'
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from notebook_routes.cache._store import CacheStore, Clock, MemoryCache

ENV_VAR = "NOTEBOOK_ROUTES_CACHE"
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def cache_url_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    """The cache URL `serve`, `run`, every worker and the kernel read: ``NOTEBOOK_ROUTES_CACHE``."""
    value = (environ if environ is not None else os.environ).get(ENV_VAR, "").strip()
    return value or None


def default_prefix(app_name: str | None = None) -> str:
    """The key prefix of an app: apps with different names can share one Redis."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", (app_name or "default").lower()).strip("-")
    return f"notebook-routes:{slug or 'default'}:"


def cache_handler(
    url: str | CacheStore | None = None,
    *,
    prefix: str | None = None,
    app_name: str | None = None,
    clock: Clock | None = None,
    max_memory_bytes: int | None = None,
    from_env: bool = True,
) -> CacheStore:
    """The cache store for `url` (default: ``NOTEBOOK_ROUTES_CACHE``, else in memory).

    ``redis://HOST:PORT/DB`` gives a `RedisCache` shared by every process using the same
    URL and prefix; `prefix` defaults to one derived from `app_name`. A store passed in
    is returned as it is. `max_memory_bytes` bounds what this process keeps (Next.js's
    ``cacheMaxMemorySize``: 50 MB by default).
    """
    if url is not None and not isinstance(url, str):
        if not hasattr(url, "aget"):
            raise TypeError(
                f"cache_handler must be a URL such as 'redis://127.0.0.1:6379/0' or a cache "
                f"store (MemoryCache, RedisCache), not {url!r}"
            )
        return url
    if url is None and from_env:
        url = cache_url_from_env()
    if url is None or url in ("memory", "memory://"):
        return MemoryCache(clock, max_bytes=max_memory_bytes)
    if not isinstance(url, str):
        raise TypeError(f"cache URL must be a str such as 'redis://127.0.0.1:6379/0', not {url!r}")
    if url.startswith(REDIS_SCHEMES):
        from notebook_routes.cache._redis import RedisCache

        options = {} if max_memory_bytes is None else {"local_max_bytes": max_memory_bytes}
        return RedisCache(url, prefix=prefix or default_prefix(app_name), clock=clock, **options)
    raise ValueError(
        f"cache URL {url!r} is not understood: use memory:// (the default, one process) or "
        f"redis://HOST:PORT/DB (shared by every process), e.g. redis://127.0.0.1:6379/0"
    )
