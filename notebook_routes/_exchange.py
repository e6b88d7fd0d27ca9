"""One request/response on a connection: where tornado's world meets ours.

The adapter is one `HTTPMessageDelegate` per request (no `RequestHandler`): the head
arrives and is checked (size, token, Host, body framing) before anything runs -> a
`NextRequest` whose body is fed as it arrives -> `App.handle` -> the `Response` is
written, in slices or chunk by chunk, each write awaited so a client that does not
read holds little memory and is closed after the server's `write_timeout`.

>>> _header_bytes(httputil.HTTPHeaders({"Host": "a"}))
9
"""

from __future__ import annotations

import asyncio
import hmac
import re
import time
from collections.abc import AsyncIterator, Awaitable
from email.utils import formatdate
from typing import TYPE_CHECKING, Any

from tornado import httputil
from tornado.iostream import StreamClosedError

from notebook_routes import _compress
from notebook_routes._dispatch import dispatch_cached
from notebook_routes._guard import framing_error, host_error
from notebook_routes._log import LogEntry, capture_entries
from notebook_routes.web._headers import Headers
from notebook_routes.web._request import BodyStream, NextRequest
from notebook_routes.web._response import Response, encode_chunk

if TYPE_CHECKING:
    from notebook_routes._server import Server

MiB = 1024 * 1024
# A whole-bytes body larger than this is written in slices, each awaited: a client that
# does not read holds at most one slice of tornado's output buffer.
WRITE_SLICE = 256 * 1024
# After refusing a body midway, read (and drop) this much more so the client sees the
# answer rather than a connection reset, then close.
LINGER_BYTES = 4 * MiB
RAW_NON_ASCII_TARGET = (
    "Bad Request: the request target has raw non-ASCII bytes; percent-encode them "
    "(/items/%E2%9C%93, not /items/\u2713)."
)


class Connections(httputil.HTTPServerConnectionDelegate):
    def __init__(self, server: Server) -> None:
        self.server = server

    def start_request(
        self, server_conn: object, request_conn: httputil.HTTPConnection
    ) -> httputil.HTTPMessageDelegate:
        # tornado now waits for this connection's next request head: the sweep's clock
        # starts (and the previous answer, if any, is flushed).
        server = self.server
        stream = request_conn.stream  # type: ignore[attr-defined]
        server._writing.pop(stream, None)
        server._waiting[stream] = server._head_deadline(stream)
        return Exchange(server, request_conn)


