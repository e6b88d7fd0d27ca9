"""The cache store: one small interface for route and data entries.

`MemoryCache` is the default backend. Another one (a store shared by several
``serve --workers`` processes) only needs the methods of `CacheStore`; dispatch
never looks past them.

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

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

ONE_YEAR_S = 31536000  # Next.js's "forever" for s-maxage (*observed*)


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

    @property
    def size_bytes(self) -> int:
        if self.kind == "route":
            return len(self.body)
        return len(self.body) if self.body else len(repr(self.value).encode())

    @property
    def stale(self) -> bool:
        period = self.revalidate
        return isinstance(period, (int, float)) and period is not False and self.age_s > period


class CacheStore(Protocol):
    """What dispatch and the inspector need of a cache backend."""

    def get(self, key: str) -> CacheEntry | None: ...
    def __contains__(self, key: str) -> bool: ...  # cheap: asked for every GET
    def set(self, entry: CacheEntry) -> None: ...
    def delete(self, key: str) -> bool: ...
    def delete_tag(self, tag: str) -> list[str]: ...
    def entries(self) -> list[CacheEntry]: ...


class MemoryCache:
    """A thread-safe in-process store (the server thread, workers and the kernel share it)."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or time.monotonic
        self._entries: dict[str, CacheEntry] = {}
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []

    def get(self, key: str) -> CacheEntry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            entry.hits += 1
            entry.age_s = self.clock() - entry.created
            return entry

    def __contains__(self, key: str) -> bool:
        return key in self._entries  # one dict lookup; no lock needed to read a membership

    def peek(self, key: str) -> CacheEntry | None:
        """Like `get` without counting a hit."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                entry.age_s = self.clock() - entry.created
            return entry

    def set(self, entry: CacheEntry) -> None:
        entry.created = self.clock()
        entry.age_s = 0.0
        with self._lock:
            self._entries[entry.key] = entry
        self._changed()

    def delete(self, key: str) -> bool:
        with self._lock:
            found = self._entries.pop(key, None) is not None
        if found:
            self._changed()
        return found

    def delete_tag(self, tag: str) -> list[str]:
        with self._lock:
            keys = [k for k, e in self._entries.items() if tag in e.tags]
            for key in keys:
                del self._entries[key]
        if keys:
            self._changed()
        return keys

    def delete_where(self, predicate: Callable[[CacheEntry], bool]) -> list[str]:
        with self._lock:
            keys = [k for k, e in self._entries.items() if predicate(e)]
            for key in keys:
                del self._entries[key]
        if keys:
            self._changed()
        return keys

    def entries(self) -> list[CacheEntry]:
        now = self.clock()
        with self._lock:
            for entry in self._entries.values():
                entry.age_s = now - entry.created
            return list(self._entries.values())

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
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
