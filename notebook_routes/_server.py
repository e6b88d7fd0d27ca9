"""The embedded HTTP server: tornado on a thread of its own, with its own event loop.

It answers while a notebook cell is busy, because nothing it does runs on the kernel's
loop. ``async def`` handlers run on the server's loop; plain ``def`` handlers run in its
worker pool, so one slow handler does not stall the others.

The adapter is one `HTTPMessageDelegate` per request (no `RequestHandler`): headers
arrive -> a `NextRequest` whose body is fed as it arrives -> `App.handle` -> the
`Response` is written, streamed chunk by chunk when its body is an iterator.

>>> from notebook_routes import App
>>> srv = Server(App()).start()
>>> srv.url.startswith("http://127.0.0.1:")
True
>>> srv.stop()
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hmac
import ipaddress
import os
import re
import secrets
import socket
import threading
import time
import weakref
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from email.utils import formatdate
from typing import Any

from tornado import httputil
from tornado.httpserver import HTTPServer
from tornado.iostream import StreamClosedError
from tornado.netutil import bind_sockets

from notebook_routes._app import App
from notebook_routes._dispatch import dispatch_cached
from notebook_routes.web._headers import Headers
from notebook_routes.web._request import BodyStream, NextRequest
from notebook_routes.web._response import Response, encode_chunk

MiB = 1024 * 1024
DEFAULT_MAX_BODY_SIZE = 10 * MiB
DEFAULT_MAX_HEADER_SIZE = 64 * 1024  # tornado's own default; larger header blocks get 431
DEFAULT_WORKERS = 32
IDLE_TIMEOUT_S = 30.0


def is_loopback(host: str) -> bool:
    """>>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Server:
    """An HTTP server for one `App`, running on its own thread until `stop()`."""

    def __init__(
        self,
        app: App,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        max_header_size: int = DEFAULT_MAX_HEADER_SIZE,
        idle_timeout: float = IDLE_TIMEOUT_S,
        workers: int = DEFAULT_WORKERS,
        sockets: list[socket.socket] | None = None,
        debug: bool = False,
    ) -> None:
        if not isinstance(app, App):
            raise TypeError(f"app must be a notebook_routes.App, not {type(app).__name__}")
        if not isinstance(host, str) or not host:
            raise TypeError(f"host must be a non-empty str such as '127.0.0.1', not {host!r}")
        if type(workers) is not int or workers < 1:
            raise ValueError(
                f"workers must be an int >= 1 (threads for plain def handlers), not {workers!r}"
            )
        if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
            raise ValueError(f"port must be an int from 0 (any free port) to 65535, not {port!r}")
        if not isinstance(max_body_size, int) or max_body_size < 0:
            raise ValueError(f"max_body_size must be a number of bytes >= 0, not {max_body_size!r}")
        if type(max_header_size) is not int or max_header_size < 1:
            raise ValueError(
                f"max_header_size must be a number of bytes >= 1, not {max_header_size!r}"
            )
        if type(idle_timeout) not in (int, float) or not idle_timeout > 0:
            raise ValueError(f"idle_timeout must be a number of seconds > 0, not {idle_timeout!r}")
        if token is not None and (not isinstance(token, str) or not token):
            raise ValueError(
                "token must be a non-empty str: a server reachable from other machines "
                "answers only requests with 'Authorization: Bearer <token>'"
            )
        if debug and not is_loopback(host):
            raise ValueError(
                f"debug=True puts tracebacks in 500 bodies, so it serves only a loopback host "
                f"such as 127.0.0.1, not {host!r}"
            )
        self.app = app
        self.host = host
        self.debug = bool(debug)  # a failed handler's 500 carries its error and traceback
        self.token = token
        self.token_generated = False
        if token is None and not is_loopback(host):
            # Never serve a notebook's routes to the network without a token.
            self.token = secrets.token_urlsafe(24)
            self.token_generated = True
        self.max_body_size = max_body_size
        self.max_header_size = max_header_size
        # How long a connection may sit without sending a complete request head
        # (idle keep-alive, or a slow client trickling partial headers) before it is closed.
        self.idle_timeout = idle_timeout
        self.workers = workers
        self._requested_port = port
        self._sockets = sockets  # already bound (serve --workers binds before forking)
        self.port = 0
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._http: HTTPServer | None = None
        self._waiting: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()
        self._sweeper: asyncio.TimerHandle | None = None
        self._startup_error: BaseException | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> Server:
        """Bind the port and start serving; returns self once requests are being answered."""
        if self.running:
            return self
        ready = threading.Event()
        self._startup_error = None
        self._thread = threading.Thread(
            target=self._run, args=(ready,), name="notebook-routes-server", daemon=True
        )
        self._thread.start()
        ready.wait()
        if self._startup_error is not None:
            self._thread.join()
            error, self._startup_error = self._startup_error, None
            raise error
        return self

    def _run(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        executor = None
        try:
            executor = ThreadPoolExecutor(self.workers, thread_name_prefix="notebook-routes-worker")
            loop.set_default_executor(executor)
            loop.run_until_complete(self._listen())
        except BaseException as exc:  # port taken, bad host: reported by start()
            self._startup_error = exc
            ready.set()
            loop.close()
            if executor is not None:
                executor.shutdown(wait=False)
            return
        self._loop = loop
        ready.set()
        try:
            loop.run_forever()
        finally:
            for task in asyncio.all_tasks(loop):
                task.cancel()
            loop.run_until_complete(asyncio.sleep(0))
            executor.shutdown(wait=False, cancel_futures=True)
            loop.close()
            self._loop = None

    async def _listen(self) -> None:
        sockets = self._sockets or bind_sockets(
            self._requested_port, self.host, family=_family(self.host)
        )
        self._http = HTTPServer(
            _Connections(self),
            # Our own limit answers 413; tornado's (a 400) only stops absurd bodies.
            max_body_size=max(self.max_body_size * 2, MiB),
            # Likewise our limit answers 431; past tornado's the connection is just closed.
            max_header_size=max(self.max_header_size * 2, 64 * 1024),
            idle_connection_timeout=self.idle_timeout,
            body_timeout=self.idle_timeout,
        )
        # tornado would arm a timer for every request head (gen.with_timeout, ~7% of a
        # hello request's time); one sweep over the waiting connections does the same job.
        self._http.conn_params.header_timeout = None
        self._sweep()
        self._http.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]

    def _sweep(self) -> None:
        """Close connections that have waited longer than idle_timeout for a request head.

        A connection waits from the moment tornado asks for its next request (right after
        accept, or after the previous answer) until the whole head has arrived, so an idle
        keep-alive connection and a client trickling partial headers are both closed.
        """
        now = time.monotonic()
        for conn, since in list(self._waiting.items()):
            stream = conn.stream
            if stream.closed():
                self._waiting.pop(conn, None)
            elif now - since > self.idle_timeout:
                self._waiting.pop(conn, None)
                stream.close()
        interval = min(1.0, self.idle_timeout / 4)
        self._sweeper = asyncio.get_running_loop().call_later(interval, self._sweep)

    def stop(self) -> None:
        """Stop serving and free the port (idempotent)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
        try:
            future.result(timeout=5)
        except Exception:
            pass
        loop.call_soon_threadsafe(loop.stop)
        if thread is not threading.current_thread():
            thread.join(timeout=10)
        self._thread = None

    async def _shutdown(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
        if self._http is not None:
            self._http.stop()
            try:
                await asyncio.wait_for(self._http.close_all_connections(), 2)
            except asyncio.TimeoutError:
                pass

    def submit(self, coroutine: Any) -> concurrent.futures.Future[Any]:
        """Run `coroutine` on the server's loop (from another thread); returns its future."""
        loop = self._loop
        if loop is None:
            coroutine.close()
            raise RuntimeError("the server is not running; call start() first")
        return asyncio.run_coroutine_threadsafe(coroutine, loop)

    @property
    def running(self) -> bool:
        return self._loop is not None and self._thread is not None and self._thread.is_alive()

    # -- addresses ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def public_url(self, path: str = "/") -> str:
        """A URL for `path` that works from the user's browser.

        Behind JupyterHub/Binder (``JUPYTERHUB_SERVICE_PREFIX`` set) that is the
        jupyter-server-proxy form ``{prefix}proxy/{port}{path}``; locally the direct URL.
        """
        if not path.startswith("/"):
            path = "/" + path
        prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX")
        if prefix:
            return f"{prefix.rstrip('/')}/proxy/{self.port}{path}"
        return self.url + path

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"Server(url={self.url!r}, {state})"


