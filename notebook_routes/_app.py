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
"""

from __future__ import annotations

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
from notebook_routes.cache._store import CacheEntry, CacheStore, Clock, MemoryCache
from notebook_routes.routing import (
    Conflict,
    Match,
    RouteError,
    RouteTable,
    normalize_request_path,
    parse_pattern,
)
from notebook_routes.web._after import AfterTasks


class App:
    """Routes, their conflicts and the request log; `handle` answers one request."""

    def __init__(
        self,
        *,
        log_size: int = DEFAULT_LOG_SIZE,
        cache: CacheStore | None = None,
        clock: Clock | None = None,
        public_origin: str | None = None,
    ) -> None:
        self._public_origin = check_origin(public_origin)
        self.served_at: str | None = None  # the bound address, set by the server that runs
        self._table: RouteTable[Route] = RouteTable()
        self.log = RequestLog(log_size)
        self.cache: CacheStore = cache if cache is not None else MemoryCache(clock)
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
        self._install(route, entries)
        return route

    def _install(self, route: Route, entries: list[CacheEntry]) -> None:
        old = self.get(route.source, kind=route.kind)
        if old is not None:  # a re-run cell: its hits start again, the path's total goes on
            route.earlier_hits = old.total_hits
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
