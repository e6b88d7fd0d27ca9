"""Dispatch: one `NextRequest` in, one `Response` out, by the rules of Next.js route handlers.

The order of the rules, as Next.js applies them to a request for a route handler:

1. a path with a trailing slash, ``//`` or a dot segment -> 308 to the normalised path;
2. no route matches -> 404;
3. the route is in an error-level conflict -> 500 whose body is the conflict's message;
4. the method: the route's own handler; HEAD from GET without a body; an automatic
   OPTIONS (204 + Allow); anything else 405 + Allow;
5. the handler runs inside a request scope (`cookies()`, `headers()`, `redirect()` ...),
   and whatever it returns or raises becomes the answer: nothing here raises.

Every answer is written to the app's request log.
"""

from __future__ import annotations

import asyncio
import time
import traceback
from typing import TYPE_CHECKING, Any

from notebook_routes._handlers import Outcome, run_handler
from notebook_routes._log import LogEntry
from notebook_routes._rendering import NOT_FOUND_TEXT
from notebook_routes._route import Route
from notebook_routes.cache._data import using_store
from notebook_routes.cache._invalidate import collecting_invalidations, flush
from notebook_routes.cache._store import CacheUnavailable
from notebook_routes.routing import normalize_request_path
from notebook_routes.web._request import NextRequest
from notebook_routes.web._response import Response, encode_chunk

if TYPE_CHECKING:
    from notebook_routes._app import App


async def dispatch(app: App, request: NextRequest) -> Response:
    """Answer `request` with a `Response`; every failure becomes a status, never an exception."""
    arrived = time.time()
    started = time.perf_counter()
    outcome = Outcome()
    try:
        # fetch() and cached() in handlers use this app's cache; revalidate_path/_tag in an
        # async handler are recorded in a shared cache before the response goes out.
        with using_store(app.cache), collecting_invalidations(app.cache) as invalidations:
            response = await _respond(app, request, outcome)
        if invalidations.items:
            try:
                await flush(invalidations)
            except CacheUnavailable as exc:  # never pretend the others were told
                response = Response(status=500)
                outcome.error = f"CacheUnavailable: {exc}"
    except Exception as exc:  # a bug of ours: still answer, and say so in the log
        response = Response(status=500)
        outcome.error = f"notebook-routes failed to answer: {type(exc).__name__}: {exc}"
        outcome.traceback = traceback.format_exc()
    if request.method == "HEAD":
        _drop_body(response)
    entry = _record(
        outcome.route,
        response,
        arrived=arrived,
        started=started,
        method=request.method,
        path=request.next_url.pathname,
        request_headers=request.headers.raw_items(),
        outcome=outcome,
    )
    if response.body is not None and not isinstance(response.body, (bytes, str)):
        response.body = _watched(response.body, entry, outcome.route)
    app.log.append(entry)
    return response


def _record(
    route: Route | None,
    response: Response,
    *,
    arrived: float,
    started: float,
    method: str,
    path: str,
    request_headers: list[tuple[str, str]],
    outcome: Outcome,
) -> LogEntry:
    """Count the request on its route and make its log entry."""
    if route is not None:
        route.hits += 1
        if response.status >= 500:
            route.errors += 1
    return LogEntry(
        time=arrived,
        method=method,
        path=path,
        route=route.source if route else None,
        params=outcome.params,
        status=response.status,
        duration_ms=(time.perf_counter() - started) * 1000.0,
        cache=outcome.cache,
        error=outcome.error,
        traceback=outcome.traceback,
        request_headers=request_headers,
        response_headers=response.headers.raw_items(),
    )


def _stream_failed(entry: LogEntry, route: Route | None, exc: BaseException) -> None:
    """The status is already sent; the log entry (and the route's errors) say what broke."""
    entry.error = f"the response body failed while streaming: {type(exc).__name__}: {exc}"
    entry.traceback = traceback.format_exc()
    if route is not None:
        route.errors += 1


