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

``revalidate_tag(t, "max")`` marks instead of dropping: the next read is STALE.

>>> store.set(CacheEntry(key="/posts", kind="route", body=b"old", tags=("posts",)))
>>> invalidate_tag(store, "posts", "max")
['/posts']
>>> entry = store.get("/posts"); entry.stale_by_tag, entry.body
(True, b'old')
"""

from __future__ import annotations

import asyncio
import sys
import threading
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from notebook_routes.cache._profiles import tag_expire_s
from notebook_routes.cache._store import CacheStore
from notebook_routes.cache._tags import entry_tags, path_tag, route_tag
from notebook_routes.routing import normalize_request_path
from notebook_routes.web._scope import RefusedHere, current_scope

SINGLE_ARG_WARNING = (
    '"revalidateTag" without the second argument is now deprecated, add second argument of '
    '"max" or use "updateTag". See more info here: '
    "https://nextjs.org/docs/messages/revalidate-tag-single-arg"
)  # Next.js 16's, verbatim (*observed*)
UPDATE_TAG_IN_HANDLER = (
    "updateTag can only be called from within a Server Action. To invalidate cache tags in "
    "Route Handlers or other contexts, use revalidateTag instead. See more info here: "
    "https://nextjs.org/docs/app/api-reference/functions/updateTag"
)  # Next.js 16's, verbatim (*observed*)


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


def check_tag(tag: object) -> str:
    if not isinstance(tag, str) or not tag:
        raise TypeError(f"tag must be a non-empty str, not {tag!r}")
    return tag


_warned_sites: set[tuple[str, int]] = set()
_warned_lock = threading.Lock()


def _warn_single_arg(depth: int) -> None:
    """Warn once per call site (the frame `depth` levels above this one), as Next.js prints."""
    frame = sys._getframe(depth)
    site = (frame.f_code.co_filename, frame.f_lineno)
    with _warned_lock:
        if site in _warned_sites:
            return
        _warned_sites.add(site)
    warnings.warn(SINGLE_ARG_WARNING, DeprecationWarning, stacklevel=depth + 1)


def invalidate_tag(
    store: CacheStore, tag: str, profile: object = None, *, caller_depth: int = 1
) -> list[str]:
    """``revalidate_tag(tag, profile)``: entries tagged `tag` expire at once or go stale.

    Without a profile (deprecated in Next.js 16: a `DeprecationWarning` once per call
    site, `caller_depth` frames up) or with ``{"expire": 0}`` they are gone: the next read
    is a MISS. With a cache-life profile (``"max"`` ...) they are served STALE while one
    regeneration runs, and dropped when the profile's expire time has passed.
    """
    check_tag(tag)
    if profile is None:
        _warn_single_arg(caller_depth + 1)
        expire_s = 0.0
    else:
        expire_s = tag_expire_s(profile)
    return invalidate(store, [tag], expire_s=expire_s)


def expire_tag_now(store: CacheStore, tag: str) -> list[str]:
    """``update_tag(tag)`` outside a handler: the tag's entries are gone at once.

    In a route handler it is refused with Next.js's message (there it only works in a
    Server Action, which notebook-routes has none of): the request gets a 500.
    """
    check_tag(tag)
    if current_scope() is not None:
        raise RefusedHere(UPDATE_TAG_IN_HANDLER)
    return invalidate(store, [tag], expire_s=0.0)
