"""notebook-routes: Next.js App Router route handlers, live in Jupyter.

In a notebook::

    %load_ext notebook_routes

    %%route GET /items/[slug]
    return Response.json({"slug": params["slug"]})

Outside one, the same objects make an `App` that `notebook-routes serve` can serve.

Architecture, bottom up: a module imports only modules listed before it (imports under
``TYPE_CHECKING`` aside; tests/test_architecture.py fails on any import cycle)::

    routing/_patterns.py   parse an App Router PATH into a RoutePattern
    routing/_paths.py      normalise a request path (what a 308 redirects to)
    routing/_conflicts.py  Conflict and the rules that find one between two routes
    routing/_table.py      RouteTable: match in Next.js precedence (Match), conflicts kept
    web/_headers.py        Headers (Fetch API)
    web/_formdata.py       form bodies: FormData, UploadedFile
    web/_cookies.py        request and response cookie jars, Set-Cookie
    web/_scope.py          the request scope: ContextVar, RequestScope, worker-thread helpers
    web/_request.py        Request and NextRequest (body readers, NextURL)
    web/_response.py       Response and NextResponse, coerce_response
    web/_context.py        cookies(), headers(), redirect(), connection(), draft_mode() ...
    _not_found.py          Next.js's not-found page (the 404 of an unmatched path)
    cache/_tags.py         tag invalidation times; implicit path and route tags
    cache/_profiles.py     cache-life profiles; what revalidate_tag(t, profile) expires
    cache/_store.py        CacheEntry, the CacheStore interface, MemoryCache, the Clock protocol
    cache/_local.py        the bounded local tier of a shared store
    cache/_redis.py        RedisCache: one cache for every process and host
    cache/_handler.py      cache_handler(url): the store a URL names
    cache/_data.py         cached() and the current store of a request
    cache/_invalidate.py   revalidate_path/_tag on a store: at once, or queued in a request
    _config.py             segment config (dynamic, revalidate, max_duration ...)
    _compress.py           gzip/deflate as Next.js's compress: true negotiates it
    _guard.py              pure checks: body framing, Host names (DNS rebinding), connection cap
    _schema.py             type hints -> JSON Schema (TypedDict, dataclass, pydantic)
    web/_after.py          after(): callbacks run once the response is sent (AfterTasks)
    _extras.py             optional packages: require() names the extra that installs one
    _tracebacks.py         a handler's traceback trimmed to the user's frames, cells named
    _log.py                the request log (LogEntry, RequestLog)
    _handlers.py           how a handler is run: Handler, run_handler, Outcome, time limit
    _matchers.py           the proxy's matcher, as Next.js reads it (path-to-regexp 6)
    _proxy.py              the proxy: Proxy from a namespace, running it, what it answered
    _route.py              Route, METHODS, a namespace -> Route, the rendering policy
    _rendering.py          static/ISR: prerender, serve from the cache, regenerate
    _dispatch.py           one NextRequest -> one Response, by Next.js's rules, logged
    _openapi.py            the OpenAPI 3.1 document of an App's routes and traffic
    _api_docs.py           /_notebook_routes/openapi.json and /docs, answered by every server
    _app.py                App: routes + cache + log; add/remove/match/handle; no I/O
    _gate.py               the per-request rules both HTTP adapters share (head checks, body
                           budgets, cache-HIT fast path, refusal log, response head fields)
    _tables.py             the app as pandas DataFrames (pandas imported on use)
    _summary.py            the one-line summary of a route
    _client.py             request(): a real HTTP request from synchronous code
    _fetch.py              fetch(): Next.js's fetch with the data cache (tornado client)
    _accept.py             the accept loop: a connection cap and back-off instead of spinning
    _exchange.py           one request/response on a tornado connection, over _gate's rules
    _server.py             the tornado adapter, on its own thread and loop
    _runtime.py            the default App and its server (started on first use)
    _replay.py             replay a logged request; copy it as curl
    _har.py                the request log as HAR 1.2
    _testgen.py            chosen requests as a pytest file against `serve` of an app
    _devloop.py            openapi(), replay(), export_har(), export_tests() for the notebook
    _inspector/            the inspector: state.py (plain data), one module per tab
    _loader.py             an app/ folder of route.py files -> App
    _dev.py                notebook-routes dev: serve, and reload route.py files as they change
    _cell_source.py        what a %%route/%%page cell means: magic line, forms, body template
    _cells.py              a %%route cell's text -> handlers (no IPython)
    _magics.py             the IPython magics (%%route, %%page, %request ...)
    _export/               notebook -> app/ folder: read, replay, name analysis, render, write
    asgi.py                the ASGI face: create_app() for uvicorn, granian, hypercorn ...
    _servers.py            serve --server uvicorn|granian|hypercorn (the servers' own runners)
    _cli_devloop.py        notebook-routes dev|openapi
    _run.py, _cli.py       notebook-routes run|serve|export
    __init__.py            the public names; Server, fetch ... imported on first use
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from notebook_routes._app import App
from notebook_routes._config import SegmentConfig
from notebook_routes._devloop import export_har, export_tests, openapi, replay
from notebook_routes._handlers import Params, RouteContext
from notebook_routes._openapi import Body, Query
from notebook_routes._route import Route
from notebook_routes._runtime import (
    configure,
    default_app,
    remove,
    request,
    revalidate_path,
    revalidate_tag,
    server,
    start,
    stop,
    update_tag,
)
from notebook_routes.cache import CacheEntry, MemoryCache, cached
from notebook_routes.routing import Conflict, Match, RouteError
from notebook_routes.web import (
    BadRequest,
    FormData,
    Headers,
    NextRequest,
    NextResponse,
    Request,
    Response,
    UploadedFile,
    after,
    connection,
    cookies,
    draft_mode,
    forbidden,
    headers,
    not_found,
    permanent_redirect,
    redirect,
    unauthorized,
)

if TYPE_CHECKING:
    import pandas as pd

    from notebook_routes._client import ClientResponse
    from notebook_routes._fetch import FetchResponse, fetch
    from notebook_routes._server import Server

# Imported on first use (PEP 562), so that `import notebook_routes` loads no tornado
# server or HTTP client: the name -> the private module that defines it.
_LAZY = {
    "ClientResponse": "notebook_routes._client",
    "FetchResponse": "notebook_routes._fetch",
    "Server": "notebook_routes._server",
    "fetch": "notebook_routes._fetch",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'notebook_routes' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next lookup is a plain module attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__version__ = "0.1.0"


def load_ipython_extension(ipython: object) -> None:
    """``%load_ext notebook_routes``: register the magics (IPython is imported only now)."""
    from notebook_routes import _magics

    _magics.load(ipython)


def unload_ipython_extension(ipython: object) -> None:
    """``%unload_ext notebook_routes``: stop the server and free its port."""
    from notebook_routes import _magics

    _magics.unload(ipython)


def routes_table() -> pd.DataFrame:
    """The default app's routes: pattern, methods, rendering, revalidate, dynamic, params,
    cell, hits, errors, conflict."""
    from notebook_routes._tables import routes_table as table

    return table(default_app())


def requests_table() -> pd.DataFrame:
    """The default app's request log, oldest first: time, method, path, route, params,
    status, duration_ms, cache, error."""
    from notebook_routes._tables import requests_table as table

    return table(default_app())


def cache_table() -> pd.DataFrame:
    """The default app's cache: path, route, state, age_s, revalidate, hits, tags, size_bytes."""
    from notebook_routes._tables import cache_table as table

    return table(default_app())


