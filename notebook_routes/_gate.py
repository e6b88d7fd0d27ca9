"""The per-request rules every HTTP adapter applies, in one place: tornado's (`_exchange`)
and the ASGI one (`asgi`) are thin layers over these functions.

A request head is checked before any handler runs (`check_head`: target and header size,
Host, bearer token, body framing, body limit), a body is counted against the server's
budgets (`BodyTicket`), a GET/HEAD cache HIT is answered without a request object
(`answer_from_cache`), a refusal is written to the request log (`log_refusal`), and a
`Response` becomes the header fields sent on the wire (`head_fields`). Nothing here
knows tornado or ASGI: headers are ``(name, value)`` str pairs.

>>> loopback = {"allowed_hosts": frozenset()}  # a loopback bind: loopback Host names only
>>> check_head(Limits(), "GET", "/a", [("Host", "localhost:3000")], "h", **loopback)
Head(host='localhost:3000', size=0, chunked=False)
>>> check_head(Limits(), "GET", "/a", [("Host", "evil.test")], "h", **loopback).status
403
>>> big = [("Host", "h"), ("Content-Length", "99999999999")]
>>> check_head(Limits(), "POST", "/a", big, "h").reason
'request body too large'
"""

from __future__ import annotations

import asyncio
import hmac
import re
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from email.utils import formatdate
from typing import TYPE_CHECKING, Any, Protocol

from notebook_routes import _compress
from notebook_routes._dispatch import dispatch_cached
from notebook_routes._guard import framing_error, host_error
from notebook_routes._log import LogEntry
from notebook_routes.web._response import Response, encode_chunk

if TYPE_CHECKING:
    from notebook_routes._app import App

MiB = 1024 * 1024
DEFAULT_MAX_BODY_SIZE = 10 * MiB
DEFAULT_MAX_HEADER_SIZE = 64 * 1024  # tornado's own default; larger header blocks get 431
DEFAULT_BODY_BUFFER = 64 * MiB
DEFAULT_PENDING_BODIES = 64
TOKEN_CHALLENGE = ("WWW-Authenticate", 'Bearer realm="notebook-routes"')
RAW_NON_ASCII_TARGET = (
    "Bad Request: the request target has raw non-ASCII bytes; percent-encode them "
    "(/items/%E2%9C%93, not /items/\u2713)."
)
NO_HOST = "Bad Request: an HTTP/1.1 request needs a Host header (RFC 9112, section 3.2).\n"

# RFC 3986 authority without userinfo: reg-name or IPv4, or an IP literal in brackets; a port.
_AUTHORITY = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~%!$&'()*+,;=-]+)(?::[0-9]*)?\Z")


class Policy(Protocol):
    """What a server enforces per request (the tornado `Server`, the ASGI app, `Limits`)."""

    token: str | None
    max_body_size: int
    max_header_size: int
    max_body_buffer: int
    max_pending_bodies: int
    buffered_body_bytes: int
    pending_bodies: int


@dataclass
class Limits:
    """A `Policy` with the defaults of `notebook-routes serve`."""

    token: str | None = None
    max_body_size: int = DEFAULT_MAX_BODY_SIZE
    max_header_size: int = DEFAULT_MAX_HEADER_SIZE
    max_body_buffer: int = DEFAULT_BODY_BUFFER
    max_pending_bodies: int = DEFAULT_PENDING_BODIES
    buffered_body_bytes: int = 0
    pending_bodies: int = 0


@dataclass(frozen=True)
class Refusal:
    """A request answered before any handler runs: status, log reason, extra headers, text."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...] = ()
    text: str = ""


@dataclass(frozen=True)
class Head:
    """A head that may go on: the authority to build the URL from, and the body's framing."""

    host: str
    size: int  # the announced Content-Length (0 when chunked or absent)
    chunked: bool

    @property
    def has_body(self) -> bool:
        return self.chunked or self.size > 0


