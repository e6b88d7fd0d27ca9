"""`App`: the routes of one server, registered like the files of an ``app/`` folder.

>>> app = App()
>>> async def GET(request, context):
...     return {"slug": context.params["slug"]}
>>> route = app.add("/items/[slug]", {"GET": GET})
>>> route
Route(pattern='/items/[slug]', methods=['GET'])
>>> m = app.match("/items/a")
>>> m.source, m.params
('/items/[slug]', {'slug': 'a'})
>>> app.match("/nothing") is None
True

`App` does no I/O: the tornado adapter (`notebook_routes._server`) turns sockets into
`NextRequest` objects and hands them to `App.handle`.

Static and ISR answers are cached for everyone, so they render with the app's own
`origin`, never a client's ``Host``: ``public_origin`` when given, else the address the
server bound (the server tells the app), else ``http://localhost``:

>>> App().origin, App(public_origin="https://notes.example/").origin
('http://localhost', 'https://notes.example')

Its cache is in memory (bounded like Next.js's ``cacheMaxMemorySize``), or shared by
every process and host through Redis, as Next.js's ``cacheHandler``:

>>> App(cache_max_memory_size=10 * 2**20).cache.max_bytes
10485760
>>> App(cache_handler="memory://").cache
MemoryCache(entries=0)
>>> App(cache_handler="redis://127.0.0.1:6379/0")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from notebook_routes import _api_docs
from notebook_routes._dispatch import dispatch
from notebook_routes._log import DEFAULT_LOG_SIZE, RequestLog
from notebook_routes._proxy import Proxy, proxy_from_namespace
from notebook_routes._rendering import BUILD_ORIGIN, Progress, RouteCache
from notebook_routes._route import (
    Kind,
    Route,
    is_static_candidate,
    route_from_namespace,
)
from notebook_routes.cache._handler import cache_handler as make_store
from notebook_routes.cache._invalidate import (
    expire_tag_now,
    invalidate_path,
    invalidate_route,
    invalidate_tag,
)
from notebook_routes.cache._store import CacheEntry, CacheStore, CacheUnavailable, Clock
from notebook_routes.routing import (
    Conflict,
    Match,
    RouteError,
    RouteTable,
    parse_pattern,
)
from notebook_routes.web._after import AfterTasks

log = logging.getLogger("notebook_routes.cache")


class App:
    """Routes, their conflicts and the request log; `handle` answers one request."""

    def __init__(
        self,
        *,
        log_size: int = DEFAULT_LOG_SIZE,
        cache_handler: CacheStore | str | None = None,
        cache: CacheStore | str | None = None,
        cache_prefix: str | None = None,
        cache_max_memory_size: int | None = None,
        clock: Clock | None = None,
        public_origin: str | None = None,
    ) -> None:
        """`cache_handler` (or `cache`): a store, or a URL such as ``redis://HOST:PORT/DB``
        (every process using the same URL and `cache_prefix` shares one cache); the
        default keeps the cache in this process, at most `cache_max_memory_size` bytes.
        """
        if cache_handler is not None and cache is not None:
            raise TypeError("give cache_handler= or cache=, not both (they are the same)")
        self._public_origin = check_origin(public_origin)
        self.served_at: str | None = None  # the bound address, set by the server that runs
        self._table: RouteTable[Route] = RouteTable()
        self.log = RequestLog(log_size)
        self.cache: CacheStore = make_store(
            cache_handler if cache_handler is not None else cache,
            prefix=cache_prefix,
            clock=clock,
            max_memory_bytes=cache_max_memory_size,
            from_env=False,
        )
        self.route_cache = RouteCache(self)
        self.proxy: Proxy | None = None
        self.after_tasks = AfterTasks()  # after() callbacks still running
        # The draft-mode cookie's value: fixed while the app lives (Next.js: per build).
        self.draft_key = secrets.token_hex(16)

    def set_proxy(self, namespace: Mapping[str, Any], *, origin: str | None = None) -> Proxy:
        """Install (or atomically replace) the proxy a ``proxy.py``-like namespace defines.

        Raises `RouteError` for a missing ``proxy`` function or a bad matcher, and keeps
        the proxy that was there.
        """
        if not isinstance(namespace, Mapping):
            raise TypeError(
                f"namespace must be a mapping such as {{'proxy': fn}}, "
                f"not {type(namespace).__name__}"
            )
        proxy = proxy_from_namespace(namespace, origin)
        self.proxy = proxy
        return proxy

    def remove_proxy(self) -> Proxy:
        """Remove the proxy; KeyError if there is none."""
        if self.proxy is None:
            raise KeyError("there is no proxy to remove")
        proxy, self.proxy = self.proxy, None
        return proxy

    @property
    def public_origin(self) -> str | None:
        """The origin to render cached answers with, such as ``https://notes.example``."""
        return self._public_origin

    @public_origin.setter
    def public_origin(self, origin: str | None) -> None:
        self._public_origin = check_origin(origin)

    @property
    def origin(self) -> str:
        """The origin static and ISR renders see (``request.next_url.origin``, ``.host``)."""
        return self.public_origin or self.served_at or BUILD_ORIGIN

    def add(
        self,
        path: str,
        namespace: Mapping[str, Any],
        *,
        kind: Kind = "route",
        origin: str | None = None,
    ) -> Route:
        """Register (or atomically replace) the route at `path` from a route.py-like namespace.

        Raises `RouteError` for a bad path or namespace and leaves the table as it was.
        Conflicts with other routes are accepted and listed in `conflicts`. A static
        route added this way renders on its first request (MISS, then HIT); use
        `add_prerendered` to render it now, as ``next build`` does.
        """
        route = self._build(path, namespace, kind, origin)
        self._install(route, [])
        return route

    async def add_prerendered(
        self,
        path: str,
        namespace: Mapping[str, Any],
        *,
        kind: Kind = "route",
        origin: str | None = None,
        progress: Progress | None = None,
    ) -> Route:
        """Like `add`, and prerender a static route first (the notebook's ``next build``).

        A ``dynamic = "error"`` violation or a failing prerender raises `RouteError` and
        leaves the table as it was; a ``"auto"`` route that used a dynamic API is
        registered as dynamic, with the reason in ``route.bailout``.
        """
        route = self._build(path, namespace, kind, origin)
        entries: list[CacheEntry] = []
        if is_static_candidate(route):
            entries = await self.route_cache.prerender(route, progress)
        replaced = self._install(route, [])
        for entry in entries:
            if replaced:
                await self.cache.aset(entry)  # the old handler's answers must not stay
            else:
                # A second `serve` on a shared cache keeps the fresh entry it finds there,
                # so every process answers the same body (Next.js: one build, one cache).
                await self.cache.aadd(entry)
        return route

    def _install(self, route: Route, entries: list[CacheEntry]) -> bool:
        """Put `route` in the table; True when it replaced one (whose answers are dropped)."""
        old = self._table.get(route.source, kind=route.kind)
        replaced = old is not None
        if old is not None:  # a re-run cell: its hits start again, the path's total goes on
            route.earlier_hits = old.total_hits
        self._table.add(route.pattern, route, kind=route.kind)
        if replaced:  # the old handler's answers must not outlive it (a new route has none)
            self._purge(route.source)
        for entry in entries:
            self.cache.set(entry)
        return replaced

    def _purge(self, source: str) -> None:
        """Invalidate every answer of route `source`, in every process sharing the cache."""
        try:
            invalidate_route(self.cache, source)
        except CacheUnavailable as exc:  # registering a cell must not fail on Redis
            log.warning("%s; answers of %s cached elsewhere may stay until they expire", exc,
                        source)  # fmt: skip
            for entry in self.cache.entries():
                if entry.kind == "route" and entry.route == source:
                    self.cache.delete(entry.key)

    def revalidate_path(self, path: str) -> bool:
        """Invalidate the cached answer for `path` (a URL path such as ``/items/a``).

        Every process sharing the cache renders it anew on its next request. Returns
        whether this process held an answer for it. A shared cache that cannot record
        it raises `CacheUnavailable` (in an ``async def`` handler: the request gets a 500).
        """
        return invalidate_path(self.cache, path)

    def revalidate_tag(
        self, tag: str, profile: str | Mapping[str, float] | None = None
    ) -> list[str]:
        """Invalidate every cached route answer and data entry tagged `tag`.

        Returns the keys this process held; other processes sharing the cache drop theirs.
        `profile` as for `notebook_routes.revalidate_tag`: ``"max"`` serves them STALE once
        while one regeneration runs; none (deprecated) or ``{"expire": 0}`` drops them.
        """
        return invalidate_tag(self.cache, tag, profile, caller_depth=2)

    def update_tag(self, tag: str) -> list[str]:
        """Expire every entry tagged `tag` at once (refused inside a route handler)."""
        return expire_tag_now(self.cache, tag)

    def _build(
        self, path: str, namespace: Mapping[str, Any], kind: Kind, origin: str | None
    ) -> Route:
        if not isinstance(path, str):
            raise TypeError(
                f"path must be a str such as '/items/[slug]', not {type(path).__name__}"
            )
        if not isinstance(namespace, Mapping):
            raise TypeError(
                f"namespace must be a mapping such as {{'GET': handler}}, "
                f"not {type(namespace).__name__}"
            )
        if kind not in ("route", "page"):
            raise ValueError(f"kind must be 'route' or 'page', not {kind!r}")
        pattern = parse_pattern(path)
        return route_from_namespace(pattern, namespace, kind, origin)

    def remove(self, path: str, *, kind: Kind = "route") -> Route:
        """Delete the route (or page) registered at `path` as written; KeyError if none."""
        source = parse_pattern(path).source
        route = self._table.remove(source, kind=kind)
        self._purge(source)
        return route

    def get(self, path: str, *, kind: Kind = "route") -> Route | None:
        try:
            source = parse_pattern(path).source
        except RouteError:
            return None
        return self._table.get(source, kind=kind)

    def match(self, path: str) -> Match[Route] | None:
        """The route a request path reaches, with its params; None if nothing matches."""
        if not isinstance(path, str):
            raise TypeError(f"path must be a str such as '/items/a', not {type(path).__name__}")
        return self._table.match(path.split("?", 1)[0])

    @property
    def routes(self) -> list[Route]:
        """Every route and page, in registration order (a page after a route of its PATH)."""
        found = []
        for source in self._table:
            for kind in ("route", "page"):
                if (route := self._table.get(source, kind=kind)) is not None:
                    found.append(route)
        return found

    @property
    def conflicts(self) -> list[Conflict]:
        return self._table.conflicts

    def conflicts_for(self, source: str) -> list[Conflict]:
        return self._table.conflicts_for(source)

    async def handle(self, request: Any, *, debug: bool = False) -> Any:
        """Answer one `NextRequest` with a `Response` (never raises); `debug` puts a
        failed handler's error and traceback in its 500's body."""
        if (builtin := _api_docs.answer(self, request)) is not None:  # /_notebook_routes/...
            return builtin
        return await dispatch(self, request, debug=debug)

    def __repr__(self) -> str:
        return f"App(routes={len(self._table)})"


def check_origin(origin: str | None) -> str | None:
    """``"https://notes.example/"`` -> ``"https://notes.example"``; a clear error otherwise."""
    if origin is None:
        return None
    parts = urlsplit(origin) if isinstance(origin, str) else None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or "@" in parts.netloc
    ):
        raise ValueError(
            f"public_origin must be a scheme and host such as 'https://notes.example' or "
            f"'http://127.0.0.1:3000' (no path), not {origin!r}"
        )
    try:
        parts.port  # noqa: B018 (urlsplit checks the port only when asked)
    except ValueError:
        raise ValueError(f"public_origin {origin!r} has an invalid port") from None
    return f"{parts.scheme}://{parts.netloc}"


__all__ = ["App"]
