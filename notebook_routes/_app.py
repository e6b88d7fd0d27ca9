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
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from notebook_routes._dispatch import dispatch
from notebook_routes._log import DEFAULT_LOG_SIZE, RequestLog
from notebook_routes._rendering import Progress, RouteCache
from notebook_routes._route import (
    Kind,
    Route,
    is_static_candidate,
    route_from_namespace,
)
from notebook_routes.cache._store import CacheEntry, CacheStore, Clock, MemoryCache
from notebook_routes.routing import (
    Conflict,
    Match,
    RouteError,
    RouteTable,
    normalize_request_path,
    parse_pattern,
)


class App:
    """Routes, their conflicts and the request log; `handle` answers one request."""

    def __init__(
        self,
        *,
        log_size: int = DEFAULT_LOG_SIZE,
        cache: CacheStore | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._table: RouteTable[Route] = RouteTable()
        self.log = RequestLog(log_size)
        self.cache: CacheStore = cache if cache is not None else MemoryCache(clock)
        self.route_cache = RouteCache(self)

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
        self._install(route, entries)
        return route

    def _install(self, route: Route, entries: list[CacheEntry]) -> None:
        replaced = self._table.get(route.source, kind=route.kind) is not None
        self._table.add(route.pattern, route, kind=route.kind)
        if replaced:  # the old handler's answers must not outlive it (a new route has none)
            self._purge(route.source)
        for entry in entries:
            self.cache.set(entry)

    def _purge(self, source: str) -> None:
        keys = [e.key for e in self.cache.entries() if e.kind == "route" and e.route == source]
        for key in keys:
            self.cache.delete(key)

    def revalidate_path(self, path: str) -> bool:
        """Drop the cached answer for `path` (a URL path such as ``/items/a``)."""
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError(f"path must be a URL path starting with '/', not {path!r}")
        return self.cache.delete(normalize_request_path(path.split("?", 1)[0]))

    def revalidate_tag(self, tag: str) -> list[str]:
        """Drop every cached route answer and data entry tagged `tag`; returns their keys."""
        if not isinstance(tag, str) or not tag:
            raise TypeError(f"tag must be a non-empty str, not {tag!r}")
        return self.cache.delete_tag(tag)

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

    async def handle(self, request: Any) -> Any:
        """Answer one `NextRequest` with a `Response` (never raises)."""
        return await dispatch(self, request)

    def __repr__(self) -> str:
        return f"App(routes={len(self._table)})"


__all__ = ["App"]
