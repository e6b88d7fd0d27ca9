"""The ASGI face of an app: the same routes on uvicorn, granian, hypercorn or gunicorn.

An exported ``app/`` folder (or any `App`) as an ASGI 3 application::

    NOTEBOOK_ROUTES_DIR=app uvicorn --factory notebook_routes.asgi:create_app --workers 4
    granian --interface asgi --factory notebook_routes.asgi:create_app
    hypercorn "notebook_routes.asgi:create_app()"
    gunicorn -k uvicorn_worker.UvicornWorker "notebook_routes.asgi:create_app()"

Each worker loads the routes and prerenders the static ones at its lifespan start-up (or on
its first request, when the server runs no lifespan, as inside a Starlette ``Mount``), and
at shutdown waits for the requests in flight and the background regenerations.

The rules are the tornado server's, from the same functions (`_gate`, `_dispatch`): the
same head checks (Host, bearer token, framing, 413), the same dispatch, cache-HIT path and
request log. This module only speaks ASGI: scope and headers in, ``http.response.*`` out,
a streamed body chunk by chunk (``more_body``), closed when the client disconnects.

>>> from notebook_routes import App
>>> app = App()
>>> route = app.add("/api/hello", {"GET": lambda: {"message": "Hello World"}})
>>> asgi = create_app(app)
>>> status, headers, body = asyncio.run(call(asgi, "GET", "/api/hello"))
>>> status, body
(200, b'{"message":"Hello World"}')
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from notebook_routes._app import App
from notebook_routes._gate import (
    DEFAULT_BODY_BUFFER,
    DEFAULT_MAX_BODY_SIZE,
    DEFAULT_MAX_HEADER_SIZE,
    DEFAULT_PENDING_BODIES,
    BodyTicket,
    Refusal,
    Wire,
    answer_from_cache,
    body_chunks,
    check_head,
    close_body,
    encoded_chunks,
    is_whole,
    log_refusal,
    refusal_fields,
    wire,
)
from notebook_routes._guard import allowed_hosts as configured_hosts
from notebook_routes._guard import is_loopback
from notebook_routes._loader import LoadProblem, load_app_folder_async, report_problems
from notebook_routes._log import LogEntry, capture_entries
from notebook_routes.cache._handler import cache_handler, cache_url_from_env
from notebook_routes.cache._store import CacheStore
from notebook_routes.web._headers import Headers
from notebook_routes.web._request import BodyStream, NextRequest
from notebook_routes.web._response import Response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

DIR_ENV = "NOTEBOOK_ROUTES_DIR"
TOKEN_ENV = "NOTEBOOK_ROUTES_TOKEN"
STRICT_ENV = "NOTEBOOK_ROUTES_STRICT"
COMPRESS_ENV = "NOTEBOOK_ROUTES_COMPRESS"
DEFAULT_DIR = "app"
DRAIN_TIMEOUT_S = 30.0  # at shutdown, how long requests in flight and regenerations may take
_ANY_HOST = frozenset({"*"})
_END = {"type": "http.response.body", "body": b"", "more_body": False}


def create_app(
    source: str | os.PathLike[str] | App | None = None,
    *,
    cache: str | CacheStore | None = None,
    token: str | None = None,
    allowed_hosts: Sequence[str] | None = None,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    strict: bool | None = None,
) -> ASGIApp:
    """An ASGI 3 application answering `source`: an ``app/`` folder of ``route.py`` files,
    or an `App`.

    With no `source`, the folder is ``NOTEBOOK_ROUTES_DIR`` (default ``./app``). `cache`
    is a store or a URL (``redis://HOST:PORT/DB``); by default ``NOTEBOOK_ROUTES_CACHE``,
    else each process keeps its own cache in memory. An `App` keeps its own cache.
    `token` (default ``NOTEBOOK_ROUTES_TOKEN``): answer only requests with
    ``Authorization: Bearer <token>``. On a loopback connection only loopback Host names are
    answered, plus `allowed_hosts` (default ``NOTEBOOK_ROUTES_ALLOWED_HOSTS``). `strict`
    (default ``NOTEBOOK_ROUTES_STRICT=1``): fail the start-up if a route file does not load
    or routes conflict.
    """
    return ASGIApp(
        source,
        cache=cache,
        token=token,
        allowed_hosts=allowed_hosts,
        max_body_size=max_body_size,
        strict=strict,
    )


class ASGIApp:
    """The ASGI application of one `App` (see `create_app`)."""

    def __init__(
        self,
        source: str | os.PathLike[str] | App | None,
        *,
        cache: str | CacheStore | None,
        token: str | None,
        allowed_hosts: Sequence[str] | None,
        max_body_size: int,
        strict: bool | None,
    ) -> None:
        if isinstance(source, App):
            if cache is not None:
                raise TypeError(
                    "an App keeps its own cache: pass App(cache=...) rather than "
                    "create_app(app, cache=...)"
                )
            self.app, self.folder = source, None
        else:
            if source is not None and not isinstance(source, (str, os.PathLike)):
                raise TypeError(
                    "source must be an app/ folder (a path) or a notebook_routes.App, "
                    f"not {type(source).__name__}"
                )
            folder = Path(source if source is not None else os.environ.get(DIR_ENV, DEFAULT_DIR))
            if not folder.is_dir():
                raise FileNotFoundError(
                    f"{folder} is not a folder; give the path of an app/ folder "
                    f"(create_app('app') or {DIR_ENV}=app)"
                )
            if cache is None or isinstance(cache, str):
                cache = cache_handler(cache or cache_url_from_env(), app_name=folder.name)
            self.app, self.folder = App(cache=cache), folder
        if token is None:
            token = os.environ.get(TOKEN_ENV) or None
        if token is not None and (not isinstance(token, str) or not token):
            raise ValueError(f"token must be a non-empty str, not {token!r}")
        if type(max_body_size) is not int or max_body_size < 0:
            raise ValueError(f"max_body_size must be a number of bytes >= 0, not {max_body_size!r}")
        self.token = token
        self.extra_hosts = configured_hosts(allowed_hosts)
        if os.environ.get("JUPYTERHUB_SERVICE_PREFIX"):
            self.extra_hosts = _ANY_HOST  # behind the hub's proxy, as the tornado server
        self.strict = strict if strict is not None else os.environ.get(STRICT_ENV) == "1"
        # The body budgets of `_gate.Policy`, per worker process.
        self.max_body_size = max_body_size
        # gzip for clients that accept it, as Next.js's `compress: true` (its default);
        # NOTEBOOK_ROUTES_COMPRESS=0 is `compress: false` (what `serve --no-compress` sets).
        self.compress = os.environ.get(COMPRESS_ENV, "1") != "0"
        self.max_header_size = DEFAULT_MAX_HEADER_SIZE
        self.max_body_buffer = max(DEFAULT_BODY_BUFFER, max_body_size)
        self.max_pending_bodies = DEFAULT_PENDING_BODIES
        self.buffered_body_bytes = 0
        self.pending_bodies = 0
        self.problems: list[LoadProblem] = []
        self.in_flight = 0
        self._loaded = self.folder is None
        self._loading: asyncio.Lock | None = None
        self._hosts_by_address: dict[str, frozenset[str]] = {}

    def __repr__(self) -> str:
        where = f"folder={str(self.folder)!r}" if self.folder is not None else repr(self.app)
        return f"ASGIApp({where})"

    # -- ASGI --------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            if not self._loaded:
                await self.load()
            self.in_flight += 1
            try:
                await self._http(scope, receive, send)
            finally:
                self.in_flight -= 1
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "websocket":  # route handlers answer HTTP only: refuse the handshake
            await receive()
            await send({"type": "websocket.close", "code": 1008})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.load()
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.drain()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def load(self) -> None:
        """Load the folder's routes and prerender the static ones (once per process)."""
        if self._loaded:
            return
        if self._loading is None:
            self._loading = asyncio.Lock()
        async with self._loading:
            if self._loaded:
                return
            assert self.folder is not None
            _, self.problems = await load_app_folder_async(self.folder, self.app)
            has_errors = report_problems(self.app, self.problems)
            if self.strict and has_errors:
                raise RuntimeError(
                    f"notebook-routes: not starting ({STRICT_ENV}=1): {self.folder} has "
                    "route files that do not load, or conflicting routes (see above)"
                )
            self._loaded = True

    async def drain(self, timeout: float = DRAIN_TIMEOUT_S) -> None:
        """Wait (up to `timeout` s) for requests in flight, background regenerations and
        pending ``after()`` callbacks."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        regenerating = getattr(self.app.route_cache, "_regenerating", ())
        while (self.in_flight or regenerating) and loop.time() < deadline:
            await asyncio.sleep(0.02)
        # after() callbacks still running: awaited, as the tornado server does when it stops.
        remaining = max(deadline - loop.time(), 0.0)
        try:
            await asyncio.wait_for(self.app.after_tasks.drain(), remaining)
        except asyncio.TimeoutError:
            pass

    # -- one request -------------------------------------------------------------------

    def _allowed_hosts(self, scope: Scope) -> frozenset[str]:
        """On a loopback connection, loopback names and the configured ones; else any.

        The connection's local address stands for the bind: a page in a browser on this
        machine reaches the server over loopback, whatever address it was told to bind.
        """
        server = scope.get("server")
        if not server or server[1] is None:  # a Unix socket: a proxy in front names the host
            return _ANY_HOST
        address = server[0]
        hosts = self._hosts_by_address.get(address)
        if hosts is None:
            hosts = self.extra_hosts if is_loopback(address) else _ANY_HOST
            if len(self._hosts_by_address) < 64:
                self._hosts_by_address[address] = hosts
        return hosts

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        method: str = scope["method"]
        root = scope.get("root_path", "")
        target = _target(scope, root)
        pairs = [
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]
        ]
        server = scope.get("server")
        default_host = f"{server[0]}:{server[1]}" if server and server[1] else "localhost"
        head = check_head(
            self,
            method,
            target,
            pairs,
            default_host,
            allowed_hosts=self._allowed_hosts(scope),
            http_version=scope.get("http_version", "1.1"),
        )
        if isinstance(head, Refusal):
            await self._refuse(send, method, target, head, pairs, [])
            return
        scheme = scope.get("scheme", "http")
        cached = answer_from_cache(self.app, method, target, pairs, head, scheme)
        if cached is not None:
            await _send_whole(send, self._wire(cached, method, pairs), root, cached.status)
            return
        ticket = BodyTicket(self)
        try:
            await self._exchange(scope, receive, send, method, target, pairs, head, ticket)
        finally:
            ticket.release()

    async def _exchange(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        method: str,
        target: str,
        pairs: list[tuple[str, str]],
        head: Any,
        ticket: BodyTicket,
    ) -> None:
        root = scope.get("root_path", "")
        if head.has_body:
            busy = ticket.reserve(head.size)
            if busy is not None:
                refusal = Refusal(503, busy, (("Retry-After", "1"),))
                await self._refuse(send, method, target, refusal, pairs, [])
                return
        body = BodyStream() if head.has_body else BodyStream(b"")
        try:
            request = NextRequest(
                method,
                f"{scope.get('scheme', 'http')}://{head.host}{target}",
                headers=Headers._parsed(pairs),
                body=body,
            )
        except ValueError:  # a target urllib cannot take apart: the client's mistake
            refusal = Refusal(400, "request target cannot be parsed")
            await self._refuse(send, method, target, refusal, pairs, [])
            return
        request.method = method  # case-sensitive (RFC 9110 §9.1): `get` is not GET
        if not head.has_body:  # the common case: no second task, nothing to read
            response = await self.app.handle(request)
            await self._answer(send, receive, response, root, self._wire(response, method, pairs))
            return
        reader = _BodyReader(self, receive, body, head.chunked, ticket)
        reading = asyncio.ensure_future(reader.run())
        logged: list[LogEntry] = []  # this request's log entries, once dispatched
        answering = asyncio.ensure_future(_handle(self.app, request, logged))
        await asyncio.wait([reading, answering], return_when=asyncio.FIRST_COMPLETED)
        if reader.refusal is not None:  # the body outgrew a limit while the handler ran
            answering.cancel()
            await asyncio.wait([answering])
            await self._refuse(send, method, target, reader.refusal, None, logged)
            return
        if not answering.done():
            await asyncio.wait([answering])
        response = answering.result()
        if not reading.done() and is_whole(response.body):
            # The route answered without reading the rest of the body: stop counting it and
            # answer now (the ASGI server drops the rest, or closes the connection).
            ticket.drop_bytes()
            reading.cancel()
            body.fail(ConnectionError("the route answered before the body arrived"))
        else:
            await asyncio.wait([reading])  # answer once the request body is in
            if reader.refusal is not None:
                await close_body(response.body)
                await self._refuse(send, method, target, reader.refusal, None, logged)
                return
            if reader.disconnected:
                await close_body(response.body)
                return
        await self._answer(send, receive, response, root, self._wire(response, method, pairs))

    def _wire(self, response: Response, method: str, pairs: list[tuple[str, str]]) -> Wire:
        accept = next((v for n, v in pairs if n.lower() == "accept-encoding"), None)
        return wire(response, method, accept, compress=self.compress, date=False)

    async def _answer(
        self, send: Send, receive: Receive, response: Response, root: str, out: Wire
    ) -> None:
        if is_whole(response.body):
            await _send_whole(send, out, root, response.status)
            return
        await send(_start(out, root, response.status))
        streaming = asyncio.ensure_future(_stream(send, response.body, out))
        watching = asyncio.ensure_future(_disconnected(receive))
        try:
            await asyncio.wait([streaming, watching], return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not streaming.done():  # the client went away: close the generator
                streaming.cancel()
                await asyncio.wait([streaming])
                await close_body(response.body)
            watching.cancel()

    async def _refuse(
        self,
        send: Send,
        method: str,
        target: str,
        refusal: Refusal,
        pairs: list[tuple[str, str]] | None,
        logged: list[LogEntry],
    ) -> None:
        log_refusal(self.app, method, target, refusal.status, refusal.reason, pairs, logged)
        fields, body = refusal_fields(refusal)
        await send(
            {
                "type": "http.response.start",
                "status": refusal.status,
                "headers": _encode(fields, drop_date=True),
            }
        )
        await send({"type": "http.response.body", "body": body})


class _BodyReader:
    """Feeds a request body from ``receive()`` as it arrives, counting it against the limits."""

    def __init__(
        self,
        policy: ASGIApp,
        receive: Receive,
        body: BodyStream,
        chunked: bool,
        ticket: BodyTicket,
    ) -> None:
        self.policy, self.receive, self.body = policy, receive, body
        self.chunked, self.ticket = chunked, ticket
        self.refusal: Refusal | None = None
        self.disconnected = False

    async def run(self) -> None:
        received = 0
        body = self.body
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                self.disconnected = True
                body.fail(ConnectionError("the client closed the connection"))
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.policy.max_body_size:  # a chunked body grew past the limit
                return self._refuse(413, "request body too large")
            if self.chunked and not self.ticket.grow(len(chunk)):
                return self._refuse(503, "request body buffer full")
            if chunk:
                body.feed(chunk)
            if not message.get("more_body", False):
                self.ticket.body_in()
                body.finish()
                return

    def _refuse(self, status: int, reason: str) -> None:
        self.refusal = Refusal(status, reason)
        self.ticket.release()
        self.body.fail(ValueError(reason))


async def _handle(app: App, request: NextRequest, logged: list[LogEntry]) -> Response:
    """`app.handle` in a task of its own, its log entries gathered into `logged`."""
    sink = capture_entries()  # in this task's context: this request's entries only
    try:
        return await app.handle(request)
    finally:
        logged[:] = sink


def _target(scope: Scope, root: str) -> str:
    """The request target as sent (``/path?query``), less the prefix the app is mounted at."""
    raw = scope.get("raw_path")
    if raw:
        path = raw.decode("latin-1").split("?", 1)[0]
    else:
        path = quote(scope["path"], safe="/:@!$&'()*+,;=-._~%")
    if root:
        prefix = quote(root, safe="/:@!$&'()*+,;=-._~")
        if path.startswith(prefix) and path[len(prefix) : len(prefix) + 1] in ("", "/", "?"):
            path = path[len(prefix) :] or "/"
    query = scope.get("query_string", b"")
    return f"{path}?{query.decode('latin-1')}" if query else path


def _encode(fields: list[tuple[str, str]], *, drop_date: bool = False) -> list[tuple[bytes, bytes]]:
    return [
        (name.encode("latin-1"), value.encode("latin-1"))
        for name, value in fields
        if not (drop_date and name == "Date")  # the ASGI server adds its own
    ]


def _start(out: Wire, root: str, status: int) -> Message:
    fields = out.fields
    if root and 300 <= status < 400:
        # Under a mount, a redirect to a path of this app keeps the mount's prefix.
        fields = [
            (name, root + value)
            if name.lower() == "location" and value.startswith("/") and not value.startswith("//")
            else (name, value)
            for name, value in fields
        ]
    return {"type": "http.response.start", "status": status, "headers": _encode(fields)}


async def _send_whole(send: Send, out: Wire, root: str, status: int) -> None:
    await send(_start(out, root, status))
    await send({"type": "http.response.body", "body": out.body or b""})


async def _stream(send: Send, body: Any, out: Wire) -> None:
    """Send a streamed body chunk by chunk; a body that fails midway is cut, not finished."""
    try:
        async for chunk in encoded_chunks(body_chunks(body), out.encoder):
            if chunk:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
    except asyncio.CancelledError:
        raise
    except Exception:
        # The status is already sent: end the response without its last chunk, so the
        # client sees a broken body rather than a complete one (the log says why).
        await close_body(body)
        return
    await send(_END)


async def _disconnected(receive: Receive) -> None:
    """Return when the client disconnects (what else arrives is the rest of the body)."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def call(
    app: ASGIApp,
    method: str,
    path: str,
    *,
    headers: Sequence[tuple[str, str]] = (("host", "localhost"),),
    body: bytes = b"",
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """One request straight into `app`, without a server: (status, headers, body)."""
    path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(n.encode("latin-1"), v.encode("latin-1")) for n, v in headers],
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 50000),
    }
    sent: list[Message] = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> Message:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # no disconnect: the call ends when the app returns
        raise AssertionError

    async def collect(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, collect)
    start = sent[0]
    return start["status"], start["headers"], b"".join(m.get("body", b"") for m in sent[1:])


__all__ = ["ASGIApp", "create_app"]
