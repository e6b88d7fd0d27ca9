"""notebook-routes: Next.js App Router route handlers, live in Jupyter.

In a notebook::

    %load_ext notebook_routes

    %%route GET /items/[slug]
    return Response.json({"slug": params["slug"]})

Outside one, the same objects make an `App` that `notebook-routes serve` can serve.
"""

from __future__ import annotations

# Loaded before `def inspector` below: importing a submodule sets the parent's attribute
# of that name, which would otherwise replace the function with the package.
from notebook_routes import inspector as _inspector_package  # noqa: F401
from notebook_routes.app import App, Route
from notebook_routes.cache import CacheEntry, FakeClock, MemoryCache, cached
from notebook_routes.client import ClientResponse
from notebook_routes.config import SegmentConfig
from notebook_routes.fetch import FetchResponse, fetch
from notebook_routes.handlers import Params, RouteContext
from notebook_routes.routing import Conflict, Match, RouteError
from notebook_routes.runtime import (
    default_app,
    remove,
    request,
    revalidate_path,
    revalidate_tag,
    server,
    start,
    stop,
)
from notebook_routes.server import Server
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
    from notebook_routes import magics

    magics.load(ipython)


def unload_ipython_extension(ipython: object) -> None:
    """``%unload_ext notebook_routes``: stop the server and free its port."""
    from notebook_routes import magics

    magics.unload(ipython)


def routes_table() -> object:
    """The default app's routes as a pandas DataFrame (SPEC §11 columns)."""
    from notebook_routes.tables import routes_table as table

    return table(default_app())


def request_log() -> object:
    """The default app's request log as a pandas DataFrame, oldest first."""
    from notebook_routes.tables import request_log as table

    return table(default_app())


def cache_table() -> object:
    """The default app's cache as a pandas DataFrame (path, route, state, age_s, ...)."""
    from notebook_routes.tables import cache_table as table

    return table(default_app())


def inspector() -> object:
    """The default app's inspector widget: Routes, Conflicts, Requests, Cache, Try it."""
    from notebook_routes.inspector import inspector as shared_inspector

    return shared_inspector()


def conflicts() -> object:
    """The default app's conflicts as a pandas DataFrame (level, message, routes)."""
    from notebook_routes.tables import conflicts_table

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
