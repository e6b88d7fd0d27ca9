"""Static rendering, ISR and prerendering of route handlers, as Next.js 15+ does them.

Which routes are static is policy, decided in `notebook_routes._route`
(`is_static_candidate`): a GET with no POST/PUT/PATCH/DELETE/OPTIONS beside it and a
``dynamic``, ``revalidate`` or ``generate_static_params`` export that makes it static.
This module runs them: `RouteCache` renders with `run_handler`, stores, serves,
coalesces and regenerates.

Static answers are rendered with build-time inputs (no headers, cookies or query, and the
app's own origin, never the client's ``Host``: an answer kept for everyone must not carry
one client's input), kept in the app's cache under their pathname, and served with
``x-nextjs-cache`` and ``Cache-Control``. Under ``dynamic = "auto"`` a render that touches
a dynamic API makes the route dynamic instead (Next.js's "Dynamic server usage"
bail-out); under ``dynamic = "error"`` it refuses the route.

The cache may be shared by several processes (`RedisCache`): a HIT is answered from this
process's copy without I/O; a local miss reads the shared tier before rendering; a cold
render and a regeneration each take a lock in the store, so one process in all of them
runs the handler while the others wait for its entry (cold) or answer STALE (stale).
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from notebook_routes._handlers import Outcome, run_handler
from notebook_routes._log import LogEntry
from notebook_routes._not_found import not_found_page
from notebook_routes._route import Route, cache_control, is_static_candidate, period
from notebook_routes.cache._data import collecting_tags, revalidating, using_store
from notebook_routes.cache._invalidate import collecting_invalidations, flush
from notebook_routes.cache._store import CacheEntry, CacheUnavailable
from notebook_routes.routing import RouteError
from notebook_routes.web._request import NextRequest
from notebook_routes.web._response import Response, encode_chunk
from notebook_routes.web._scope import current_serving, serving

if TYPE_CHECKING:
    from notebook_routes._app import App

Progress = Callable[[int, int], None]  # (done, total), after each prerendered path

BUILD_ORIGIN = "http://localhost"
# How long one process may hold a path's render or regeneration lock before another may
# take it over (a crashed renderer blocks nobody longer), and how long a cold request
# waits for another process's render before rendering itself.
LOCK_TTL_S = 30.0
RENDER_WAIT_S = 30.0


def build_path(route: Route, params: Mapping[str, Any]) -> str:
    """The URL path of one param set: ``/items/[slug]`` + ``{"slug": "a"}`` -> ``/items/a``."""
    parts: list[str] = []
    for segment in route.pattern.segments:
        if segment.kind == "static":
            parts.append(quote(segment.name, safe="!$&'()*+,;=:@.~-_"))
            continue
        value = params.get(segment.name)
        if segment.kind == "dynamic":
            if not isinstance(value, str) or not value:
                raise RouteError(
                    f"generate_static_params() for route {route.source} must give "
                    f'"{segment.name}" as a non-empty str, not {value!r}.'
                )
            parts.append(quote(value, safe=""))
            continue
        if value is None and segment.kind == "optional_catch_all":
            continue
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise RouteError(
                f"generate_static_params() for route {route.source} must give "
                f'"{segment.name}" as a list of str, not {value!r}.'
            )
        if not value and segment.kind == "catch_all":
            raise RouteError(
                f'generate_static_params() for route {route.source} gives an empty "{segment.name}"'
                f", but a catch-all needs at least one segment."
            )
        parts.extend(quote(v, safe="") for v in value)
    return "/" + "/".join(parts)


async def collect_body(body: Any) -> bytes:
    """A response body as bytes, reading a stream to its end (a cache keeps whole bodies)."""
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if hasattr(body, "__aiter__"):
        return b"".join([encode_chunk(chunk) async for chunk in body])
    loop = asyncio.get_running_loop()
    chunks = await loop.run_in_executor(None, list, body)  # a sync generator may block
    return b"".join(encode_chunk(chunk) for chunk in chunks)


class RouteCache:
    """Serves static routes from the app's cache; renders, coalesces and regenerates them."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._inflight: dict[str, asyncio.Future[tuple[CacheEntry | None, Response | None]]] = {}
        self._regenerating: set[str] = set()
        self._last_error: dict[str, str | None] = {}  # why a path's render was not cached

    # -- rendering ---------------------------------------------------------------------

    async def _render(
        self,
        route: Route,
        path: str,
        params: dict[str, Any],
        *,
        for_request: bool = False,
    ) -> tuple[CacheEntry | None, Response, Outcome]:
        """One render with build-time inputs; an entry only for a clean 2xx answer.

        Its ``after()`` callbacks join the request's when it renders `for_request` (a MISS:
        they run once that answer is sent); otherwise (prerender, regeneration) they run
        now, and only a failing one is logged.
        """
        # No headers, cookies or query; the app's origin, whoever's request led here.
        request = NextRequest("GET", self.app.origin + path)
        outcome = Outcome()
        asking = current_serving() if for_request else None
        # Data accessed while rendering goes to this app's cache and tags this entry.
        store = self.app.cache
        with (
            using_store(store),
            collecting_tags() as tags,
            collecting_invalidations(store) as p,
            serving(self.app) as state,
        ):
            response = await run_handler(route, route.handlers["GET"], request, params, outcome)
            body = await collect_body(response.body)
        response.body = body
        if asking is not None:
            asking.after.extend(state.after)
        elif state.after:
            await self._run_after(route, path, state.after, response.status)
        try:
            await flush(p)
        except CacheUnavailable as exc:
            outcome.error = f"CacheUnavailable: {exc}"
            response = Response(status=500)
        if outcome.error is not None or not 200 <= response.status < 300:
            return None, response, outcome
        headers = [
            (name, value)
            for name, value in response.headers.raw_items()
            if name.lower() not in ("date", "content-length")
        ]
        entry = CacheEntry(
            key=path,
            kind="route",
            body=body,
            status=response.status,
            headers=headers,
            route=route.source,
            revalidate=period(route) or False,
            tags=tuple(dict.fromkeys(tags)),
        )
        return entry, response, outcome

    async def _run_after(self, route: Route, path: str, callbacks: list[Any], status: int) -> None:
        lines: list[str] = []
        await self.app.after_tasks.run(callbacks, lines.append)
        failed = [line for line in lines if not line.startswith("after ")]
        if failed:
            self.app.log.append(
                LogEntry(
                    time=time.time(),
                    method="GET",
                    path=path,
                    route=route.source,
                    params={},
                    status=status,
                    duration_ms=0.0,
                    cache="PRERENDER",
                    error=failed[0].splitlines()[0],
                    after=lines,
                )
            )

    def _dynamic_usage(self, route: Route, outcome: Outcome) -> str | None:
        if route.config.dynamic == "force-static" or not outcome.dynamic_usage:
            return None
        return outcome.dynamic_usage[0]

    def _refusal(self, route: Route, api: str) -> RouteError:
        return RouteError(
            f'Route {route.pattern.url_path} with `dynamic = "error"` couldn\'t be rendered '
            f"statically because it used `{api}`."
        )

    async def static_params(self, route: Route) -> list[dict[str, Any]]:
        generate = route.generate_static_params
        if generate is None:
            return []
        try:
            listed = generate()
            if inspect.isawaitable(listed):
                listed = await listed
        except Exception as exc:  # the user's function: one clear line, nothing registered
            raise RouteError(
                f"generate_static_params() for route {route.source} raised "
                f"{type(exc).__name__}: {exc}. Nothing was registered."
            ) from exc
        if not isinstance(listed, (list, tuple)) or not all(isinstance(p, Mapping) for p in listed):
            raise RouteError(
                f"generate_static_params() for route {route.source} must return a list of "
                f"param dicts such as [{{'slug': 'a'}}], not {listed!r}."
            )
        return [dict(p) for p in listed]

    async def prerender(self, route: Route, progress: Progress | None = None) -> list[CacheEntry]:
        """The notebook's ``next build`` for one route: entries to install, or none.

        Sets ``route.bailout`` when a render under ``"auto"`` used a dynamic API;
        raises `RouteError` for a ``dynamic = "error"`` violation or a failed render.
        """
        if not is_static_candidate(route):
            return []
        listed = await self.static_params(route)
        route.static_paths = frozenset(build_path(route, p) for p in listed)
        if route.pattern.is_dynamic:
            todo = [(build_path(route, p), p) for p in listed]
        else:
            todo = [(build_path(route, {}), {})]
        entries = []
        for done, (path, params) in enumerate(todo, start=1):
            entry, _, outcome = await self._render(route, path, params)
            api = self._dynamic_usage(route, outcome)
            if api is not None:
                if route.config.dynamic == "error":
                    raise self._refusal(route, api)
                route.bailout = f"used `{api}` while prerendering"
                return []
            if entry is None:
                raise RouteError(
                    f"Prerendering {path} (route {route.source}) failed: "
                    f"{outcome.error or 'the handler answered ' + str(_.status)}. Nothing was "
                    f"registered; fix the handler or make the route dynamic "
                    f'(dynamic = "force-dynamic").'
                )
            entries.append(entry)
            if progress is not None:
                progress(done, len(todo))
        return entries

    # -- serving -----------------------------------------------------------------------

    def _answer(self, route: Route, entry: CacheEntry, state: str) -> Response:
        headers = [
            *entry.headers,
            ("x-nextjs-cache", state),
            ("Cache-Control", cache_control(route)),
        ]
        return Response(entry.body or None, status=entry.status, headers=headers)

    def answer_cached(self, route: Route, path: str, params: dict[str, Any]) -> Response | None:
        """The stored answer for `path` (HIT, or STALE while one regeneration starts), if any.

        Synchronous and request-free, so the server can answer a HIT before it builds a
        `NextRequest` at all; it must run on the server's loop (a STALE schedules a task).
        """
        entry = self.app.cache.get(path)
        if entry is None or entry.route != route.source:
            return None
        return self._serve_entry(route, path, params, entry)

    def _serve_entry(
        self, route: Route, path: str, params: dict[str, Any], entry: CacheEntry
    ) -> Response:
        state = "HIT"
        if entry.stale:  # by age, or a tag's profile marked it (`stale_by_tag`)
            state = "STALE"
            self._regenerate_in_background(route, path, params)
        return self._answer(route, entry, state)

    async def serve(
        self,
        route: Route,
        path: str,
        params: dict[str, Any],
        request: NextRequest,
        outcome: Outcome,
    ) -> Response:
        """Answer a GET/HEAD of a static route: HIT, STALE (and regenerate) or MISS."""
        cached = self.answer_cached(route, path, params)
        if cached is not None:
            outcome.cache = cached.headers.get("x-nextjs-cache")
            return cached

        if route.pattern.is_dynamic and not route.config.dynamic_params:
            if route.static_paths is None:
                listed = await self.static_params(route)
                route.static_paths = frozenset(build_path(route, p) for p in listed)
            if path not in route.static_paths:
                return not_found_page()  # as for a path no route matches

        # Not here: another process sharing the cache may have rendered it.
        shared = await self.app.cache.aget(path)
        if shared is not None and shared.route == route.source:
            served = self._serve_entry(route, path, params, shared)
            outcome.cache = served.headers.get("x-nextjs-cache")
            return served

        entry, response = await self._render_once(route, path, params)
        if route.bailout is not None:  # the render used a dynamic API: answer as a dynamic route
            return await run_handler(route, route.handlers["GET"], request, params, outcome)
        if entry is None:
            assert response is not None  # no entry: this process rendered, and failed
            outcome.error = self._last_error.get(path)
            return Response(response.body or None, status=response.status, headers=response.headers)
        outcome.cache = "MISS"
        return self._answer(route, entry, "MISS")

    async def _render_once(
        self, route: Route, path: str, params: dict[str, Any]
    ) -> tuple[CacheEntry | None, Response | None]:
        """Concurrent requests for a path with no entry run the handler once (coalescing).

        In this process by a shared future; across processes by the store's lock
        ``render:<path>``: its holder renders, the others wait for its entry (and render
        themselves if it gives up without one, or Redis does not answer).
        """
        pending = self._inflight.get(path)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[tuple[CacheEntry | None, Response | None]] = (
            asyncio.get_running_loop().create_future()
        )
        self._inflight[path] = future
        try:
            result = await self._render_shared(route, path, params)
            future.set_result(result)
            return result
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: nobody else may be waiting
            raise
        finally:
            del self._inflight[path]

    async def _render_shared(
        self, route: Route, path: str, params: dict[str, Any]
    ) -> tuple[CacheEntry | None, Response | None]:
        store = self.app.cache
        lock = "render:" + path
        token = await store.alock(lock, LOCK_TTL_S)
        if token is None:  # another process renders it: wait for its entry
            entry = await store.await_entry(path, lock, RENDER_WAIT_S)
            if entry is not None and entry.route == route.source and not entry.stale:
                return entry, None
            token = await store.alock(lock, LOCK_TTL_S)
        try:
            if token is not None:  # a render may have finished between our miss and the lock
                done = await store.aget(path, shared=True)
                if done is not None and done.route == route.source and not done.stale:
                    return done, None
            return await self._render_and_keep(route, path, params)
        finally:
            if token is not None:
                await store.aunlock(lock, token)

    async def _render_and_keep(
        self, route: Route, path: str, params: dict[str, Any]
    ) -> tuple[CacheEntry | None, Response]:
        entry, response, outcome = await self._render(route, path, params, for_request=True)
        api = self._dynamic_usage(route, outcome)
        if api is not None:
            if route.config.dynamic == "error":
                entry, response = None, Response(str(self._refusal(route, api)), status=500)
                self._last_error[path] = str(self._refusal(route, api))
            else:
                route.bailout = f"used `{api}`"
                entry = None
        elif entry is not None:
            await self.app.cache.aset(entry)
        else:
            self._last_error[path] = outcome.error
        return entry, response

    def _regenerate_in_background(self, route: Route, path: str, params: dict[str, Any]) -> None:
        if path in self._regenerating:
            return  # exactly one regeneration per path at a time
        self._regenerating.add(path)
        asyncio.ensure_future(self._regenerate(route, path, params))

    async def _regenerate(self, route: Route, path: str, params: dict[str, Any]) -> None:
        """One regeneration across every process sharing the cache (lock ``regen:<path>``)."""
        store = self.app.cache
        lock = "regen:" + path
        token = None
        try:
            token = await store.alock(lock, LOCK_TTL_S)
            if token is None:
                return  # another process regenerates it; this one answers STALE meanwhile
            # It may have just finished: its fresh entry is in the shared tier.
            current = await store.aget(path, shared=True)
            if current is not None and not current.stale:
                return
            with revalidating():
                entry, response, outcome = await self._render(route, path, params)
            if entry is not None and self.app.get(route.source) is route:
                await store.aset(entry)
                return
            # A failed regeneration keeps serving the last good body; the log says why.
            self.app.log.append(
                LogEntry(
                    time=time.time(),
                    method="GET",
                    path=path,
                    route=route.source,
                    params=params,
                    status=response.status,
                    duration_ms=0.0,
                    cache="REVALIDATE",
                    error=f"Regenerating {path} failed, still serving the last good body: "
                    f"{outcome.error or 'status ' + str(response.status)}",
                    traceback=outcome.traceback,
                )
            )
        finally:
            self._regenerating.discard(path)
            if token is not None:
                await store.aunlock(lock, token)