def check_head(
    policy: Policy,
    method: str,
    target: str,
    headers: Sequence[tuple[str, str]],
    default_host: str,
    *,
    allowed_hosts: frozenset[str] = frozenset({"*"}),
    http_version: str = "1.1",
) -> Head | Refusal:
    """The checks on a request head, in the order a refusal is chosen.

    `allowed_hosts` are the Host names answered besides loopback ones (``"*"``: any, as on
    a network bind); `default_host` names the server for an HTTP/1.0 request without Host
    (`http_version` ``"1.0"``); an HTTP/1.1 one without Host is a 400.

    >>> limits = Limits(token="t")
    >>> check_head(limits, "GET", "/", [("Authorization", "Bearer t")], "h", http_version="1.0")
    Head(host='h', size=0, chunked=False)
    >>> check_head(limits, "GET", "/", [("Host", "h")], "h").headers
    (('WWW-Authenticate', 'Bearer realm="notebook-routes"'),)
    >>> check_head(limits, "GET", "/", [], "h").reason
    'HTTP/1.1 request without Host'
    """
    if len(target) > policy.max_header_size:
        return Refusal(414, "request target too long")
    hosts: list[str] = []
    length: str | None = None
    chunked = False
    authorization = ""
    size = 0
    for name, value in headers:
        size += len(name) + len(value) + 4  # ``Name: value\r\n`` as sent
        lowered = name.lower()
        if lowered == "host":
            hosts.append(value)
        elif lowered == "content-length":
            length = value if length is None else length
        elif lowered == "transfer-encoding":
            chunked = True
        elif lowered == "authorization":
            authorization = value
    if size > policy.max_header_size:
        return Refusal(431, "request header fields too large")
    if len(hosts) > 1:
        return Refusal(400, "more than one Host header")
    if not hosts and http_version == "1.1":  # HTTP/2 carries :authority instead
        # RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request without Host (Node does).
        return Refusal(400, "HTTP/1.1 request without Host", text=NO_HOST)
    if policy.token is not None and not authorized(authorization, policy.token):
        return Refusal(401, "no valid bearer token", (TOKEN_CHALLENGE,))
    # The URL is built from the target; Host only names the authority, so it must be one
    # (a Host of "x/admin?" would otherwise move the path into the authority's place).
    host = hosts[0] if hosts else default_host
    if not _AUTHORITY.match(host):
        return Refusal(400, "Host is not an authority")
    if "*" not in allowed_hosts:
        refusal = host_error(hosts[0] if hosts else None, allowed_hosts)
        if refusal is not None:
            fix = (
                f"{refusal[1]}; to serve it, pass Server(allowed_hosts=[...]) or set "
                "NOTEBOOK_ROUTES_ALLOWED_HOSTS\n"
            )
            return Refusal(refusal[0], refusal[1], text=fix)
    if length is not None or chunked:
        framing = framing_error(headers)
        if framing is not None:
            return Refusal(*framing)
    announced = int(length.split(",")[0]) if length is not None else 0
    if announced > policy.max_body_size:
        return Refusal(413, "request body too large")
    if not target.startswith("/"):
        return Refusal(400, "request target is not a path")
    if not target.isascii():
        # Raw bytes reach us decoded as Latin-1: mojibake for any handler. Node says 400.
        return Refusal(400, RAW_NON_ASCII_TARGET, text=RAW_NON_ASCII_TARGET)
    return Head(host, announced, chunked)


def authorized(header: str, token: str) -> bool:
    """Whether an Authorization header value carries `token` (compared in constant time).

    >>> authorized("Bearer s3cret", "s3cret"), authorized("Basic s3cret", "s3cret")
    (True, False)
    """
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(value.strip().encode(), token.encode())


@dataclass
class BodyTicket:
    """What one request's body holds of the server's budgets (bytes buffered, bodies pending).

    >>> limits = Limits(max_body_buffer=10, max_body_size=10)
    >>> ticket = BodyTicket(limits)
    >>> ticket.reserve(8), limits.buffered_body_bytes, limits.pending_bodies
    (None, 8, 1)
    >>> BodyTicket(limits).reserve(5)
    'request body buffer full'
    >>> ticket.release(); limits.buffered_body_bytes, limits.pending_bodies
    (0, 0)
    """

    policy: Policy
    reserved: int = 0
    pending: bool = False  # counted in policy.pending_bodies until the body is in

    def reserve(self, size: int) -> str | None:
        """Count a body of `size` announced bytes; the reason to refuse it (503), if over."""
        policy = self.policy
        if policy.pending_bodies >= policy.max_pending_bodies:
            return "too many request bodies in flight"
        if policy.buffered_body_bytes + size > policy.max_body_buffer:
            return "request body buffer full"
        policy.pending_bodies += 1
        self.pending = True
        policy.buffered_body_bytes += size
        self.reserved = size
        return None

    def grow(self, size: int) -> bool:
        """Count `size` more bytes of a body whose size was not announced; False when over."""
        self.reserved += size
        self.policy.buffered_body_bytes += size
        return self.policy.buffered_body_bytes <= self.policy.max_body_buffer

    def body_in(self) -> None:
        """The whole body has arrived: it no longer counts as pending."""
        if self.pending:
            self.pending = False
            self.policy.pending_bodies -= 1

    def drop_bytes(self) -> None:
        """The body is being dropped as it comes: its bytes no longer count."""
        self.policy.buffered_body_bytes -= self.reserved
        self.reserved = 0

    def release(self) -> None:
        """Give back everything this request counted (idempotent)."""
        self.body_in()
        self.drop_bytes()


def answer_from_cache(
    app: App,
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    head: Head,
    scheme: str = "http",
) -> Response | None:
    """A GET/HEAD without a body answered from the cache (no request object), or None."""
    if head.has_body or method not in ("GET", "HEAD"):
        return None
    try:
        return dispatch_cached(app, method, target, headers)
    except Exception:  # a bug of ours: dispatch answers, and logs it
        return None


def log_refusal(
    app: App,
    method: str,
    target: str,
    status: int,
    reason: str,
    headers: list[tuple[str, str]] | None,
    logged: list[LogEntry],
) -> None:
    """The log shows what the client got, even when a handler had already answered
    (`logged`: this request's entries, corrected in place)."""
    if logged:
        for entry in logged:
            entry.status, entry.error = status, reason
        return
    app.log.append(
        LogEntry(
            time=time.time(),
            method=method,
            path=target.split("?", 1)[0],
            route=None,
            params={},
            status=status,
            duration_ms=0.0,
            error=f"refused: {reason}",
            request_headers=list(headers) if headers is not None else [],
        )
    )