def _family(host: str) -> socket.AddressFamily:
    if host in ("localhost", "127.0.0.1") or host.startswith("127."):
        return socket.AF_INET
    return socket.AF_UNSPEC


class _Connections(httputil.HTTPServerConnectionDelegate):
    def __init__(self, server: Server) -> None:
        self.server = server

    def start_request(
        self, server_conn: object, request_conn: httputil.HTTPConnection
    ) -> httputil.HTTPMessageDelegate:
        # tornado now waits for this connection's next request head: the sweep's clock starts.
        self.server._waiting[request_conn] = time.monotonic()
        return _Exchange(self.server, request_conn)


class _Exchange(httputil.HTTPMessageDelegate):
    """One request/response on a connection."""

    def __init__(self, server: Server, conn: Any) -> None:
        self.server = server
        self.conn = conn
        self.body: BodyStream | None = None
        self.received = 0
        self.read_done: asyncio.Future[None] | None = None
        self.task: asyncio.Future[None] | None = None
        self.streaming = False
        self.closed = False
        self.too_large = False
        self.cached: Response | None = None  # a cache HIT, answered in finish()

    def headers_received(
        self,
        start_line: httputil.RequestStartLine | httputil.ResponseStartLine,
        headers: httputil.HTTPHeaders,
    ) -> Any:
        assert isinstance(start_line, httputil.RequestStartLine)  # we are the server side
        server = self.server
        server._waiting.pop(self.conn, None)  # the head is in: no longer idle
        if len(start_line.path) > server.max_header_size:
            return self._refuse(414)
        if _header_bytes(headers) > server.max_header_size:
            return self._refuse(431)
        if server.token is not None and not _authorized(headers, server.token):
            return self._refuse(401, {"WWW-Authenticate": 'Bearer realm="notebook-routes"'})
        length = headers.get("Content-Length")
        if length is not None and length.isdigit() and int(length) > server.max_body_size:
            return self._refuse(413)
        target = start_line.path
        if not target.startswith("/"):
            return self._refuse(400)
        # The URL is built from the target; Host only names the authority, so it must be one
        # (a Host of "x/admin?" would otherwise move the path into the authority's place).
        host = headers.get("Host") or f"{server.host}:{server.port}"
        if not _AUTHORITY.match(host):
            return self._refuse(400)
        has_body = (length not in (None, "0")) or "Transfer-Encoding" in headers
        if not has_body and start_line.method in ("GET", "HEAD"):
            # A cache HIT is answered from the stored bytes, with no request object built.
            try:
                self.cached = dispatch_cached(
                    server.app, start_line.method, target, f"http://{host}", list(headers.get_all())
                )
            except Exception:  # a bug of ours: dispatch answers, and logs it
                self.cached = None
            if self.cached is not None:
                return None
        body = BodyStream() if has_body else BodyStream(b"")
        try:
            request = NextRequest(
                start_line.method,
                f"http://{host}{target}",
                headers=Headers._parsed(list(headers.get_all())),
                body=body,
            )
        except ValueError:  # a target urllib cannot take apart: the client's mistake
            return self._refuse(400)
        self.body = body
        loop = asyncio.get_running_loop()
        self.read_done = loop.create_future()
        self.task = asyncio.ensure_future(self._serve(request))
        return None

    def data_received(self, chunk: bytes) -> None:
        if self.too_large or self.body is None:
            return  # discard the rest; finish() answers 413
        self.received += len(chunk)
        if self.received > self.server.max_body_size:
            # A chunked body grew past the limit: stop the handler, answer 413 at the end.
            self.too_large = True
            self.body.fail(ValueError("request body too large"))
            if self.task is not None:
                self.task.cancel()
            return
        self.body.feed(chunk)

    def finish(self) -> None:
        if self.cached is not None:
            self._write_whole(self.cached)
            return
        if self.too_large:
            asyncio.ensure_future(
                self._write(Response(status=413, headers={"Connection": "close"}))
            )
            return
        if self.body is not None:
            self.body.finish()
        if self.read_done is not None and not self.read_done.done():
            self.read_done.set_result(None)

    def on_connection_close(self) -> None:
        self.closed = True
        self.server._waiting.pop(self.conn, None)
        if self.body is not None:
            self.body.fail(ConnectionError("the client closed the connection"))
        if self.read_done is not None and not self.read_done.done():
            self.read_done.set_result(None)
        if self.streaming and self.task is not None:
            self.task.cancel()  # closes the body generator at its current await

    async def _refuse(self, status: int, headers: dict[str, str] | None = None) -> None:
        """Answer before reading the body, then close (the body is not wanted)."""
        start = httputil.ResponseStartLine("HTTP/1.1", status, httputil.responses.get(status, ""))
        out = httputil.HTTPHeaders(headers or {})
        out["Content-Length"] = "0"
        out["Connection"] = "close"
        out["Date"] = formatdate(usegmt=True)
        try:
            await self.conn.write_headers(start, out)
        except StreamClosedError:
            pass
        stream = self.conn.detach()  # so tornado neither reads the body nor adds a 400
        stream.close()

    async def _serve(self, request: NextRequest) -> None:
        response = await self.server.app.handle(request, debug=self.server.debug)
        assert self.read_done is not None
        await self.read_done  # answer once the request body is in (HTTP/1.1 framing)
        if self.closed:
            await _close_body(response.body)
            return
        await self._write(response)

    def _write_whole(self, response: Response) -> None:
        """Write a response whose body is bytes or None, in one go."""
        start, headers = _head(response)
        body = response.body
        status = response.status
        if status >= 200 and status not in (204, 304) and "Content-Length" not in headers:
            headers["Content-Length"] = str(len(body or b""))
        self.conn.write_headers(start, headers, body or None)
        self.conn.finish()

    async def _write(self, response: Response) -> None:
        conn = self.conn
        body = response.body
        if body is None or isinstance(body, bytes):
            self._write_whole(response)
            return
        start, headers = _head(response)
        self.streaming = True
        iterator = _chunks(body)
        try:
            await conn.write_headers(start, headers)
            async for chunk in iterator:
                if chunk:
                    await conn.write(chunk)
        except (StreamClosedError, asyncio.CancelledError):
            await _close_body(body)
            return
        except Exception:
            # The body failed mid-stream: the status is already sent, so end the
            # connection abruptly rather than pretend the body was complete.
            await _close_body(body)
            conn.close()
            return
        finally:
            self.streaming = False
        conn.finish()


