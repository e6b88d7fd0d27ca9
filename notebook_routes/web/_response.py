"""What a handler returns: ``Response`` (Fetch) and ``NextResponse`` (Next.js).

>>> r = Response.json({"slug": "a"})
>>> r.status, r.headers.get("content-type"), r.body
(200, 'application/json', b'{"slug":"a"}')
>>> Response("hi").headers.get("content-type")
'text/plain; charset=utf-8'
>>> r = NextResponse.json({"ok": True})
>>> r.cookies.set("b", "1")
>>> r.headers.get_set_cookie()
['b=1; Path=/']
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import AsyncIterable, Iterable, Mapping
from typing import Any, TypeVar

from notebook_routes.web._cookies import ResponseCookies
from notebook_routes.web._headers import Headers, HeadersInit

R = TypeVar("R", bound="Response")

Body = str | bytes | bytearray | memoryview | Iterable[Any] | AsyncIterable[Any] | None

TEXT_PLAIN = "text/plain; charset=utf-8"
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
# Statuses whose responses never carry a body (RFC 9110).
NULL_BODY_STATUSES = (204, 205, 304)


class NoResponse(Exception):
    """A handler returned ``None``; dispatch answers 500 with this message in the log."""

    def __init__(self, route: str | None = None) -> None:
        self.route = route
        where = f" '{route}'" if route else ""
        super().__init__(
            f"No response is returned from route handler{where}. Ensure you return a "
            "`Response` or a `NextResponse` in all branches of your handler."
        )


def encode_chunk(chunk: object) -> bytes:
    """One chunk of a streamed body as bytes (str is UTF-8)."""
    if isinstance(chunk, str):
        return chunk.encode("utf-8")
    if isinstance(chunk, (bytes, bytearray, memoryview)):
        return bytes(chunk)
    raise TypeError(f"A streamed body yields str or bytes chunks; got {type(chunk).__name__}.")


def _check_status(status: object) -> int:
    if not isinstance(status, int) or isinstance(status, bool) or not 200 <= status <= 599:
        raise ValueError(f"Response status must be an int from 200 to 599; got {status!r}.")
    return status


class Response:
    """An HTTP response as the Fetch API's ``Response``.

    ``body`` is a str (sent as UTF-8, ``text/plain; charset=utf-8`` unless a
    Content-Type is given), bytes, ``None``, or a sync or async iterable of
    str/bytes chunks, streamed as produced. Bytes, streamed and empty bodies
    get no Content-Type unless the caller sets one.
    """

    middleware_only: str | None = None

    def __init__(self, body: Body = None, *, status: int = 200, headers: HeadersInit = None):
        self.status: int = _check_status(status)
        self.headers: Headers = Headers(headers)
        self.is_stream: bool = False
        if status in NULL_BODY_STATUSES and isinstance(body, (str, bytes)) and not body:
            body = None
        if body is None:
            self.body: Any = None
        elif isinstance(body, str):
            self.body = body.encode("utf-8")
            if not self.headers.has("content-type"):
                self.headers.set("Content-Type", TEXT_PLAIN)
        elif isinstance(body, (bytes, bytearray, memoryview)):
            self.body = bytes(body)
        elif isinstance(body, Mapping):
            raise TypeError("Response body cannot be a dict; use Response.json(data) to send JSON.")
        elif isinstance(body, (AsyncIterable, Iterable)):
            self.body = body
            self.is_stream = True
        else:
            raise TypeError(
                "Response body must be str, bytes, None or an iterator of str/bytes chunks; "
                f"got {type(body).__name__}. Use Response.json(data) to send JSON."
            )
        if status in NULL_BODY_STATUSES and self.body is not None:
            raise ValueError(f"A response with status {status} cannot have a body; pass None.")

    @property
    def ok(self) -> bool:
        """True for a 2xx status."""
        return 200 <= self.status <= 299

    @classmethod
    def json(cls: type[R], data: Any, *, status: int = 200, headers: HeadersInit = None) -> R:
        """``data`` as compact JSON (as ``JSON.stringify``), Content-Type ``application/json``.

        >>> Response.json({"name": "Zoë", "n": [1, 2]}).body.decode()
        '{"name":"Zoë","n":[1,2]}'
        """
        text = jsonlib.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        response = cls(text.encode("utf-8"), status=status, headers=headers)
        if headers is None:
            response.headers._pairs.append(("Content-Type", "application/json"))  # known valid
        elif not response.headers.has("content-type"):
            response.headers.set("Content-Type", "application/json")
        return response

    @classmethod
    def redirect(cls: type[R], url: str, status: int = 307) -> R:
        """A redirect to ``url`` (``Location`` header) with 301, 302, 303, 307 or 308."""
        if status not in REDIRECT_STATUSES:
            raise ValueError(
                f"Redirect status must be one of 301, 302, 303, 307, 308; got {status!r}."
            )
        if not isinstance(url, str) or not url:
            raise TypeError(f"Response.redirect() needs a non-empty URL str; got {url!r}.")
        return cls(None, status=status, headers={"Location": url})

    def __repr__(self) -> str:
        if self.is_stream:
            body = "<stream>"
        elif isinstance(self.body, bytes) and len(self.body) > 60:
            body = f"<{len(self.body)} bytes>"
        else:
            body = repr(self.body)
        return f"{type(self).__name__}({body}, status={self.status}, headers={self.headers!r})"


class NextResponse(Response):
    """``Response`` plus ``cookies``, bound to its own headers.

    >>> r = NextResponse("bye")
    >>> r.cookies.delete("c")
    >>> r.headers.get("set-cookie")
    'c=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT'
    """

    @property
    def cookies(self) -> ResponseCookies:
        """The response's Set-Cookie headers as cookies: ``set()``, ``get()``, ``delete()``."""
        return ResponseCookies(self.headers)

    # What a proxy's NextResponse.next()/rewrite() forward to the handler as its request
    # headers (``request={"headers": ...}``); None keeps the client's.
    forwarded_headers: Headers | None = None

    @classmethod
    def next(
        cls, *, headers: HeadersInit = None, request: Mapping[str, Any] | None = None
    ) -> NextResponse:
        """A proxy's "carry on": the route runs; `headers` reach the client (and the handler).

        ``request={"headers": h}`` gives the handler the request headers `h` instead of the
        client's. A route handler returning it gets a 500.
        """
        response = cls(None, headers=headers)
        response.middleware_only = "NextResponse.next()"
        response.forwarded_headers = _forwarded(request)
        return response

    @classmethod
    def rewrite(
        cls, url: str, *, headers: HeadersInit = None, request: Mapping[str, Any] | None = None
    ) -> NextResponse:
        """A proxy's rewrite: the route at `url` answers, the client's URL unchanged.

        A route handler returning it gets a 500.
        """
        if not isinstance(url, str) or not url:
            raise TypeError(f"NextResponse.rewrite() needs a non-empty URL str; got {url!r}.")
        response = cls(None, headers=headers)
        response.headers.set("x-middleware-rewrite", str(url))
        response.middleware_only = "NextResponse.rewrite()"
        response.forwarded_headers = _forwarded(request)
        return response


