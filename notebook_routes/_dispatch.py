"""Dispatch: one `NextRequest` in, one `Response` out, by the rules of Next.js route handlers.

The order of the rules, as Next.js applies them to a request for a route handler:

1. a path with a trailing slash, ``//`` or a dot segment -> 308 to the normalised path;
2. the proxy, when its matcher selects the path (any method, also paths that then 404):
   an answer or a redirect is sent as is; a rewrite routes another path; next() carries
   on (its response headers go to the client and into the handler's request headers);
   a proxy that raises -> 500;
3. no route matches -> 404;
4. the route is in an error-level conflict -> 500 whose body is the conflict's message;
5. the method: the route's own handler; HEAD from GET without a body; an automatic
   OPTIONS (204 + Allow); anything else 405 + Allow;
6. a static GET is answered from the cache, unless the request is in draft mode;
7. the handler runs inside a request scope (`cookies()`, `headers()`, `redirect()` ...),
   and whatever it returns or raises becomes the answer: nothing here raises.

Every answer is written to the app's request log; the ``after()`` callbacks of the request
start once the answer is on its way (a streamed body: once it has been sent).
"""

from __future__ import annotations

import asyncio
import time
import traceback
from typing import TYPE_CHECKING, Any

from notebook_routes._handlers import Outcome, run_handler
from notebook_routes._log import LogEntry, note_bodies, note_chunk
from notebook_routes._not_found import not_found_page
from notebook_routes._proxy import (
    call_proxy,
    error_response,
    failure,
    handler_request,
    proxy_request,
    read_answer,
    redirect_response,
)
from notebook_routes._route import Route
from notebook_routes._tracebacks import user_traceback
from notebook_routes.cache._data import using_store
from notebook_routes.cache._invalidate import collecting_invalidations, flush
from notebook_routes.cache._store import CacheUnavailable
from notebook_routes.routing import normalize_request_path
from notebook_routes.web._context import PRERENDER_BYPASS, PREVIEW_DATA, NavigationSignal
from notebook_routes.web._headers import Headers
from notebook_routes.web._request import NextRequest
from notebook_routes.web._response import Response, encode_chunk
from notebook_routes.web._scope import serving

DRAFT_CACHE_CONTROL = "private, no-cache, no-store, max-age=0, must-revalidate"
# Next.js clears a draft-mode cookie that is not this build's (tryGetPreviewData).
CLEAR_DRAFT = [
    f"{name}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=None"
    for name in (PRERENDER_BYPASS, PREVIEW_DATA)
]

if TYPE_CHECKING:
    from notebook_routes._app import App


async def dispatch(app: App, request: NextRequest, *, debug: bool = False) -> Response:
    """Answer `request` with a `Response`; every failure becomes a status, never an exception.

    A failed handler's 500 has an empty body, as in Next.js; with `debug` (a loopback
    server's ``debug=True``) the body is the error and its traceback, as text/plain.
    """
    arrived = time.time()
    started = time.perf_counter()
    outcome = Outcome()
    # fetch(), cached(), revalidate_*(), draft_mode() and after() act on this app.
    with serving(app) as state:
        try:
            # revalidate_path/_tag in an async handler are recorded in a shared cache
            # before the response goes out.
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
    if debug and response.status >= 500 and outcome.error and not response.body:
        response = debug_response(response.status, outcome.error, outcome.traceback)
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
    note_bodies(entry, request, response)
    entry.proxy = outcome.proxy

    loop = asyncio.get_running_loop()

    def start_after() -> None:
        if not state.after:
            return
        if _running_loop() is loop:
            app.after_tasks.start(state.after, entry.after.append)
        else:  # a sync body ends on a worker thread
            loop.call_soon_threadsafe(app.after_tasks.start, state.after, entry.after.append)

    if response.body is not None and not isinstance(response.body, (bytes, str)):
        response.body = _watched(response.body, entry, outcome.route, start_after)
    else:
        start_after()  # the tasks' first step comes after the adapter has written the answer
    app.log.append(entry)
    return response


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def debug_response(status: int, error: str, trace: str | None) -> Response:
    """The debug mode's 500: the error, then the traceback trimmed to the user's frames.

    >>> debug_response(500, "ZeroDivisionError: division by zero", None).body
    b'ZeroDivisionError: division by zero\\n'
    """
    text = error + "\n" + (f"\n{trace}\n" if trace else "")
    return Response(text, status=status, headers={"Content-Type": "text/plain; charset=utf-8"})


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
    entry.traceback = user_traceback(exc)
    if route is not None:
        route.errors += 1


def _watched(body: Any, entry: LogEntry, route: Route | None, done: Any = None) -> Any:
    """`body`, streamed as it is, noting in `entry` an exception or a chunk of a wrong type.

    A sync iterator stays sync (the server runs it on the worker pool) and an async one
    async; closing the wrapper closes `body`, so a disconnect still runs its ``finally``.
    `done` is called once the body has been sent (or abandoned).
    """
    if isinstance(body, (list, tuple)):
        if done is not None:
            done()
        return body  # chunks already made: the server checks their types as it writes
    if hasattr(body, "__aiter__"):

        async def watched_async() -> Any:
            try:
                async for chunk in body:
                    chunk = encode_chunk(chunk)
                    note_chunk(entry, chunk)
                    yield chunk
            except Exception as exc:
                _stream_failed(entry, route, exc)
                raise
            finally:
                close = getattr(body, "aclose", None)
                if close is not None:
                    await close()
                if done is not None:
                    done()

        return watched_async()

    def watched() -> Any:
        try:
            for chunk in body:
                chunk = encode_chunk(chunk)
                note_chunk(entry, chunk)
                yield chunk
        except Exception as exc:
            _stream_failed(entry, route, exc)
            raise
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
            if done is not None:
                done()

    return watched()