def conflicts_table() -> pd.DataFrame:
    """The default app's conflicts: level, message, routes."""
    from notebook_routes._tables import conflicts_table as table

    return table(default_app())


# The names these tables had before they were named alike; they stay.
request_log = requests_table
conflicts = conflicts_table


def inspector() -> object:
    """The default app's inspector widget: Routes, Conflicts, Requests, Cache, Try it."""
    from notebook_routes._inspector import inspector as shared_inspector

    return shared_inspector()


__all__ = [
    "App",
    "BadRequest",
    "Body",
    "CacheEntry",
    "ClientResponse",
    "Conflict",
    "FetchResponse",
    "FormData",
    "Headers",
    "Match",
    "MemoryCache",
    "NextRequest",
    "NextResponse",
    "Params",
    "Query",
    "Request",
    "Response",
    "Route",
    "RouteContext",
    "RouteError",
    "SegmentConfig",
    "Server",
    "UploadedFile",
    "after",
    "cache_table",
    "cached",
    "configure",
    "conflicts",
    "conflicts_table",
    "connection",
    "cookies",
    "default_app",
    "draft_mode",
    "export_har",
    "export_tests",
    "fetch",
    "forbidden",
    "headers",
    "inspector",
    "load_ipython_extension",
    "not_found",
    "openapi",
    "permanent_redirect",
    "redirect",
    "remove",
    "replay",
    "request",
    "request_log",
    "requests_table",
    "revalidate_path",
    "revalidate_tag",
    "routes_table",
    "server",
    "start",
    "stop",
    "unauthorized",
    "unload_ipython_extension",
    "update_tag",
]
