"""`revalidate_path` and `revalidate_tag` on a store: one mechanism, tag invalidation times.

``revalidate_path(p)`` invalidates the implicit tag `path_tag(p)`; ``revalidate_tag(t)``
the tag ``t``. Where it runs decides how:

- in a cell or a plain ``def`` handler (a thread that may wait): at once, bounded, and a
  shared store that cannot record it raises `CacheUnavailable` right there;
- in an ``async def`` handler on the server's loop, with a shared store: queued on the
  request, and recorded (awaited) before the response is sent; if that fails the request
  gets a 500 whose log entry says why (`flush`). The loop never waits on Redis.

>>> from notebook_routes.cache._store import CacheEntry, MemoryCache
>>> store = MemoryCache()
>>> store.set(CacheEntry(key="/data", kind="route", body=b"old", route="/data"))
>>> invalidate_path(store, "/data/")   # normalised, as the request path would be
True
>>> store.get("/data") is None
True
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from notebook_routes.cache._store import CacheStore
from notebook_routes.cache._tags import entry_tags, path_tag, route_tag
from notebook_routes.routing import normalize_request_path


@dataclass
class Pending:
    """The invalidations an ``async def`` handler asked for, recorded before it is answered."""

    store: CacheStore
    items: list[tuple[tuple[str, ...], float]] = field(default_factory=list)


_pending: ContextVar[Pending | None] = ContextVar("notebook_routes_invalidations", default=None)


@contextmanager
def collecting_invalidations(store: CacheStore) -> Iterator[Pending]:
    """Queue the shared-store invalidations made inside (one request); `flush` records them."""
    pending = Pending(store)
    token = _pending.set(pending)
    try:
        yield pending
    finally:
        _pending.reset(token)


async def flush(pending: Pending) -> None:
    """Record the queued invalidations; raises `CacheUnavailable` if one could not be."""
    items, pending.items = pending.items, []
    for tags, expire_s in items:
        await pending.store.ainvalidate(tags, expire_s=expire_s)


def _on_a_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def invalidate(store: CacheStore, tags: Iterable[str], *, expire_s: float = 0.0) -> list[str]:
    """Invalidate `tags` in `store` for every process; returns the keys known to be touched."""
    tags = tuple(tags)
    pending = _pending.get()
    if (
        pending is not None
        and pending.store is store
        and getattr(store, "shared", False)
        and _on_a_loop()
    ):
        pending.items.append((tags, expire_s))
        wanted = set(tags)
        return [e.key for e in store.entries() if wanted.intersection(entry_tags(e))]
    return store.invalidate(tags, expire_s=expire_s)


def normalized_path(path: str) -> str:
    if not isinstance(path, str) or not path.startswith("/"):
        raise ValueError(f"path must be a URL path starting with '/', not {path!r}")
    return normalize_request_path(path.split("?", 1)[0])


def invalidate_path(store: CacheStore, path: str) -> bool:
    """``revalidate_path(path)``: the next request for `path` renders anew, in every process.

    Returns whether this process held an answer for it.
    """
    return bool(invalidate(store, [path_tag(normalized_path(path))]))


def invalidate_route(store: CacheStore, source: str) -> list[str]:
    """Every answer of route `source` (its handler was replaced or removed)."""
    return invalidate(store, [route_tag(source)])
