"""The cache store: one small interface for route and data entries.

`MemoryCache` is the default backend; `RedisCache` (cache/_redis.py) shares one cache
between processes and hosts. Both keep the `CacheStore` contract, in two halves:

- synchronous methods that never do I/O (`get`, `in`, `set`, ...): the server answers a
  HIT from them without leaving its loop;
- coroutines (`aget`, `aset`, `ainvalidate`, `alock`, ...) for the shared tier: a local
  miss reads through, a tag invalidation is recorded for every process, a lock makes one
  process in all of them regenerate a stale entry.

>>> now = [1000.0]  # any callable returning seconds is a `Clock`
>>> store = MemoryCache(lambda: now[0])
>>> store.set(CacheEntry(key="/a", kind="route", body=b"hi", tags=("t",)))
>>> now[0] += 5
>>> store.get("/a").age_s
5.0
>>> store.delete_tag("t")
['/a']
>>> store.get("/a") is None
True
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from notebook_routes.cache._tags import entry_tags

ONE_YEAR_S = 31536000  # Next.js's "forever" for s-maxage (*observed*)
# Next.js's ``cacheMaxMemorySize`` default: the in-memory cache keeps at most this many
# bytes, least recently used evicted first.
DEFAULT_MAX_MEMORY_BYTES = 50 * 2**20
ENTRY_OVERHEAD_BYTES = 256  # the entry object, its dict slot and bookkeeping, roughly


def process_origin() -> str:
    """Who made an entry: ``host:pid`` (a forked worker gets its own pid)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def check_max_memory(value: object) -> int:
    if type(value) is not int or value < 0:
        raise ValueError(
            f"cache_max_memory_size must be a number of bytes >= 0 (default "
            f"{DEFAULT_MAX_MEMORY_BYTES} = 50 MB, as Next.js's cacheMaxMemorySize), not {value!r}"
        )
    return value


class Clock(Protocol):
    """Where the store reads the time, in seconds (`time.monotonic` unless a test moves it)."""

    def __call__(self) -> float: ...


@dataclass
class CacheEntry:
    """A cached answer (kind "route") or data value (kind "data")."""

    key: str
    kind: Literal["route", "data"]
    body: bytes = b""
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    value: Any = None  # a data entry's Python value
    route: str | None = None  # the route pattern, or the function / URL of a data entry
    revalidate: float | Literal[False] | None = None  # None/False: never goes stale
    tags: tuple[str, ...] = ()
    created: float = 0.0  # clock time, filled in by the store
    hits: int = 0
    age_s: float = 0.0  # filled in on read
    stale_by_tag: bool = False  # a `revalidate_tag(t, profile)` marked it (not its age)
    expires_at: float | None = None  # clock time after which a tag's profile drops it
    origin: str = ""  # the process that made it ("host:pid"), in a shared store

    @property
    def size_bytes(self) -> int:
        if self.kind == "route":
            return len(self.body)
        return len(self.body) if self.body else len(repr(self.value).encode())

    @property
    def memory_bytes(self) -> int:
        """What keeping it costs, roughly: what the memory bound counts (key and headers too)."""
        headers = sum(len(name) + len(value) for name, value in self.headers)
        return len(self.key) + self.size_bytes + headers + ENTRY_OVERHEAD_BYTES

    @property
    def freshness(self) -> Literal["fresh", "stale", "stale by tag"]:
        """What tables show: stale by its age, or marked by ``revalidate_tag(t, profile)``."""
        if self.stale_by_tag:
            return "stale by tag"
        return "stale" if self.stale else "fresh"

    @property
    def stale(self) -> bool:
        if self.stale_by_tag:
            return True
        period = self.revalidate
        return isinstance(period, (int, float)) and period is not False and self.age_s > period


class CacheUnavailable(RuntimeError):
    """The shared cache could not record a change every process must see (an invalidation)."""


