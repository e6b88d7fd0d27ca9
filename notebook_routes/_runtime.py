"""The default `App` and its server: what the notebook functions act on.

`start()` binds the server (once); `server()` returns it, starting it if needed.
The port comes from `port=`, else ``NOTEBOOK_ROUTES_PORT``, else 3000 when it is free and
the next free one after it otherwise (what ``next dev`` does), so links written in a
notebook survive a kernel restart.
The server (tornado) and the client are imported when first used, so importing
this module starts nothing.
"""

from __future__ import annotations

import atexit
import errno
import os
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from notebook_routes._app import App
from notebook_routes.cache._data import current_store, set_default_store
from notebook_routes.cache._handler import cache_handler as make_store
from notebook_routes.cache._handler import cache_url_from_env
from notebook_routes.cache._invalidate import expire_tag_now, invalidate_path, invalidate_tag
from notebook_routes.web._scope import current_serving

if TYPE_CHECKING:
    from notebook_routes._client import ClientResponse, HeadersInit
    from notebook_routes._route import Route
    from notebook_routes._server import Server

_app = App()
set_default_store(_app.cache)  # cached() and fetch() outside a request use the default app's
_server: Server | None = None
# The port of the last server stopped: starting again (``%reload_ext notebook_routes``
# stops and starts it) binds the same one, so every printed link keeps working.
_kept_port = 0
_lock = threading.Lock()
# Kernel shutdown ends the process; stopping first closes connections cleanly.
atexit.register(lambda: stop())


def default_app() -> App:
    """The `App` that `%%route` cells and the module functions register into."""
    return _app


FIRST_PORT = 3000  # `next dev`'s
PORT_TRIES = 100  # 3000-3099, then any free port


def _port_from_env() -> int | None:
    value = os.environ.get("NOTEBOOK_ROUTES_PORT", "").strip()
    if not value:
        return None
    if not value.isdigit() or not 0 <= int(value) <= 65535:
        raise ValueError(f"NOTEBOOK_ROUTES_PORT must be a port number, not {value!r}")
    return int(value)


def start(
    host: str = "127.0.0.1",
    port: int | None = None,
    *,
    token: str | None = None,
    max_body_size: int | None = None,
) -> Server:
    """Start the server for the default app (a no-op returning it if it is running)."""
    from notebook_routes._server import Server

    global _server
    with _lock:
        if _server is not None and _server.running:
            return _server
        options: dict[str, Any] = {}
        if max_body_size is not None:
            options["max_body_size"] = max_body_size
        chosen = _port_from_env() if port is None else port

        def make(number: int) -> Server:
            return Server(_app, host=host, port=number, token=token, **options)

        srv = None
        if not chosen and _kept_port:  # None (our choice) or 0 (any port): keep the last
            # A reload of the extension keeps its port, so printed links stay valid.
            try:
                srv = make(_kept_port).start()
            except OSError:
                srv = None  # taken meanwhile: choose as on a first start
        if srv is None and chosen is not None:
            srv = make(chosen).start()  # an explicit port wins, or fails saying why
        elif srv is None:
            srv = _start_near(FIRST_PORT, make)
            if srv.port != FIRST_PORT:
                print(f"port {FIRST_PORT} is in use, using {srv.port}")
        if srv.token_generated:
            # Not the token itself: cell output is saved in the .ipynb.
            print(
                f"notebook-routes: {srv.url} needs 'Authorization: Bearer <token>'; "
                "the token is notebook_routes.server().token"
            )
        _server = srv
        return srv


def _start_near(first: int, make: Any) -> Server:
    """A started server on `first`, else on the next free port (two kernels, two servers)."""
    for number in range(first, first + PORT_TRIES):
        try:
            return make(number).start()  # type: ignore[no-any-return]
        except OSError as exc:
            if exc.errno not in (errno.EADDRINUSE, errno.EACCES):
                raise
    return make(0).start()  # type: ignore[no-any-return]


def server() -> Server:
    """The running server, started on 127.0.0.1 if it is not running yet."""
    return running_server() or start()


def running_server() -> Server | None:
    """The running server, or None: for readers (the inspector) that must not start one."""
    srv = _server
    return srv if srv is not None and srv.running else None


def stop() -> None:
    """Stop the server and free its port; routes stay registered."""
    global _server, _kept_port
    with _lock:
        if _server is not None:
            if _server.port:
                _kept_port = _server.port
            _server.stop()
            _server = None


