"""The local tier of a shared store: a bounded copy of recent entries, read without I/O.

It answers the server's synchronous HIT path. It stays correct because every tag
invalidation reaches it (`learn`, fed by pub/sub) and each read judges the entry against
the tag records it knows; while the feed is down it is `enabled = False` and answers
nothing, so a missed invalidation can never be served from here.

>>> from notebook_routes.cache._store import CacheEntry
>>> tier = LocalTier(max_entries=2)
>>> tier.put(CacheEntry(key="/a", kind="route", tags=("t",), created=1.0))
>>> tier.learn("t", TagState().mark(now=2.0, expire_s=60))
>>> tier.get("/a", now=3.0).stale
True
>>> tier.learn("t", TagState().mark(now=2.0, expire_s=60).mark(now=4.0, expire_s=0))
>>> tier.get("/a", now=5.0) is None
True
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from notebook_routes.cache._store import CacheEntry
from notebook_routes.cache._tags import TagState, entry_tags, judge_entry


class LocalTier:
    def __init__(self, *, max_entries: int = 1000, max_bytes: int = 50 * 2**20) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.evictions = 0  # entries dropped to stay within the bounds (least recently used)
        self.enabled = True
        self._entries: OrderedDict[str, CacheEntry] = OrderedDict()
        self._bytes = 0
        self._tags: dict[str, TagState] = {}
        self._lock = threading.Lock()

    def get(self, key: str, *, now: float) -> CacheEntry | None:
        if not self.enabled:
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            verdict = judge_entry(entry, self._tags, now=now)
            if verdict == "expired":
                self._pop(key)
                return None
            entry.stale_by_tag = verdict == "stale"
            entry.age_s = now - entry.created
            self._entries.move_to_end(key)
            return entry

    def __contains__(self, key: str) -> bool:
        return self.enabled and key in self._entries

    def put(self, entry: CacheEntry) -> None:
        """Keep `entry` unless a newer one of the same key is here; evict the oldest."""
        if not self.enabled:
            return
        with self._lock:
            old = self._entries.get(entry.key)
            if old is not None and old.created > entry.created:
                return
            if old is not None:
                self._pop(entry.key)
            self._entries[entry.key] = entry
            self._bytes += entry.memory_bytes
            while self._entries and (
                len(self._entries) > self.max_entries or self._bytes > self.max_bytes
            ):
                self._pop(next(iter(self._entries)))
                self.evictions += 1

    def drop(self, key: str, *, older_than: float | None = None) -> bool:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or (older_than is not None and entry.created >= older_than):
                return False
            self._pop(key)
            return True

    def learn(self, tag: str, state: TagState) -> None:
        """Take a tag's record, unless a newer one already arrived by another road."""
        with self._lock:
            self._tags[tag] = state.newer(self._tags.get(tag))

    def learn_all(self, states: dict[str, TagState]) -> None:
        for tag, state in states.items():
            self.learn(tag, state)

    def keys_tagged(self, tags: set[str]) -> list[str]:
        with self._lock:
            return [k for k, e in self._entries.items() if tags.intersection(entry_tags(e))]

    def entries(self, *, now: float) -> list[CacheEntry]:
        return [e for key in list(self._entries) if (e := self.get(key, now=now)) is not None]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def _pop(self, key: str) -> None:
        entry = self._entries.pop(key)
        self._bytes -= entry.memory_bytes

    def __len__(self) -> int:
        return len(self._entries)
