"""`App`: the routes of one server, registered like the files of an ``app/`` folder.

>>> app = App()
>>> async def GET(request, context):
...     return {"slug": context.params["slug"]}
>>> route = app.add("/items/[slug]", {"GET": GET})
>>> route
Route(pattern='/items/[slug]', methods=['GET'])
>>> m = app.match("/items/a")
>>> m.pattern, m.params
('/items/[slug]', {'slug': 'a'})
>>> app.match("/nothing") is None
True

`App` does no I/O: the tornado adapter (`notebook_routes.server`) turns sockets into
`NextRequest` objects and hands them to `App.handle`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from notebook_routes._config import CAMEL_CASE, SegmentConfig
from notebook_routes._dispatch import Outcome, dispatch, run_handler
from notebook_routes._handlers import Handler
from notebook_routes._log import DEFAULT_LOG_SIZE, RequestLog
from notebook_routes.cache._routes import Progress, RouteCache, is_static_candidate, rendering
from notebook_routes.cache._store import CacheEntry, CacheStore, Clock, MemoryCache
from notebook_routes.routing import (
    Conflict,
    Match,
    RouteError,
    RoutePattern,
    RouteTable,
    normalize_request_path,
    parse_pattern,
)

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
Kind = Literal["route", "page"]


@dataclass(eq=False)
class Route:
    """One registered ``route.py`` (or ``%%page``): its handlers and segment config."""

    pattern: RoutePattern
    kind: Kind
    handlers: Mapping[str, Handler]
    config: SegmentConfig
    namespace: Mapping[str, Any]
    generate_static_params: Callable[[], Any] | None = None
    origin: str | None = None  # the cell or file it came from
    hits: int = 0
    errors: int = 0
    bailout: str | None = None  # why a static-looking route renders dynamically
    static_paths: frozenset[str] | None = None  # from generate_static_params()
    allow: str = field(init=False)

    def __post_init__(self) -> None:
        methods = set(self.handlers)
        if "GET" in methods:
            methods.add("HEAD")
        methods.add("OPTIONS")
        # Allow on OPTIONS and 405: sorted, as Next.js does (*observed*).
        self.allow = ", ".join(sorted(methods))

    @property
    def source(self) -> str:
        return self.pattern.source

    @property
    def rendering(self) -> str:
        """ "static", "isr" or "dynamic" (SPEC §10)."""
        return rendering(self)

    @property
    def methods(self) -> list[str]:
        """The methods the route defines itself, in the order of `METHODS`."""
        return [m for m in METHODS if m in self.handlers]

    def __repr__(self) -> str:
        kind = "" if self.kind == "route" else f", kind={self.kind!r}"
        return f"Route(pattern={self.source!r}, methods={self.methods!r}{kind})"


def _route_from_namespace(
    pattern: RoutePattern, namespace: Mapping[str, Any], kind: Kind, origin: str | None
) -> Route:
    source = pattern.source
    if "default" in namespace:
        raise RouteError(
            f"Route {source} exports `default`, but a route handler file has no default "
            f"export: export functions named after HTTP methods ({', '.join(METHODS)})."
        )
    handlers = {
        method: Handler.wrap(namespace[method], method=method, route=source)
        for method in METHODS
        if method in namespace
    }
    if kind == "page" and set(handlers) - {"GET"}:
        raise RouteError(f"Page {source} answers GET only; it cannot define {sorted(handlers)}.")
    if not handlers:
        raise RouteError(
            f"Route {source} defines no handler: export at least one of {', '.join(METHODS)}."
        )
    generate = None
    for name in ("generate_static_params", "generateStaticParams"):
        if name in namespace:
            generate = namespace[name]
            if not callable(generate):
                raise RouteError(
                    f"{name} in route {source} must be a function returning a list of "
                    f"param dicts, not {type(generate).__name__}."
                )
    return Route(
        pattern=pattern,
        kind=kind,
        handlers=handlers,
        config=SegmentConfig.from_namespace(namespace, route=source),
        namespace=dict(namespace),
        generate_static_params=generate,
        origin=origin,
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
        self.route_cache = RouteCache(self, _render_get, Outcome)

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
        self._table.add(route.pattern, route, kind=route.kind)
        self._purge(route.source)  # the old handler's answers must not outlive it
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
        return _route_from_namespace(pattern, namespace, kind, origin)

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


async def _render_get(route: Route, request: Any, params: dict[str, Any], outcome: Outcome) -> Any:
    return await run_handler(route, route.handlers["GET"], request, params, outcome)


__all__ = ["App", "CAMEL_CASE", "METHODS", "Route"]