class CacheStore(Protocol):
    """What dispatch and the inspector need of a cache backend.

    Synchronous methods touch this process only and never wait on the network; the
    coroutines reach the shared tier (for `MemoryCache` they are the same operations).
    """

    warning: str | None  # why the shared tier is not answering, for the log and inspector

    # -- this process, no I/O: the HIT fast path -------------------------------------------
    def get(self, key: str) -> CacheEntry | None: ...  # a stale entry is returned, marked
    def __contains__(self, key: str) -> bool: ...  # cheap: asked for every GET
    def set(self, entry: CacheEntry) -> None: ...  # a shared store writes through behind
    def delete(self, key: str) -> bool: ...
    def delete_tag(self, tag: str) -> list[str]: ...  # expire `tag` now (blocks, bounded)
    def entries(self) -> list[CacheEntry]: ...

    # -- blocking, for a cell or a sync handler's thread (never the server's loop) --------
    def load(self, key: str) -> CacheEntry | None: ...  # get, reading through on a miss
    def invalidate(self, tags: Iterable[str], *, expire_s: float = 0.0) -> list[str]: ...
    def shared_entries(self) -> list[CacheEntry]: ...  # every process's (bounded; a table)

    # -- the shared tier, awaited on any event loop -----------------------------------------
    # ``shared=True`` skips this process's copy: a lock holder checks what the others did.
    async def aget(self, key: str, *, shared: bool = False) -> CacheEntry | None: ...
    async def aset(self, entry: CacheEntry) -> None: ...
    async def aadd(self, entry: CacheEntry) -> CacheEntry: ...  # keeps a fresh existing one
    async def adelete(self, key: str) -> bool: ...
    async def ainvalidate(self, tags: Iterable[str], *, expire_s: float = 0.0) -> None: ...
    async def alock(self, name: str, ttl_s: float) -> str | None: ...
    async def aunlock(self, name: str, token: str) -> None: ...
    async def alock_held(self, name: str) -> bool: ...
    async def await_entry(self, key: str, lock: str, timeout_s: float) -> CacheEntry | None: ...
    async def aentries(self) -> list[CacheEntry]: ...
    async def aclear(self) -> None: ...