def _forwarded(request: Mapping[str, Any] | None) -> Headers | None:
    if request is None:
        return None
    if not isinstance(request, Mapping) or set(request) - {"headers"}:
        raise TypeError(
            f"request= takes {{'headers': Headers(...)}}, the handler's request headers; "
            f"got {request!r}."
        )
    return Headers(request.get("headers"))


def coerce_response(value: object, *, route: str | None = None) -> Response:
    """Turn what a handler returned into a ``Response``.

    A ``Response`` stays as it is; ``dict``/``list`` become JSON, ``str`` text,
    ``bytes`` ``application/octet-stream``. ``None`` raises ``NoResponse``
    (naming ``route`` when given); anything else ``TypeError``.

    >>> coerce_response([1, 2]).body, coerce_response(b"x").headers.get("content-type")
    (b'[1,2]', 'application/octet-stream')
    """
    if isinstance(value, Response):
        return value
    if value is None:
        raise NoResponse(route)
    if isinstance(value, (dict, list)):
        return Response.json(value)
    if isinstance(value, str):
        return Response(value)
    if isinstance(value, (bytes, bytearray)):
        return Response(bytes(value), headers={"Content-Type": "application/octet-stream"})
    where = f" '{route}'" if route else ""
    raise TypeError(
        f"Route handler{where} returned {type(value).__name__}; return a Response or "
        "NextResponse, a dict or list (sent as JSON), a str (text) or bytes."
    )
