"""What the inspector shows, as plain data: no widgets, no event loop.

The server thread hands over log entries with `receive` (cheap: one append);
`refresh`, called on the kernel's loop, folds them in, re-reads routes, conflicts
and the cache, and tells observers which parts changed::

    >>> from notebook_routes import App
    >>> from notebook_routes._log import LogEntry
    >>> app = App()
    >>> route = app.add("/items/[slug]", {"GET": lambda: "x"})
    >>> state = InspectorState(app)
    >>> seen = []
    >>> state.observe(seen.append, names=("requests",))
    >>> state.receive(LogEntry(1.0, "GET", "/items/a", "/items/[slug]", {"slug": "a"}, 200, 1.5))
    >>> sorted(state.refresh())
    ['requests', 'routes', 'traffic']
    >>> seen
    [frozenset({'requests'})]
    >>> [(r.seq, r.entry.path) for r in state.requests]
    [(1, '/items/a')]
    >>> state.routes[0].pattern, state.routes[0].label
    ('/items/[slug]', 'ƒ dynamic')
"""

from __future__ import annotations

import functools
import itertools
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from notebook_routes._log import LogEntry
from notebook_routes._summary import rendering_label

if TYPE_CHECKING:
    from notebook_routes._app import App
    from notebook_routes._route import Route

NAMES = ("routes", "conflicts", "requests", "cache", "traffic")
STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")
NO_ROUTE = ""  # the route filter value for requests that matched nothing
CHART_WINDOW_S = 60

Observer = Callable[[frozenset[str]], None]


@dataclass(frozen=True)
class RouteRow:
    """One route as the Routes tab shows it; equal rows mean nothing to redraw."""

    pattern: str
    kind: str  # "route" or "page"
    methods: tuple[str, ...]
    rendering: str  # "static" | "isr" | "dynamic"
    label: str  # "○ static", "○ ISR 60s", "● static", "ƒ dynamic"
    revalidate: Any
    cell: str | None
    hits: int
    errors: int
    conflict: Literal["error", "info"] | None
    url_path: str
    params: tuple[str, ...]
    total_hits: int = 0  # over every definition of the path; `hits` since the last one

    @classmethod
    def of(cls, route: Route, conflict: Literal["error", "info"] | None) -> RouteRow:
        return cls(
            pattern=route.source,
            kind=route.kind,
            methods=tuple(route.methods),
            rendering=route.rendering,
            label=rendering_label(route),
            revalidate=route.config.revalidate,
            cell=route.origin,
            hits=route.hits,
            errors=route.errors,
            conflict=conflict,
            url_path=route.pattern.url_path,
            params=tuple(route.pattern.param_names),
            total_hits=route.total_hits,
        )


@dataclass(frozen=True)
class ConflictRow:
    level: Literal["error", "info"]
    message: str
    routes: tuple[str, ...]


class RequestRow(NamedTuple):
    """A log entry with a sequence number, so an expanded row stays expanded as rows move.

    A tuple, not a dataclass: one is made per request, and tuples are the cheapest."""

    seq: int
    entry: LogEntry

    def status_class(self) -> str:
        return f"{self.entry.status // 100}xx"


# RequestRow((seq, entry)) in C: one is made per request, 500 a second under load, and
# the NamedTuple's own constructor is Python code.
_new_row = functools.partial(tuple.__new__, RequestRow)


@dataclass(frozen=True)
class CacheRow:
    key: str  # the path of a route entry, the function or URL of a data entry
    kind: str  # "route" or "data"
    route: str | None
    state: Literal["fresh", "stale", "stale by tag"]
    age_s: int  # whole seconds: the panel redraws once a second, not on every tick
    revalidate: Any
    hits: int
    tags: tuple[str, ...]
    size_bytes: int
    origin: str = ""  # the process that made it ("host:pid"): several share one Redis


@dataclass(frozen=True)
class CacheInfo:
    """The cache as a whole: where it lives, what went wrong, what the bound evicted."""

    where: str  # "memory" or the Redis URL
    shared: bool
    warning: str | None
    evictions: int

    @classmethod
    def of(cls, store: Any) -> CacheInfo:
        return cls(
            where=getattr(store, "url", "memory"),
            shared=bool(getattr(store, "shared", False)),
            warning=getattr(store, "warning", None),
            evictions=int(getattr(store, "evictions", 0)),
        )


