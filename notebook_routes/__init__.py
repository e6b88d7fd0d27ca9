"""notebook-routes: Next.js App Router route handlers, live in Jupyter.

In a notebook::

    %load_ext notebook_routes

    %%route GET /items/[slug]
    return Response.json({"slug": params["slug"]})

Outside one, the same objects make an `App` that `notebook-routes serve` can serve.
"""

from __future__ import annotations

from notebook_routes._app import App, Route
from notebook_routes._client import ClientResponse
from notebook_routes._config import SegmentConfig
from notebook_routes._fetch import FetchResponse, fetch
from notebook_routes._handlers import Params, RouteContext
from notebook_routes._runtime import (
    default_app,
    remove,
    request,
    revalidate_path,
    revalidate_tag,
    server,
    start,
    stop,
)
from notebook_routes._server import Server
from notebook_routes.cache import CacheEntry, FakeClock, MemoryCache, cached
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
    cookies,
    forbidden,
    headers,
    not_found,
    permanent_redirect,
    redirect,
    unauthorized,
)

__version__ = "0.1.0"


def load_ipython_extension(ipython: object) -> None:
    """``%load_ext notebook_routes``: register the magics (IPython is imported only now)."""
    from notebook_routes import _magics

    _magics.load(ipython)


def unload_ipython_extension(ipython: object) -> None:
    """``%unload_ext notebook_routes``: stop the server and free its port."""
    from notebook_routes import _magics

    _magics.unload(ipython)


def routes_table() -> object:
    """The default app's routes as a pandas DataFrame (SPEC §11 columns)."""
    from notebook_routes._tables import routes_table as table

    return table(default_app())


def request_log() -> object:
    """The default app's request log as a pandas DataFrame, oldest first."""
    from notebook_routes._tables import request_log as table

    return table(default_app())


def cache_table() -> object:
    """The default app's cache as a pandas DataFrame (path, route, state, age_s, ...)."""
    from notebook_routes._tables import cache_table as table

    return table(default_app())


def inspector() -> object:
    """The default app's inspector widget: Routes, Conflicts, Requests, Cache, Try it."""
    from notebook_routes._inspector import inspector as shared_inspector

    return shared_inspector()


def conflicts() -> object:
    """The default app's conflicts as a pandas DataFrame (level, message, routes)."""
    from notebook_routes._tables import conflicts_table

    return conflicts_table(default_app())


__all__ = [
    "App",
    "BadRequest",
    "CacheEntry",
    "ClientResponse",
    "Conflict",
    "FakeClock",
    "FetchResponse",
    "FormData",
    "Headers",
    "Match",
    "MemoryCache",
    "NextRequest",
    "NextResponse",
    "Params",
    "Request",
    "Response",
    "Route",
    "RouteContext",
    "RouteError",
    "SegmentConfig",
    "Server",
    "UploadedFile",
    "cache_table",
    "cached",
    "conflicts",
    "cookies",
    "default_app",
    "fetch",
    "forbidden",
    "headers",
    "inspector",
    "load_ipython_extension",
    "not_found",
    "permanent_redirect",
    "redirect",
    "remove",
    "request",
    "request_log",
    "revalidate_path",
    "revalidate_tag",
    "routes_table",
    "server",
    "start",
    "stop",
    "unauthorized",
    "unload_ipython_extension",
]