def _watched(body: Any, entry: LogEntry, route: Route | None) -> Any:
    """`body`, streamed as it is, noting in `entry` an exception or a chunk of a wrong type.

    A sync iterator stays sync (the server runs it on the worker pool) and an async one
    async; closing the wrapper closes `body`, so a disconnect still runs its ``finally``.
    """
    if isinstance(body, (list, tuple)):
        return body  # chunks already made: the server checks their types as it writes
    if hasattr(body, "__aiter__"):

        async def watched_async() -> Any:
            try:
                async for chunk in body:
                    yield encode_chunk(chunk)
            except Exception as exc:
                _stream_failed(entry, route, exc)
                raise
            finally:
                close = getattr(body, "aclose", None)
                if close is not None:
                    await close()

        return watched_async()

    def watched() -> Any:
        try:
            for chunk in body:
                yield encode_chunk(chunk)
        except Exception as exc:
            _stream_failed(entry, route, exc)
            raise
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    return watched()


def dispatch_cached(
    app: App, method: str, target: str, origin: str, request_headers: list[tuple[str, str]]
) -> Response | None:
    """Answer a GET/HEAD from the cache without building a `NextRequest`, or return None.

    The same answer `dispatch` would give for a static route whose path has an entry, with
    the same log entry; anything else (no entry, a path to normalise, a conflict, a route
    with its own HEAD) returns None and goes through `dispatch`. Skipping the request
    object, the task and the request scope is what makes a cache HIT pay
    (benchmarks/bench_cache.py). Runs on the server's loop.
    """
    arrived = time.time()
    started = time.perf_counter()
    path = target.split("?", 1)[0]
    if path not in app.cache:
        return None  # keys are normalised paths: a path to redirect is never one
    match = app.match(path)
    if match is None:
        return None
    route = match.value
    if route.rendering == "dynamic" or (method == "HEAD" and "HEAD" in route.handlers):
        return None
    if app.conflicts_for(match.source):
        return None
    response = app.route_cache.answer_cached(route, path, match.params, origin)
    if response is None:
        return None
    if method == "HEAD":
        _drop_body(response)
    outcome = Outcome(route, match.params, cache=response.headers.get("x-nextjs-cache"))
    app.log.append(
        _record(
            route,
            response,
            arrived=arrived,
            started=started,
            method=method,
            path=path,
            request_headers=request_headers,
            outcome=outcome,
        )
    )
    return response


def _drop_body(response: Response) -> None:
    """HEAD answers with GET's status and headers only; a streamed body is closed unread."""
    body = response.body
    if isinstance(body, bytes) and "content-length" not in response.headers:
        response.headers.set("Content-Length", str(len(body)))
    close = getattr(body, "aclose", None) or getattr(body, "close", None)
    if close is not None and not isinstance(body, (bytes, str)):
        result = close()
        if asyncio.iscoroutine(result):
            asyncio.ensure_future(result)
    response.body = None


async def _respond(app: App, request: NextRequest, outcome: Outcome) -> Response:
    url = request.next_url
    path = url.pathname
    normalized = normalize_request_path(path)
    if normalized != path:
        return Response(status=308, headers={"Location": normalized + url.search})

    match = app.match(normalized)
    if match is None:
        return Response(NOT_FOUND_TEXT, status=404)
    route = match.value
    outcome.route = route
    outcome.params = match.params

    conflicts = app.conflicts_for(match.source)
    if conflicts:
        outcome.error = conflicts[0].message
        return Response(conflicts[0].message, status=500)

    handler = route.handlers.get(request.method)
    if handler is None and request.method == "HEAD":
        handler = route.handlers.get("GET")
    if handler is None:
        status = 204 if request.method == "OPTIONS" else 405
        return Response(status=status, headers={"Allow": route.allow})

    if handler is route.handlers.get("GET") and route.rendering != "dynamic":
        return await app.route_cache.serve(route, normalized, match.params, request, outcome)
    return await run_handler(route, handler, request, match.params, outcome)