def _head(response: Response) -> tuple[httputil.ResponseStartLine, httputil.HTTPHeaders]:
    status = response.status
    start = httputil.ResponseStartLine("HTTP/1.1", status, httputil.responses.get(status, ""))
    headers = httputil.HTTPHeaders()
    for name, value in response.headers.raw_items():
        headers.add(name, value)
    if "Date" not in headers:
        headers["Date"] = _http_date()
    return start, headers


_date_cache: tuple[int, str] = (0, "")


def _http_date() -> str:
    """The Date header, formatted once a second rather than once a request."""
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, formatdate(now, usegmt=True))
    return _date_cache[1]


# RFC 3986 authority without userinfo: reg-name or IPv4, or an IP literal in brackets; a port.
_AUTHORITY = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~%!$&'()*+,;=-]+)(?::[0-9]*)?\Z")


def _header_bytes(headers: httputil.HTTPHeaders) -> int:
    """The size of the header fields as sent: ``Name: value\\r\\n`` each."""
    return sum(len(name) + len(value) + 4 for name, value in headers.get_all())


def _authorized(headers: httputil.HTTPHeaders, token: str) -> bool:
    given = headers.get("Authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(value.strip().encode(), token.encode())


async def _chunks(body: Any) -> AsyncIterator[bytes]:
    """The chunks of a streamed body; a blocking sync generator runs in the worker pool."""
    if hasattr(body, "__aiter__"):
        async for chunk in body:
            yield encode_chunk(chunk)
        return
    if isinstance(body, (list, tuple)):
        for chunk in body:
            yield encode_chunk(chunk)
        return
    iterator = iter(body)
    loop = asyncio.get_running_loop()
    done = object()
    while True:
        chunk = await loop.run_in_executor(None, next, iterator, done)
        if chunk is done:
            return
        yield encode_chunk(chunk)


async def _close_body(body: Any) -> None:
    """Close a generator body so its ``finally`` blocks run."""
    try:
        if hasattr(body, "aclose"):
            await body.aclose()
        elif hasattr(body, "close") and not isinstance(body, (bytes, str)):
            body.close()
    except Exception:
        pass
