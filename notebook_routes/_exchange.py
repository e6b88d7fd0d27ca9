"""One request/response on a connection: where tornado's world meets ours.

The adapter is one `HTTPMessageDelegate` per request (no `RequestHandler`): the head
arrives and is checked (size, token, Host, body framing) before anything runs -> a
`NextRequest` whose body is fed as it arrives -> `App.handle` -> the `Response` is
written, in slices or chunk by chunk, each write awaited so a client that does not
read holds little memory and is closed after the server's `write_timeout`.

The rules themselves (which head is refused, the body budgets, the cache-HIT fast path,
the log entry of a refusal, the header fields of an answer) are `_gate`'s, shared with
the ASGI adapter.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from tornado import httputil
from tornado.iostream import StreamClosedError

from notebook_routes._gate import (
    BodyTicket,
    Refusal,
    answer_from_cache,
    body_chunks,
    check_head,
    close_body,
    encoded_chunks,
    http_date,
    is_whole,
    log_refusal,
    refusal_fields,
    wire,
)
from notebook_routes._log import LogEntry, capture_entries
from notebook_routes.web._headers import Headers
from notebook_routes.web._request import BodyStream, NextRequest
from notebook_routes.web._response import Response

if TYPE_CHECKING:
    from notebook_routes._server import Server

MiB = 1024 * 1024
# A whole-bytes body larger than this is written in slices, each awaited: a client that
# does not read holds at most one slice of tornado's output buffer.
WRITE_SLICE = 256 * 1024
# After refusing a body midway, read (and drop) this much more so the client sees the
# answer rather than a connection reset, then close.
LINGER_BYTES = 4 * MiB


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
        self.ticket = BodyTicket(server)  # what this request holds of the body budgets
        self.request_headers: list[tuple[str, str]] = []
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
        self.method, self.target = method, target = start_line.method, start_line.path
        self.request_headers = pairs = list(headers.get_all())
        self.accept_encoding = headers.get("Accept-Encoding")
        head = check_head(
            server,
            method,
            target,
            pairs,
            f"{server.host}:{server.port}",
            allowed_hosts=server.allowed_hosts,
            http_version=start_line.version.removeprefix("HTTP/"),
        )
        if isinstance(head, Refusal):
            return self._refuse(head)
        if server.token is not None:
            server._trusted.add(self.stream)
        self.chunked = head.chunked
        # A cache HIT is answered from the stored bytes, with no request object built.
        self.cached = answer_from_cache(server.app, method, target, pairs, head)
        if self.cached is not None:
            return None
        has_body = head.has_body
        if has_body:
            busy = self.ticket.reserve(head.size)
            if busy is not None:
                return self._refuse(Refusal(503, busy, (("Retry-After", "1"),)))
        body = BodyStream() if has_body else BodyStream(b"")
        try:
            request = NextRequest(
                method,
                f"http://{head.host}{target}",
                headers=Headers._parsed(pairs),
                body=body,
            )
        except ValueError:  # a target urllib cannot take apart: the client's mistake
            self.ticket.release()
            return self._refuse(Refusal(400, "request target cannot be parsed"))
        # Methods are case-sensitive (RFC 9110 §9.1): `get` is not GET, whatever Request does.
        request.method = method
        self.body = body
        self.read_done = asyncio.get_running_loop().create_future()
        self.task = asyncio.ensure_future(self._serve(request))
        return None

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
        if self.chunked and not self.ticket.grow(len(chunk)):  # its size was not announced
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
        self.ticket.body_in()
        if self.body is not None and not self.discard:
            self.body.finish()
        if self.read_done is not None and not self.read_done.done():
            self.read_done.set_result(None)

    def on_connection_close(self) -> None:
        self.closed = True
        self.server._waiting.pop(self.stream, None)
        self.server._writing.pop(self.stream, None)
        self.ticket.release()
        if self.body is not None and not self.body.finished:
            self.body.fail(ConnectionError("the client closed the connection"))
        if self.read_done is not None and not self.read_done.done():
            self.read_done.set_result(None)
        if self.streaming and self.task is not None:
            self.task.cancel()  # closes the body generator at its current await

    # -- refusals ------------------------------------------------------------------------

    async def _refuse(self, refusal: Refusal) -> None:
        """Answer before reading the body, then close (the body is not wanted)."""
        self._log_refusal(refusal.status, refusal.reason, self.request_headers)
        fields, body = refusal_fields(refusal)
        if self.method == "HEAD":  # tornado refuses to write a body after HEAD: no answer at all
            body = b""
        try:
            await self.conn.write_headers(
                _start(refusal.status), _tornado_headers(fields), body or None
            )
        except StreamClosedError:
            pass
        stream = self.conn.detach()  # so tornado neither reads the body nor adds a 400
        stream.close()

    def _refuse_midway(self, status: int, reason: str) -> Awaitable[None]:
        """Refuse a body that turned out too large while it arrived; no handler goes on."""
        self.refused = True
        self.ticket.release()
        if self.body is not None and not self.body.finished:
            self.body.fail(ValueError(reason))
        if self.task is not None:
            self.task.cancel()
        self._log_refusal(status, reason, None)
        out = httputil.HTTPHeaders({"Content-Length": "0", "Connection": "close"})
        out["Date"] = http_date()
        return self._send_quietly(self.conn.write_headers(_start(status), out))

    async def _send_quietly(self, write: Awaitable[None]) -> None:
        try:
            await write
        except StreamClosedError:
            pass

    def _log_refusal(self, status: int, reason: str, headers: list[tuple[str, str]] | None) -> None:
        log_refusal(self.server.app, self.method, self.target, status, reason, headers, self.logged)

    # -- the response --------------------------------------------------------------------

    async def _serve(self, request: NextRequest) -> None:
        self.logged = capture_entries()
        response = await self.server.app.handle(request, debug=self.server.debug)
        assert self.read_done is not None and self.body is not None
        if not self.read_done.done() and is_whole(response.body):
            # The route answered without reading the rest of the body: drop it as it
            # comes rather than buffer it (it still has to arrive: HTTP/1.1 framing).
            self.discard = True
            self.ticket.drop_bytes()
            self.body.fail(ConnectionError("the route answered before the body arrived"))
        await self.read_done  # answer once the request body is in
        try:
            if self.closed:
                await close_body(response.body)
                return
            await self._write(response)
        finally:
            self.ticket.release()

    def _write_whole(self, response: Response) -> Awaitable[None] | None:
        """Write a response whose body is bytes or None: at once, or in awaited slices."""
        try:
            out = self._wire(response)
            start, headers, body = _start(response.status), _tornado_headers(out.fields), out.body
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

    def _wire(self, response: Response) -> Any:
        return wire(response, self.method, self.accept_encoding, compress=self.server.compress)

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
        headers = httputil.HTTPHeaders({"Content-Length": "0", "Date": http_date()})
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
        if is_whole(body):
            pending = self._write_whole(response)
            if pending is not None:
                await pending
            return
        self.streaming = True
        try:
            try:
                out = self._wire(response)
                iterator = encoded_chunks(body_chunks(body), out.encoder)
                writing = conn.write_headers(_start(response.status), _tornado_headers(out.fields))
            except _UNSENDABLE as exc:
                await close_body(body)
                self._unsendable(exc)
                return
            await self._flushed(writing)
            async for chunk in iterator:
                if chunk:
                    await self._flushed(conn.write(chunk))
        except (StreamClosedError, asyncio.CancelledError):
            await close_body(body)
            return
        except Exception:
            # The body failed mid-stream: the status is already sent, so end the
            # connection abruptly rather than pretend the body was complete.
            await close_body(body)
            conn.close()
            return
        finally:
            self.streaming = False
            self.server._writing.pop(self.stream, None)
        conn.finish()


def _start(status: int) -> httputil.ResponseStartLine:
    return httputil.ResponseStartLine("HTTP/1.1", status, httputil.responses.get(status, ""))


def _tornado_headers(fields: list[tuple[str, str]]) -> httputil.HTTPHeaders:
    headers = httputil.HTTPHeaders()
    for name, value in fields:
        headers.add(name, value)
    return headers


# What tornado raises for a header it will not write (a non-Latin-1 value, a line break).
_UNSENDABLE = (ValueError, httputil.HTTPInputError)