def dispatch_cached(
    app: App, method: str, target: str, request_headers: list[tuple[str, str]]
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
    if app.proxy is not None:
        return None  # the proxy runs first
    for name, value in request_headers:
        if name.lower() == "cookie" and (PRERENDER_BYPASS in value or PREVIEW_DATA in value):
            return None  # draft mode, or a draft cookie to clear
    match = app.match(path)
    if match is None:
        return None
    route = match.value
    if route.rendering == "dynamic" or (method == "HEAD" and "HEAD" in route.handlers):
        return None
    if app.conflicts_for(match.source):
        return None
    response = app.route_cache.answer_cached(route, path, match.params)
    if response is None:
        return None
    if method == "HEAD":
        _drop_body(response)
    outcome = Outcome(route, match.params, cache=response.headers.get("x-nextjs-cache"))
    entry = _record(
        route,
        response,
        arrived=arrived,
        started=started,
        method=method,
        path=path,
        request_headers=request_headers,
        outcome=outcome,
    )
    note_bodies(entry, None, response)
    entry.query = target[len(path) :]
    app.log.append(entry)
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
        # Next.js adds Refresh so a client that ignores a 308 still goes there.
        target = normalized + url.search
        return Response(status=308, headers={"Location": target, "Refresh": f"0;url={target}"})

    proxy = app.proxy
    if proxy is None or not proxy.applies(request):
        return await _route(app, request, normalized, outcome)
    seen = proxy_request(request)
    try:
        step = read_answer(await call_proxy(proxy, seen), _origin(seen), _origin(request))
    except NavigationSignal as signal:  # redirect() / not_found() called in the proxy
        outcome.proxy = f"answered {signal.status}"
        return signal.to_response()
    except Exception as exc:
        outcome.error, outcome.traceback = failure(exc)
        outcome.proxy = f"raised {type(exc).__name__}: {exc}"
        return error_response()
    outcome.proxy = step.describe()
    if step.kind == "answer":
        return step.response
    if step.kind == "redirect":
        return redirect_response(step)
    target = normalized
    if step.kind == "rewrite":
        assert step.target is not None
        if not step.target.startswith("/"):
            outcome.error = (
                f"The proxy rewrote to {step.target}: a rewrite to another origin is not "
                f"supported; rewrite to a path of this app."
            )
            return Response(status=500)
        target = normalize_request_path(step.target.split("?", 1)[0].split("#", 1)[0])
    response = await _route(app, handler_request(request, step), target, outcome)
    return _with_headers(
        response, step.passed_headers(), step.response.headers.get("x-middleware-rewrite")
    )


def _origin(request: NextRequest) -> str:
    url = request.next_url
    return f"{url.protocol}//{url.host}"


def _with_headers(
    response: Response, passed: list[tuple[str, str]], rewrite: str | None
) -> Response:
    """The handler's response with the proxy's headers: the handler's win for a name they
    share, Set-Cookie from both (the proxy's first)."""
    own = response.headers.raw_items()
    names = {n.lower() for n, _ in own}
    headers = [(n, v) for n, v in passed if n.lower() == "set-cookie" or n.lower() not in names]
    if rewrite is not None:
        headers.append(("x-middleware-rewrite", rewrite))
    if headers:
        response.headers = Headers([*headers, *own])
    return response


def _draft_state(app: App, request: NextRequest) -> tuple[bool, bool]:
    """(draft mode on, cookies to clear): this app's bypass cookie and no preview data."""
    jar = request._cookie_jar()
    bypass, data = jar.get(PRERENDER_BYPASS), jar.get(PREVIEW_DATA)
    if bypass is None and data is None:
        return False, False
    if bypass is not None and data is None and bypass.value == app.draft_key:
        return True, False
    return False, True


async def _route(app: App, request: NextRequest, path: str, outcome: Outcome) -> Response:
    """Rules 3-7 for `path` (the request's, or the proxy's rewrite target)."""
    match = app.match(path)
    if match is None:
        return not_found_page()
    route = match.value
    outcome.route = route
    outcome.params = match.params
    draft, clear = _draft_state(app, request)
    response = await _answer(app, request, route, match.source, match.params, path, outcome, draft)
    if clear:
        for cookie in CLEAR_DRAFT:
            response.headers.append("Set-Cookie", cookie)
    return response


async def _answer(
    app: App,
    request: NextRequest,
    route: Route,
    source: str,
    params: dict[str, Any],
    path: str,
    outcome: Outcome,
    draft: bool,
) -> Response:
    conflicts = app.conflicts_for(source)
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
        if draft:  # a fresh answer per request; Next.js still says HIT (observed)
            response = await run_handler(route, handler, request, params, outcome)
            response.headers.set("x-nextjs-cache", "HIT")
            response.headers.set("Cache-Control", DRAFT_CACHE_CONTROL)
            outcome.cache = "DRAFT"
            return response
        return await app.route_cache.serve(route, path, params, request, outcome)
    return await run_handler(route, handler, request, params, outcome)
