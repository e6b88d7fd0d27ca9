"""The embedded HTTP server: tornado on a thread of its own, with its own event loop.

It answers while a notebook cell is busy, because nothing it does runs on the kernel's
loop. ``async def`` handlers run on the server's loop; plain ``def`` handlers run in its
worker pool, so one slow handler does not stall the others.

The server shares the kernel's process, so it must never take the kernel down: it
holds at most `connection_cap` connections (half of ``ulimit -n`` by default; at the cap
the longest-idle connection is closed first, `_accept`), bounds the request bodies it
buffers (`max_body_buffer`, `max_pending_bodies`) and closes clients that stop reading
(`write_timeout`). A plain ``def`` handler that takes the request starts on a worker only
once its body is in, so a slow client never holds a thread. The per-request adapter is
in `_exchange`.

>>> from notebook_routes import App
>>> srv = Server(App()).start()
>>> srv.url.startswith("http://127.0.0.1:")
True
>>> srv.stop()
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import secrets
import socket
import threading
import time
import weakref
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.iostream import IOStream
from tornado.netutil import bind_sockets

from notebook_routes._accept import Acceptor
from notebook_routes._app import App
from notebook_routes._exchange import LINGER_BYTES, Connections
from notebook_routes._gate import (
    DEFAULT_BODY_BUFFER,
    DEFAULT_MAX_BODY_SIZE,
    DEFAULT_MAX_HEADER_SIZE,
    DEFAULT_PENDING_BODIES,
)
from notebook_routes._guard import allowed_hosts, connection_cap, is_loopback

DEFAULT_WORKERS = 32
IDLE_TIMEOUT_S = 30.0
WRITE_TIMEOUT_S = 30.0
# Before a connection has carried a request with the token, it gets this long to send one.
UNAUTHENTICATED_HEAD_TIMEOUT_S = 5.0
AFTER_GRACE_S = 30.0  # how long stop() waits for pending after() callbacks


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
        max_connections: int | None = None,
        write_timeout: float = WRITE_TIMEOUT_S,
        max_body_buffer: int = DEFAULT_BODY_BUFFER,
        max_pending_bodies: int = DEFAULT_PENDING_BODIES,
        allowed_hosts: Sequence[str] | None = None,
        compress: bool = True,
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
        if type(write_timeout) not in (int, float) or not write_timeout > 0:
            raise ValueError(
                f"write_timeout must be a number of seconds > 0, not {write_timeout!r}"
            )
        if max_connections is not None and (
            type(max_connections) is not int or max_connections < 1
        ):
            raise ValueError(
                "max_connections must be an int >= 1, or None for half the process's "
                f"open-file limit (ulimit -n), not {max_connections!r}"
            )
        if type(max_body_buffer) is not int or max_body_buffer < 0:
            raise ValueError(
                f"max_body_buffer must be a number of bytes >= 0, not {max_body_buffer!r}"
            )
        if type(max_pending_bodies) is not int or max_pending_bodies < 1:
            raise ValueError(f"max_pending_bodies must be an int >= 1, not {max_pending_bodies!r}")
        if allowed_hosts is not None and (
            isinstance(allowed_hosts, str) or not all(isinstance(h, str) for h in allowed_hosts)
        ):
            raise TypeError(
                "allowed_hosts must be a list of host names such as ['notebook.local'] "
                f"(or ['*'] for any), not {allowed_hosts!r}"
            )
        if token is not None and (not isinstance(token, str) or not token):
            raise ValueError(
                "token must be a non-empty str: a server reachable from other machines "
                "answers only requests with 'Authorization: Bearer <token>'"
            )
        if not isinstance(compress, bool):
            raise TypeError(f"compress must be True or False, not {compress!r}")
        if debug and not is_loopback(host):
            raise ValueError(
                f"debug=True puts tracebacks in 500 bodies, so it serves only a loopback host "
                f"such as 127.0.0.1, not {host!r}"
            )
        self.app = app
        self.host = host
        # gzip for clients that accept it, as Next.js's `compress: true` (its default).
        self.compress = compress
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
        self.write_timeout = write_timeout
        self.max_connections = max_connections  # None: half of RLIMIT_NOFILE, read at start
        self.connection_cap = connection_cap(max_connections)
        # Bytes of request bodies held at once, across connections (never below one body).
        self.max_body_buffer = max(max_body_buffer, max_body_size)
        self.max_pending_bodies = max_pending_bodies  # bodies announced, not yet all in
        # On a loopback bind only loopback Host names are answered (DNS rebinding), plus
        # these. Behind JupyterHub's proxy the browser's Host is the hub's name, and the
        # loopback there is the container's, out of reach of the user's browser.
        self.allowed_hosts = allowed_hosts_for(host, allowed_hosts)
        self._requested_port = port
        self._sockets = sockets  # already bound (serve --workers binds before forking)
        self.port = 0
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._http: HTTPServer | None = None
        self._acceptor: Acceptor | None = None
        # Connections waiting for a request head, and those whose answer is not flushed
        # yet: stream -> the monotonic time by which it must be done.
        self._waiting: weakref.WeakKeyDictionary[IOStream, float] = weakref.WeakKeyDictionary()
        self._writing: weakref.WeakKeyDictionary[IOStream, float] = weakref.WeakKeyDictionary()
        self._trusted: weakref.WeakSet[IOStream] = weakref.WeakSet()  # carried the token
        self.buffered_body_bytes = 0
        self.pending_bodies = 0
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
            Connections(self),
            # Our own limit answers 413 and closes LINGER_BYTES later; tornado's (a bare
            # 400) is never reached.
            max_body_size=self.max_body_size + 2 * LINGER_BYTES,
            # Likewise our limit answers 431; past tornado's the connection is just closed.
            max_header_size=max(self.max_header_size * 2, 64 * 1024),
            idle_connection_timeout=self.idle_timeout,
            body_timeout=self.idle_timeout,
        )
        # tornado would arm a timer for every request head (gen.with_timeout, ~7% of a
        # hello request's time); one sweep over the waiting connections does the same job.
        self._http.conn_params.header_timeout = None
        self._sweep()
        http = self._http
        self._acceptor = Acceptor(
            sockets,
            http._handle_connection,  # tornado's: wraps the socket in an IOStream
            open_count=lambda: len(http._connections),
            cap=lambda: self.connection_cap,
            shed=self._shed_idle,
        )
        self.port = sockets[0].getsockname()[1]
        # Cached renders use this (or the app's public_origin), never a client's Host.
        self.app.served_at = self.url

    @property
    def open_connections(self) -> int:
        """How many client connections are open now."""
        return len(self._http._connections) if self._http is not None else 0

    def _sweep(self) -> None:
        """Close connections past their deadline: for a request head, or for a flush.

        A connection waits from the moment tornado asks for its next request (right after
        accept, or after the previous answer) until the whole head has arrived, so an idle
        keep-alive connection and a client trickling partial headers are both closed; a
        client that stops reading its answer is closed `write_timeout` after the last
        progress.
        """
        now = time.monotonic()
        for table in (self._waiting, self._writing):
            for stream, deadline in list(table.items()):
                if stream.closed():
                    table.pop(stream, None)
                elif now > deadline:
                    table.pop(stream, None)
                    stream.close()
        self.connection_cap = connection_cap(self.max_connections)  # ulimit may change
        interval = min(1.0, self.idle_timeout / 4, self.write_timeout / 4)
        self._sweeper = asyncio.get_running_loop().call_later(interval, self._sweep)

    def _head_deadline(self, stream: IOStream) -> float:
        """When a connection waiting for a request head is closed."""
        timeout = self.idle_timeout
        if self.token is not None and stream not in self._trusted:
            timeout = min(timeout, UNAUTHENTICATED_HEAD_TIMEOUT_S)
        return time.monotonic() + timeout

    def _shed_idle(self) -> bool:
        """Close the idle connection nearest its deadline (unauthenticated ones come first)."""
        while self._waiting:
            stream = min(self._waiting.items(), key=lambda item: item[1])[0]
            self._waiting.pop(stream, None)
            if not stream.closed():
                stream.close()
                return True
        return False

    def stop(self) -> None:
        """Stop serving and free the port (idempotent)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
        try:
            future.result(timeout=5 + AFTER_GRACE_S)
        except Exception:
            pass
        loop.call_soon_threadsafe(loop.stop)
        if thread is not threading.current_thread():
            thread.join(timeout=10)
        self._thread = None

    async def _shutdown(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
        if self._acceptor is not None:
            self._acceptor.stop()
        if self._http is not None:
            try:
                await asyncio.wait_for(self._http.close_all_connections(), 2)
            except asyncio.TimeoutError:
                pass
        # after() callbacks still running finish before the loop and its workers go.
        try:
            await asyncio.wait_for(self.app.after_tasks.drain(), AFTER_GRACE_S)
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
        return origin_of(self.host, self.port)

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


def origin_of(host: str, port: int) -> str:
    """The origin of a server bound to `host` and `port`.

    >>> origin_of("127.0.0.1", 3000), origin_of("::1", 3000)
    ('http://127.0.0.1:3000', 'http://[::1]:3000')
    """
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{port}"


def allowed_hosts_for(host: str, configured: Sequence[str] | None) -> frozenset[str]:
    """The Host names a server bound to `host` answers besides loopback ones ('*': any)."""
    if not is_loopback(host) or os.environ.get("JUPYTERHUB_SERVICE_PREFIX"):
        return frozenset({"*"})
    return allowed_hosts(configured)


def _family(host: str) -> socket.AddressFamily:
    if host in ("localhost", "127.0.0.1") or host.startswith("127."):
        return socket.AF_INET
    return socket.AF_UNSPEC