class Traffic:
    """Requests per second and mean latency, in one-second buckets over a sliding window.

    >>> t = Traffic(window_s=3)
    >>> for at, ms in [(10.2, 4.0), (10.7, 2.0), (12.1, 9.0)]:
    ...     t.add(at, ms)
    >>> t.series(now=12.5)
    [(10, 2, 3.0), (11, 0, 0.0), (12, 1, 9.0)]
    """

    def __init__(self, window_s: int = CHART_WINDOW_S) -> None:
        self.window_s = window_s
        self._buckets: dict[int, list[float]] = {}  # second -> [count, total ms]

    def add(self, at: float, duration_ms: float) -> None:
        bucket = self._buckets.setdefault(int(at), [0, 0.0])
        bucket[0] += 1
        bucket[1] += duration_ms

    def add_many(self, entries: Iterable[LogEntry]) -> None:
        buckets = self._buckets
        for e in entries:
            bucket = buckets.get(second := int(e.time))
            if bucket is None:
                bucket = buckets[second] = [0, 0.0]
            bucket[0] += 1
            bucket[1] += e.duration_ms

    def series(self, now: float) -> list[tuple[int, int, float]]:
        """(second, requests, mean ms) for each second of the window, oldest first."""
        last = int(now)
        first = last - self.window_s + 1
        for second in [s for s in self._buckets if s < first]:
            del self._buckets[second]
        out = []
        for second in range(first, last + 1):
            count, total = self._buckets.get(second, (0, 0.0))
            out.append((second, int(count), total / count if count else 0.0))
        return out

    def active(self, now: float) -> bool:
        """Whether any bucket is still inside the window (an idle chart needs no redraw)."""
        return any(s > now - self.window_s for s in self._buckets)