class Exchange(httputil.HTTPMessageDelegate):
    """One request/response on a connection."""

    def __init__(self, server: Server, conn: Any) -> None:
        self.server = server
        self.conn = conn
        self.stream = conn.stream
        self.method = ""
        self.target = ""
        self.accept_encoding: str | None = None
        self.body: BodyStream | None = None
        self.chunked = False
        self.received = 0
        self.reserved = 0  # bytes of the server's body budget this request holds
        self.pending = False  # counted in server.pending_bodies until the body is in
        self.read_done: asyncio.Future[None] | None = None
        self.task: asyncio.Future[None] | None = None
        self.streaming = False
        self.closed = False
        self.refused = False  # answered midway: the rest of the body is dropped
        self.dropped = 0
        self.discard = False  # the route answered without reading the body
        self.cached: Response | None = None  # a cache HIT, answered in finish()
        self.logged: list[LogEntry] = []  # this request's log entries, once dispatched

    # -- the request head ----------------------------------------------------------------

    def headers_received(
        self,
        start_line: httputil.RequestStartLine | httputil.ResponseStartLine,
        headers: httputil.HTTPHeaders,
    ) -> Any:
        assert isinstance(start_line, httputil.RequestStartLine)  # we are the server side
        server = self.server
        server._waiting.pop(self.stream, None)  # the head is in: no longer idle
        self.method, self.target = start_line.method, start_line.path
        self.accept_encoding = headers.get("Accept-Encoding")
        if len(start_line.path) > server.max_header_size:
            return self._refuse(414, "request target too long", headers)
        if _header_bytes(headers) > server.max_header_size:
            return self._refuse(431, "request header fields too large", headers)
        hosts = headers.get_list("Host")
        if len(hosts) > 1:
            return self._refuse(400, "more than one Host header", headers)
        if server.token is not None:
            if not _authorized(headers, server.token):
                challenge = {"WWW-Authenticate": 'Bearer realm="notebook-routes"'}
                return self._refuse(401, "no valid bearer token", headers, challenge)
            server._trusted.add(self.stream)
        # The URL is built from the target; Host only names the authority, so it must be one
        # (a Host of "x/admin?" would otherwise move the path into the authority's place).
        host = hosts[0] if hosts else f"{server.host}:{server.port}"
        if not _AUTHORITY.match(host):
            return self._refuse(400, "Host is not an authority", headers)
        if "*" not in server.allowed_hosts:
            refusal = host_error(hosts[0] if hosts else None, server.allowed_hosts)
            if refusal is not None:
                fix = (
                    f"{refusal[1]}; to serve it, pass Server(allowed_hosts=[...]) or set "
                    "NOTEBOOK_ROUTES_ALLOWED_HOSTS\n"
                )
                return self._refuse(refusal[0], refusal[1], headers, text=fix)
        length = headers.get("Content-Length")
        self.chunked = "Transfer-Encoding" in headers
        if length is not None or self.chunked:
            refusal = framing_error(headers.get_all())
            if refusal is not None:
                return self._refuse(*refusal, headers)
        size = int(length.split(",")[0]) if length is not None else 0
        if size > server.max_body_size:
            return self._refuse(413, "request body too large", headers)
        target = start_line.path
        if not target.startswith("/"):
            return self._refuse(400, "request target is not a path", headers)
        if not target.isascii():
            # tornado decoded the raw bytes as Latin-1: mojibake for any handler. Node says 400.
            return self._refuse(400, RAW_NON_ASCII_TARGET, headers, text=RAW_NON_ASCII_TARGET)
        has_body = self.chunked or size > 0
        if not has_body and start_line.method in ("GET", "HEAD"):
            # A cache HIT is answered from the stored bytes, with no request object built.
            try:
                self.cached = dispatch_cached(
                    server.app, start_line.method, target, list(headers.get_all())
                )
            except Exception:  # a bug of ours: dispatch answers, and logs it
                self.cached = None
            if self.cached is not None:
                return None
        if has_body:
            busy = self._reserve(size)
            if busy is not None:
                return self._refuse(503, busy, headers, {"Retry-After": "1"})
        body = BodyStream() if has_body else BodyStream(b"")
        try:
            request = NextRequest(
                start_line.method,
                f"http://{host}{target}",
                headers=Headers._parsed(list(headers.get_all())),
                body=body,
            )
        except ValueError:  # a target urllib cannot take apart: the client's mistake
            self._release()
            return self._refuse(400, "request target cannot be parsed", headers)
        # Methods are case-sensitive (RFC 9110 §9.1): `get` is not GET, whatever Request does.
        request.method = start_line.method
        self.body = body
        self.read_done = asyncio.get_running_loop().create_future()
        self.task = asyncio.ensure_future(self._serve(request))
        return None

    def _reserve(self, size: int) -> str | None:
        """Count a body against the server's bounds; the reason to refuse it, if over."""
        server = self.server
        if server.pending_bodies >= server.max_pending_bodies:
            return "too many request bodies in flight"
        if server.buffered_body_bytes + size > server.max_body_buffer:
            return "request body buffer full"
        server.pending_bodies += 1
        self.pending = True
        server.buffered_body_bytes += size
        self.reserved = size
        return None

    def _body_in(self) -> None:
        if self.pending:
            self.pending = False
            self.server.pending_bodies -= 1

    def _release(self) -> None:
        """Give back what this request counted against the server's bounds (idempotent)."""
        self._body_in()
        self.server.buffered_body_bytes -= self.reserved
        self.reserved = 0

    # -- the request body ----------------------------------------------------------------

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        if self.refused:
            self.dropped += len(chunk)
            if self.dropped > LINGER_BYTES:
                self.stream.close()
            return None
        if self.body is None:
            return None
        self.received += len(chunk)
        if self.received > self.server.max_body_size:  # a chunked body grew past the limit
            return self._refuse_midway(413, "request body too large")
        if self.discard:
            return None
        if self.chunked:  # its size was not announced: count it as it comes
            self.reserved += len(chunk)
            self.server.buffered_body_bytes += len(chunk)
            if self.server.buffered_body_bytes > self.server.max_body_buffer:
                return self._refuse_midway(503, "request body buffer full")
        self.body.feed(chunk)
        return None

    def finish(self) -> None:
        if self.refused:
            self.stream.close()  # the answer is out; the rest of the body was dropped
            return
        if self.cached is not None:
            pending = self._write_whole(self.cached)
            if pending is not None:
                asyncio.ensure_future(pending)
            return
        self._body_in()
        if self.body is not None and not self.discard:
            self.body.finish()
        if self.read_done is not None and not self.read_done.done():
            self.read_done.set_result(None)

    def on_connection_close(self) -> None:
        self.closed = True
        self.server._waiting.pop(self.stream, None)
        self.server._writing.pop(self.stream, None)
        self._release()
        if self.body is not None and not self.body.finished:
            self.body.fail(ConnectionError("the client closed the connection"))
        if self.read_done is not None and not self.read_done.done():
            self.read_done.set_result(None)
        if self.streaming and self.task is not None:
            self.task.cancel()  # closes the body generator at its current await

    # -- refusals ------------------------------------------------------------------------

    async def _refuse(
        self,
        status: int,
        reason: str,
        request_headers: httputil.HTTPHeaders,
        headers: dict[str, str] | None = None,
        *,
        text: str = "",
    ) -> None:
        """Answer before reading the body, then close (the body is not wanted)."""
        self._log_refusal(status, reason, request_headers)
        body = text.encode()
        out = httputil.HTTPHeaders(headers or {})
        if body:
            out["Content-Type"] = "text/plain; charset=utf-8"
        out["Content-Length"] = str(len(body))
        out["Connection"] = "close"
        out["Date"] = _http_date()
        try:
            await self.conn.write_headers(_start(status), out, body or None)
        except StreamClosedError:
            pass
        stream = self.conn.detach()  # so tornado neither reads the body nor adds a 400
        stream.close()

    def _refuse_midway(self, status: int, reason: str) -> Awaitable[None]:
        """Refuse a body that turned out too large while it arrived; no handler goes on."""
        self.refused = True
        self._release()
        if self.body is not None and not self.body.finished:
            self.body.fail(ValueError(reason))
        if self.task is not None:
            self.task.cancel()
        self._log_refusal(status, reason, None)
        out = httputil.HTTPHeaders({"Content-Length": "0", "Connection": "close"})
        out["Date"] = _http_date()
        return self._send_quietly(self.conn.write_headers(_start(status), out))

    async def _send_quietly(self, write: Awaitable[None]) -> None:
        try:
            await write
        except StreamClosedError:
            pass

    def _log_refusal(self, status: int, reason: str, headers: httputil.HTTPHeaders | None) -> None:
        """The log shows what the client got, even when a handler had already answered."""
        if self.logged:
            for entry in self.logged:
                entry.status, entry.error = status, reason
            return
        self.server.app.log.append(
            LogEntry(
                time=time.time(),
                method=self.method,
                path=self.target.split("?", 1)[0],
                route=None,
                params={},
                status=status,
                duration_ms=0.0,
                error=f"refused: {reason}",
                request_headers=list(headers.get_all()) if headers is not None else [],
            )
        )

    # -- the response --------------------------------------------------------------------

    async def _serve(self, request: NextRequest) -> None:
        self.logged = capture_entries()
        response = await self.server.app.handle(request, debug=self.server.debug)
        assert self.read_done is not None and self.body is not None
        if not self.read_done.done() and _is_whole(response.body):
            # The route answered without reading the rest of the body: drop it as it
            # comes rather than buffer it (it still has to arrive: HTTP/1.1 framing).
            self.discard = True
            self.server.buffered_body_bytes -= self.reserved
            self.reserved = 0
            self.body.fail(ConnectionError("the route answered before the body arrived"))
        await self.read_done  # answer once the request body is in
        try:
            if self.closed:
                await _close_body(response.body)
                return
            await self._write(response)
        finally:
            self._release()

    def _write_whole(self, response: Response) -> Awaitable[None] | None:
        """Write a response whose body is bytes or None: at once, or in awaited slices."""
        body = response.body
        status = response.status
        try:
            start, headers = _head(response)
            coding = self._compression(status, headers)
            if coding is not None and body is not None:
                body = _compress.compress(coding, body)
            if status >= 200 and status not in (204, 304) and "Content-Length" not in headers:
                headers["Content-Length"] = str(len(body or b""))
            if body is not None and len(body) > WRITE_SLICE:
                return self._write_slices(start, headers, body)
            self.conn.write_headers(start, headers, body or None)
        except _UNSENDABLE as exc:
            self._unsendable(exc)
            return None
        self.conn.finish()
        if self.stream.writing():  # the client is slow to read: close it if it never does
            self.server._writing[self.stream] = time.monotonic() + self.server.write_timeout
        return None

    def _compression(self, status: int, headers: httputil.HTTPHeaders) -> str | None:
        """Apply Next.js's compression rules to `headers`; the coding for the body, if any."""
        if not self.server.compress:
            return None
        plan = _compress.negotiate(self.method, status, headers.get_all(), self.accept_encoding)
        if plan.vary:
            vary = _compress.add_vary(headers.get_list("Vary"))
            if vary is not None:
                headers["Vary"] = vary
        if plan.coding is not None:
            headers["Content-Encoding"] = plan.coding
            headers.pop("Content-Length", None)  # the length of the bytes before compression
        return plan.coding

    def _unsendable(self, exc: Exception) -> None:
        """Headers that cannot go on the wire (a bug past `Headers`' checks): answer 500.

        Nothing has been written yet, so the connection stays in step; the log says why.
        """
        self.server.app.log.append(
            LogEntry(
                time=time.time(),
                method=self.method,
                path=self.target.split("?", 1)[0],
                route=None,
                params={},
                status=500,
                duration_ms=0.0,
                error=f"the response headers could not be sent: {type(exc).__name__}: {exc}",
            )
        )
        headers = httputil.HTTPHeaders({"Content-Length": "0", "Date": _http_date()})
        self.conn.write_headers(_start(500), headers)
        self.conn.finish()

    async def _write_slices(
        self, start: httputil.ResponseStartLine, headers: httputil.HTTPHeaders, body: bytes
    ) -> None:
        try:
            await self._flushed(self.conn.write_headers(start, headers))
            for offset in range(0, len(body), WRITE_SLICE):
                await self._flushed(self.conn.write(body[offset : offset + WRITE_SLICE]))
        except StreamClosedError:
            return
        finally:
            self.server._writing.pop(self.stream, None)
        self.conn.finish()

    async def _flushed(self, write: Awaitable[None]) -> None:
        """Await a write; the sweep closes the connection if it makes no progress in time."""
        self.server._writing[self.stream] = time.monotonic() + self.server.write_timeout
        await write

    async def _write(self, response: Response) -> None:
        conn = self.conn
        body = response.body
        if _is_whole(body):
            pending = self._write_whole(response)
            if pending is not None:
                await pending
            return
        self.streaming = True
        iterator = _chunks(body)
        try:
            try:
                start, headers = _head(response)
                if "Content-Type" not in headers:
                    # A stream without a type must not be sniffed into HTML on Jupyter's origin.
                    headers["X-Content-Type-Options"] = "nosniff"
                coding = self._compression(response.status, headers)
                writing = conn.write_headers(start, headers)
            except _UNSENDABLE as exc:
                await _close_body(body)
                self._unsendable(exc)
                return
            if coding is not None:
                iterator = _compressed(iterator, _compress.Encoder(coding))
            await self._flushed(writing)
            async for chunk in iterator:
                if chunk:
                    await self._flushed(conn.write(chunk))
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
            self.server._writing.pop(self.stream, None)
        conn.finish()


# What tornado raises for a header it will not write (a non-Latin-1 value, a line break).
_UNSENDABLE = (ValueError, httputil.HTTPInputError)


def _is_whole(body: object) -> bool:
    return body is None or isinstance(body, bytes)


def _start(status: int) -> httputil.ResponseStartLine:
    return httputil.ResponseStartLine("HTTP/1.1", status, httputil.responses.get(status, ""))


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


async def _compressed(
    chunks: AsyncIterator[bytes], encoder: _compress.Encoder
) -> AsyncIterator[bytes]:
    """`chunks` compressed one by one, each flushed so it can be decoded on arrival."""
    async for chunk in chunks:
        if chunk:
            yield encoder.chunk(chunk)
    yield encoder.finish()


async def _close_body(body: Any) -> None:
    """Close a generator body so its ``finally`` blocks run."""
    try:
        if hasattr(body, "aclose"):
            await body.aclose()
        elif hasattr(body, "close") and not isinstance(body, (bytes, str)):
            body.close()
    except Exception:
        pass