class MemoryCache:
    """A thread-safe in-process store (the server thread, workers and the kernel share it).

    Tag invalidation acts on the entries themselves (one process holds them all): an
    expiring invalidation drops them, a profile's marks them stale until it expires them.
    It keeps at most `max_bytes` (Next.js's ``cacheMaxMemorySize``, 50 MB by default):
    past it the least recently used entries are evicted, and counted in `evictions`.

    >>> small = MemoryCache(max_bytes=1000)
    >>> for n in range(5):
    ...     small.set(CacheEntry(key=f"/{n}", kind="route", body=b"x" * 300))
    >>> len(small), small.evictions, small.get("/0") is None, small.get("/4") is not None
    (1, 4, True, True)
    """

    warning: str | None = None  # nothing shared, so nothing can fail
    shared = False  # invalidations apply here at once, without I/O

    def __init__(self, clock: Clock | None = None, *, max_bytes: int | None = None) -> None:
        self.clock: Clock = clock or time.monotonic
        self.max_bytes = check_max_memory(
            DEFAULT_MAX_MEMORY_BYTES if max_bytes is None else max_bytes
        )
        self.evictions = 0
        self._bytes = 0
        self._entries: dict[str, CacheEntry] = {}  # in first-stored order: how tables list them
        self._recency: OrderedDict[str, None] = OrderedDict()  # least recently used first
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []
        self._locks: dict[str, tuple[str, float]] = {}  # name -> (token, deadline)

    def get(self, key: str) -> CacheEntry | None:
        with self._lock:
            entry = self._live(key)
            if entry is None:
                return None
            entry.hits += 1
            self._recency.move_to_end(key)  # recently used: evicted last
            return entry

    def __contains__(self, key: str) -> bool:
        return key in self._entries  # one dict lookup; no lock needed to read a membership

    def peek(self, key: str) -> CacheEntry | None:
        """Like `get` without counting a hit."""
        with self._lock:
            return self._live(key)

    def _live(self, key: str) -> CacheEntry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        now = self.clock()
        if entry.expires_at is not None and entry.expires_at <= now:
            self._pop(key)  # a tag's profile expired it: a MISS from now on
            return None
        entry.age_s = now - entry.created
        return entry

    def set(self, entry: CacheEntry) -> None:
        entry.created = self.clock()
        entry.age_s = 0.0
        entry.stale_by_tag, entry.expires_at = False, None
        if not entry.origin:
            entry.origin = process_origin()
        with self._lock:
            old = self._entries.get(entry.key)
            if old is not None:
                self._bytes -= old.memory_bytes
            self._entries[entry.key] = entry
            self._recency[entry.key] = None
            self._recency.move_to_end(entry.key)
            self._bytes += entry.memory_bytes
            while self._entries and self._bytes > self.max_bytes:
                self._pop(next(iter(self._recency)))  # the least recently used
                self.evictions += 1
        self._changed()

    def _pop(self, key: str) -> CacheEntry:
        entry = self._entries.pop(key)
        del self._recency[key]
        self._bytes -= entry.memory_bytes
        return entry

    @property
    def memory_bytes(self) -> int:
        """What the entries held cost, as the `max_bytes` bound counts it."""
        return self._bytes

    def delete(self, key: str) -> bool:
        with self._lock:
            found = key in self._entries
            if found:
                self._pop(key)
        if found:
            self._changed()
        return found

    def delete_tag(self, tag: str) -> list[str]:
        return self.delete_where(lambda e: tag in e.tags)

    def delete_where(self, predicate: Callable[[CacheEntry], bool]) -> list[str]:
        with self._lock:
            keys = [k for k, e in self._entries.items() if predicate(e)]
            for key in keys:
                self._pop(key)
        if keys:
            self._changed()
        return keys

    def entries(self) -> list[CacheEntry]:
        with self._lock:
            return [e for key in list(self._entries) if (e := self._live(key)) is not None]

    def invalidate(self, tags: Iterable[str], *, expire_s: float = 0.0) -> list[str]:
        """Invalidate `tags` (path tags included): drop, or mark stale until `expire_s` passes.

        Returns the keys it touched. ``expire_s <= 0`` is `delete_tag` for each tag.
        """
        wanted = set(tags)
        now = self.clock()
        with self._lock:
            keys = [k for k, e in self._entries.items() if wanted.intersection(entry_tags(e))]
            for key in keys:
                if expire_s <= 0:
                    self._pop(key)
                    continue
                entry = self._entries[key]
                entry.stale_by_tag = True
                deadline = now + expire_s
                if entry.expires_at is None or deadline < entry.expires_at:
                    entry.expires_at = deadline
        if keys:
            self._changed()
        return keys

    def load(self, key: str) -> CacheEntry | None:
        return self.get(key)

    def shared_entries(self) -> list[CacheEntry]:
        return self.entries()

    # -- the async half of the contract: the same operations (one process holds it all) ---

    async def aget(self, key: str, *, shared: bool = False) -> CacheEntry | None:
        return self.get(key)

    async def aset(self, entry: CacheEntry) -> None:
        self.set(entry)

    async def aadd(self, entry: CacheEntry) -> CacheEntry:
        with self._lock:
            existing = self._live(entry.key)
            if existing is not None and not existing.stale:
                return existing
        self.set(entry)
        return entry

    async def adelete(self, key: str) -> bool:
        return self.delete(key)

    async def ainvalidate(self, tags: Iterable[str], *, expire_s: float = 0.0) -> None:
        self.invalidate(tags, expire_s=expire_s)

    async def alock(self, name: str, ttl_s: float) -> str | None:
        """Take lock `name` for `ttl_s` seconds unless someone holds it; returns its token."""
        now = self.clock()
        with self._lock:
            held = self._locks.get(name)
            if held is not None and held[1] > now:
                return None
            token = uuid.uuid4().hex
            self._locks[name] = (token, now + ttl_s)
            return token

    async def aunlock(self, name: str, token: str) -> None:
        with self._lock:
            if self._locks.get(name, ("",))[0] == token:  # an expired holder frees nothing
                del self._locks[name]

    async def await_entry(self, key: str, lock: str, timeout_s: float) -> CacheEntry | None:
        """Wait for another render's entry; None when its lock is gone without one."""
        return await poll_for_entry(self, key, lock, timeout_s)

    def _lock_held(self, name: str) -> bool:
        held = self._locks.get(name)
        return held is not None and held[1] > self.clock()

    async def alock_held(self, name: str) -> bool:
        with self._lock:
            return self._lock_held(name)

    async def aentries(self) -> list[CacheEntry]:
        return self.entries()

    async def aclear(self) -> None:
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._recency.clear()
            self._bytes = 0
        self._changed()

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener()` after every change; returns a function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _changed(self) -> None:
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:  # a broken listener must not break caching
                pass

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"MemoryCache(entries={len(self._entries)})"


POLL_S = 0.02  # how often a waiter looks for another process's render


async def poll_for_entry(store: Any, key: str, lock: str, timeout_s: float) -> CacheEntry | None:
    """Wait until `key` has an entry, the render holding `lock` gave up, or `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        entry = await store.aget(key)
        if entry is not None and not entry.stale:
            return entry
        if not await store.alock_held(lock) or time.monotonic() >= deadline:
            return entry if entry is not None else await store.aget(key)
        await asyncio.sleep(POLL_S)