def refusal_fields(refusal: Refusal) -> tuple[list[tuple[str, str]], bytes]:
    """The header fields and body of a refusal; the connection is closed after it."""
    body = refusal.text.encode()
    fields = list(refusal.headers)
    if body:
        fields.append(("Content-Type", "text/plain; charset=utf-8"))
    fields += [("Content-Length", str(len(body))), ("Connection", "close"), ("Date", http_date())]
    return fields, body


def is_whole(body: object) -> bool:
    """Whether a response body is written at once (bytes or nothing), not streamed."""
    return body is None or isinstance(body, bytes)


def head_fields(response: Response, *, date: bool = True) -> list[tuple[str, str]]:
    """The header fields a response is sent with: its own, plus Date (unless the server adds
    it: `date`), and Content-Length for a whole body, or ``nosniff`` for a stream without a
    type.

    >>> head_fields(Response(b"hi", headers={"Date": "d"}))
    [('Date', 'd'), ('Content-Length', '2')]
    """
    fields = response.headers.raw_items()
    names = {name.lower() for name, _ in fields}
    if date and "date" not in names:
        fields.append(("Date", http_date()))
    body = response.body
    if is_whole(body):
        status = response.status
        if status >= 200 and status not in (204, 304) and "content-length" not in names:
            fields.append(("Content-Length", str(len(body or b""))))
    elif "content-type" not in names:
        # A stream without a type must not be sniffed into HTML on Jupyter's origin.
        fields.append(("X-Content-Type-Options", "nosniff"))
    return fields


@dataclass
class Wire:
    """A response as it goes on the wire: header fields, and a whole body's bytes or a
    stream's encoder, compressed as Next.js's ``compress: true`` does when negotiated."""

    fields: list[tuple[str, str]]
    body: bytes | None  # a whole body as sent (None for a stream or no body)
    encoder: _compress.Encoder | None = None  # compresses a stream's chunks


def wire(
    response: Response,
    method: str,
    accept_encoding: str | None,
    *,
    compress: bool = True,
    date: bool = True,
) -> Wire:
    """`head_fields`, then gzip (or deflate) for a client that accepts it, as Next.js does.

    >>> w = wire(Response("hi"), "GET", "gzip", date=False)
    >>> w.fields[1:3], w.body[:2] == bytes([0x1F, 0x8B])  # gzip's magic number
    ([('Vary', 'Accept-Encoding'), ('Content-Encoding', 'gzip')], True)
    >>> wire(Response("hi"), "GET", None, date=False).fields[1:]
    [('Vary', 'Accept-Encoding'), ('Content-Length', '2')]
    """
    fields = head_fields(response, date=date)
    body = response.body if is_whole(response.body) else None
    if not compress:
        return Wire(fields, body)
    plan = _compress.negotiate(method, response.status, fields, accept_encoding)
    if not plan.vary:
        return Wire(fields, body)
    # Vary and Content-Encoding go before Content-Length, as Next.js sends them.
    length = [(n, v) for n, v in fields if n.lower() == "content-length"]
    fields = [(n, v) for n, v in fields if n.lower() != "content-length"]
    vary = _compress.add_vary([value for name, value in fields if name.lower() == "vary"])
    if vary is not None:
        fields = [(n, v) for n, v in fields if n.lower() != "vary"] + [("Vary", vary)]
    if plan.coding is None:
        return Wire(fields + length, body)
    fields.append(("Content-Encoding", plan.coding))
    if not is_whole(response.body):
        return Wire(fields, None, _compress.Encoder(plan.coding))
    if body is not None:  # the length was the bytes' before compression
        body = _compress.compress(plan.coding, body)
        fields.append(("Content-Length", str(len(body))))
    return Wire(fields, body)


async def encoded_chunks(
    chunks: AsyncIterator[bytes], encoder: _compress.Encoder | None
) -> AsyncIterator[bytes]:
    """`chunks`, compressed one by one when there is an encoder, each flushed so it can
    be decoded on arrival (a token stream still arrives token by token)."""
    if encoder is None:
        async for chunk in chunks:
            yield chunk
        return
    async for chunk in chunks:
        if chunk:
            yield encoder.chunk(chunk)
    yield encoder.finish()


_date_cache: tuple[int, str] = (0, "")


def http_date() -> str:
    """The Date header, formatted once a second rather than once a request."""
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, formatdate(now, usegmt=True))
    return _date_cache[1]


async def body_chunks(body: Any) -> AsyncIterator[bytes]:
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


async def close_body(body: Any) -> None:
    """Close a generator body so its ``finally`` blocks run."""
    try:
        if hasattr(body, "aclose"):
            await body.aclose()
        elif hasattr(body, "close") and not isinstance(body, (bytes, str)):
            body.close()
    except Exception:
        pass