class InspectorState:
    """Snapshots of an `App` for the inspector's panels, and who to tell when they change."""

    def __init__(self, app: App, *, clock: Callable[[], float] = time.time) -> None:
        self.app = app
        self.clock = clock
        self.routes: list[RouteRow] = []
        self.proxy: str | None = None  # "matcher  (cell)" of the app's proxy, if any
        self.conflicts: list[ConflictRow] = []
        self.requests: deque[RequestRow] = deque(maxlen=app.log.maxlen)
        self.cache: list[CacheRow] = []
        self.cache_info = CacheInfo.of(app.cache)
        self.traffic = Traffic()
        self.refreshes = 0
        self._pending: deque[LogEntry] = deque()  # appended by the server thread
        # Entries both seeded and delivered by the listener, held so their ids stay unique.
        self._seeded: dict[int, LogEntry] = {}
        self._cache_dirty = True
        self._chart_second = -1
        self._seq = itertools.count(1)
        self._observers: list[tuple[Observer, frozenset[str]]] = []
        self._lock = threading.Lock()

    # -- from any thread ------------------------------------------------------------------

    def receive(self, entry: LogEntry) -> None:
        """Queue a new log entry (called on the server thread: no work beyond the append)."""
        self._pending.append(entry)

    def cache_changed(self) -> None:
        self._cache_dirty = True

    # -- on the kernel's loop -------------------------------------------------------------

    def seed(self, entries: Iterable[LogEntry]) -> None:
        """Start from the entries already logged; `receive` may deliver some of them again."""
        entries = list(entries)
        for entry in entries:
            self._seeded[id(entry)] = entry
        self._add(entries)

    def observe(self, callback: Observer, names: Collection[str]) -> None:
        """Call `callback(changed_names)` after a refresh that changed any of `names`."""
        unknown = set(names) - set(NAMES)
        if unknown:
            raise ValueError(f"unknown state names {sorted(unknown)}; use some of {list(NAMES)}")
        self._observers.append((callback, frozenset(names)))

    def unobserve(self, callback: Observer) -> None:
        self._observers = [(cb, names) for cb, names in self._observers if cb != callback]

    def refresh(self, *, poll: bool = False) -> frozenset[str]:
        """Fold in what happened since the last refresh; returns (and announces) what changed.

        ``poll=True`` (and the first refresh) also re-read the routes and conflicts, and
        what changes without telling anyone: route hits, cache ages and hits, the chart's
        window sliding on while no request arrives.
        """
        with self._lock:  # one refresh at a time, even if a caller forgets the loop rule
            changed = self._collect(poll)
            self.refreshes += 1
        for callback, names in list(self._observers):
            if changed & names:
                callback(changed & names)
        return changed

    def _collect(self, poll: bool) -> frozenset[str]:
        changed: set[str] = set()
        if self.requests.maxlen != self.app.log.maxlen:  # the log was resized
            self.requests = deque(self.requests, maxlen=self.app.log.maxlen)
            changed.add("requests")
        pending, arrived = self._pending, []
        while pending:
            arrived.append(pending.popleft())
        if self._seeded:
            arrived = [e for e in arrived if id(e) not in self._seeded]
            if poll and self.refreshes:  # a second poll: any double delivery has happened
                self._seeded.clear()
        if arrived:
            self._add(arrived)
            changed.add("requests")
        # The chart has one bar a second: redrawing it more often would show nothing new.
        second = int(self.clock())
        if second != self._chart_second and (arrived or self.traffic.active(second)):
            self._chart_second = second
            changed.add("traffic")

        if poll or not self.refreshes:
            # Routes change by cells and clicks, hits by requests: once a second is live
            # enough, and it keeps a refresh under traffic small.
            conflicts = [
                ConflictRow(c.level, c.message, tuple(c.routes)) for c in self.app.conflicts
            ]
            if conflicts != self.conflicts:
                self.conflicts = conflicts
                changed.add("conflicts")
            routes = self._route_rows()
            proxy = self.app.proxy
            shown = None if proxy is None else f"{proxy.matcher_text}  ({proxy.origin})"
            if routes != self.routes or shown != self.proxy:
                self.routes, self.proxy = routes, shown
                changed.add("routes")
        if self._cache_dirty or poll:
            self._cache_dirty = False
            rows = self._cache_rows()
            info = CacheInfo.of(self.app.cache)
            if rows != self.cache or info != self.cache_info:
                self.cache, self.cache_info = rows, info
                changed.add("cache")
        return frozenset(changed)

    def _add(self, entries: list[LogEntry]) -> None:
        seqs = itertools.islice(self._seq, len(entries))
        self.requests.extend(map(_new_row, zip(seqs, entries, strict=True)))
        self.traffic.add_many(entries)

    def _route_rows(self) -> list[RouteRow]:
        worst: dict[str, Literal["error", "info"]] = {}
        for conflict in self.conflicts:
            for source in conflict.routes:
                if worst.get(source) != "error":
                    worst[source] = conflict.level
        return [RouteRow.of(route, worst.get(route.source)) for route in self.app.routes]

    def _cache_rows(self) -> list[CacheRow]:
        rows = [
            CacheRow(
                key=e.key,
                kind=e.kind,
                route=e.route,
                state=e.freshness,
                age_s=math.floor(e.age_s),
                revalidate=e.revalidate,
                hits=e.hits,
                tags=tuple(e.tags),
                size_bytes=e.size_bytes,
                origin=e.origin,
            )
            # A shared store lists every process's entries (one bounded round trip).
            for e in self.app.cache.shared_entries()
        ]
        rows.sort(key=lambda r: (r.kind != "route", r.key))
        return rows

    # -- queries for the panels -----------------------------------------------------------

    def newest_requests(
        self, *, route: str | None = None, status: str | None = None, limit: int = 25
    ) -> tuple[list[RequestRow], int]:
        """The newest `limit` requests matching the filters, newest first, and how many match.

        `route` is a pattern (`NO_ROUTE` for requests that matched nothing), `status` one of
        `STATUS_CLASSES`; None means any.
        """
        if route is None and status is None:  # no filter: no need to look at every row
            newest = list(itertools.islice(reversed(self.requests), limit))
            return newest, len(self.requests)
        shown: list[RequestRow] = []
        matching = 0
        for row in reversed(self.requests):
            entry = row.entry
            if route is not None and (entry.route or NO_ROUTE) != route:
                continue
            if status is not None and row.status_class() != status:
                continue
            matching += 1
            if len(shown) < limit:
                shown.append(row)
        return shown, matching

    def request(self, seq: int) -> RequestRow | None:
        for row in reversed(self.requests):
            if row.seq == seq:
                return row
        return None

    def __repr__(self) -> str:
        return f"InspectorState(app={self.app!r})"


__all__ = [
    "CacheRow",
    "ConflictRow",
    "InspectorState",
    "NAMES",
    "NO_ROUTE",
    "RequestRow",
    "RouteRow",
    "STATUS_CLASSES",
    "Traffic",
]