def remove(path: str) -> Route:
    """Delete the route registered at `path` (as written in its cell)."""
    return _app.remove(path)


def request(
    method: str,
    path: str,
    *,
    headers: HeadersInit = None,
    json: Any = None,
    data: Any = None,
    body: bytes | str | None = None,
    cookies: dict[str, str] | None = None,
) -> ClientResponse:
    """Send a real HTTP request to the server and return `.status`, `.headers`, `.text`, ...

    >>> r = request("GET", "/api/hello")     # doctest: +SKIP
    >>> r.status, r.json()                   # doctest: +SKIP
    (200, {'message': 'Hello World'})
    """
    from notebook_routes._client import check_target, send

    check_target(method, path)  # before the server starts: a bad call changes nothing
    srv = server()
    since = time.time()
    response = send(
        srv.url,
        method,
        path,
        headers=headers,
        json=json,
        data=data,
        body=body,
        cookies=cookies,
        token=srv.token,
    )
    explain(response, _app, method, path, since=since)
    return response


def explain(response: ClientResponse, app: App, method: str, path: str, *, since: float) -> None:
    """Give a failed answer the handler's `.error` and `.traceback` from `app`'s log."""
    if response.status < 400:
        return
    entry = app.log.answer_to(method.upper(), path, response.status, since=since)
    if entry is not None and entry.error:
        response.error, response.traceback = entry.error, entry.traceback


def acting_app() -> App:
    """The app serving the request being handled (`serve`, a `Server` of your own App ...),
    else the default app."""
    state = current_serving()
    return state.app if state is not None else _app


def configure(
    *,
    cache_handler: Any = None,
    cache_prefix: str | None = None,
    cache_max_memory_size: int | None = None,
) -> App:
    """Configure the default app (the kernel's), as next.config does for a Next.js app.

    ``cache_handler="redis://HOST:PORT/DB"`` shares its cache with every process using
    the same URL (and `cache_prefix`), such as a running ``notebook-routes serve DIR
    --cache redis://...``; ``"memory://"`` goes back to a cache in this process, bounded
    by `cache_max_memory_size` bytes (50 MB by default, Next.js's ``cacheMaxMemorySize``).
    The entries cached so far stay in the old store.

    >>> configure(cache_max_memory_size=10 * 2**20).cache.max_bytes   # doctest: +SKIP
    10485760
    """
    if cache_handler is None and cache_prefix is None and cache_max_memory_size is None:
        return _app
    store = make_store(
        cache_handler,
        prefix=cache_prefix,
        max_memory_bytes=cache_max_memory_size,
        from_env=cache_handler is None and cache_prefix is not None,
    )
    old, _app.cache = _app.cache, store
    set_default_store(store)
    close = getattr(old, "close", None)
    if close is not None and old is not store:
        close()
    return _app


def configure_from_env() -> None:
    """``%load_ext``: with ``NOTEBOOK_ROUTES_CACHE`` set, the kernel shares that cache."""
    url = cache_url_from_env()
    if url is not None and getattr(_app.cache, "url", None) != url:
        configure(cache_handler=url)


def revalidate_path(path: str) -> bool:
    """Invalidate the cached answer for `path`: the next request, in any process sharing
    the cache, renders anew. In a handler it acts on that handler's app."""
    return invalidate_path(current_store(), path)


def revalidate_tag(tag: str, profile: str | Mapping[str, float] | None = None) -> list[str]:
    """Invalidate every cached route answer and data entry tagged `tag` (in a handler: its
    app's cache; elsewhere the default app's). Returns the keys this process held.

    ``profile="max"`` (or another cache-life profile: default, seconds, minutes, hours,
    days, weeks) serves them STALE once while one regeneration runs, as Next.js 16 does;
    ``{"expire": 0}`` drops them (the next request is a MISS). Without a profile they are
    dropped too, with Next.js's deprecation warning, once per call site.

    >>> revalidate_tag("posts", "max")   # doctest: +SKIP
    ['/posts']
    """
    return invalidate_tag(current_store(), tag, profile, caller_depth=2)


def update_tag(tag: str) -> list[str]:
    """Expire every entry tagged `tag` at once (the next request is a MISS).

    For a cell: in a route handler Next.js refuses it (only a Server Action may), so the
    request gets a 500 and the log says to use `revalidate_tag` instead.
    """
    return expire_tag_now(current_store(), tag)
