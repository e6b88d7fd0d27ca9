"""The request a handler receives: ``Request`` (Fetch) and ``NextRequest`` (Next.js).

>>> request = NextRequest(
...     "post", "http://127.0.0.1:8123/api/search?query=hello",
...     headers={"Content-Type": "application/json", "Cookie": "token=abc"},
...     body='{"a": 1}',
... )
>>> request.method, request.next_url.pathname, request.next_url.search_params.get("query")
('POST', '/api/search', 'hello')
>>> request.cookies.get("token").value
'abc'
>>> import asyncio; asyncio.run(request.json())
{'a': 1}

Reading a request-time input (headers, cookies, the URL's query, the body)
calls ``note_dynamic_usage`` so the caching layer knows the route depends on
the request; reading ``method`` or ``next_url.pathname`` does not.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import SplitResult, parse_qsl, quote_plus, urlsplit

from notebook_routes.web._cookies import RequestCookies
from notebook_routes.web._formdata import FormData, Pairs, decode_utf8, parse_form
from notebook_routes.web._headers import Headers, HeadersInit
from notebook_routes.web._scope import awaited_here, iterated_here, note_dynamic_usage

_METHOD = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


class BadRequest(ValueError):
    """The client sent a body the handler cannot read; ``str()`` is a one-line reason.

    Dispatch answers 400 with that reason when the handler does not catch it.
    """


class BodyStream:
    """A request body as it arrives, readable by any number of readers.

    Created and used on one asyncio loop (the server's). Chunks are kept, so a
    late reader still sees every chunk from the first.

    >>> body = BodyStream(b"done")
    >>> asyncio.run(body.read())
    b'done'
    """

    def __init__(self, data: bytes | None = None) -> None:
        self._chunks: list[bytes] = [bytes(data)] if data else []
        self._finished = data is not None
        self._error: BaseException | None = None
        self._waiters: list[asyncio.Future[None]] = []
        self._whole: bytes | None = None

    @property
    def finished(self) -> bool:
        return self._finished

    def feed(self, chunk: bytes) -> None:
        """Add a chunk that just arrived."""
        if self._finished:
            raise RuntimeError("BodyStream.feed() after finish() or fail(): the body is complete.")
        if chunk:
            self._chunks.append(bytes(chunk))
            self._wake()

    def finish(self) -> None:
        """Mark the body complete."""
        self._finished = True
        self._wake()

    def fail(self, exc: BaseException) -> None:
        """End the body with an error (say, the client went away); readers raise ``exc``."""
        self._error = exc
        self._finished = True
        self._wake()

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def _chunks_as_they_come(self) -> AsyncIterator[bytes]:
        index = 0
        while True:
            if index < len(self._chunks):
                index += 1
                yield self._chunks[index - 1]
            elif self._error is not None:
                raise self._error
            elif self._finished:
                return
            else:
                waiter = asyncio.get_running_loop().create_future()
                self._waiters.append(waiter)
                await waiter

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks_as_they_come()

    async def read(self) -> bytes:
        """The whole body, once it has all arrived (cached)."""
        if self._whole is None:
            async for _ in self:
                pass
            self._whole = b"".join(self._chunks)
        return self._whole

    def __repr__(self) -> str:
        size = sum(len(c) for c in self._chunks)
        return f"BodyStream(<{size} bytes{'' if self._finished else ' so far'}>)"


class Request:
    """An HTTP request as the Fetch API's ``Request``.

    ``body`` may be bytes, a str (sent as UTF-8), a ``BodyStream`` still
    arriving, or ``None``. The body readers may be called more than once and
    in any order.
    """

    def __init__(
        self,
        method: str,
        url: str,
        *,
        headers: HeadersInit = None,
        body: bytes | str | BodyStream | None = None,
    ) -> None:
        if not isinstance(method, str) or not _METHOD.fullmatch(method):
            raise ValueError(f"Invalid request method {method!r}: use a token such as 'GET'.")
        self.method: str = method.upper()
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise ValueError(
                f"Request url must be absolute, like 'http://127.0.0.1:8123/items/a'; got {url!r}."
            )
        try:
            port = parts.port  # urlsplit checks the port only when asked
        except ValueError:
            raise ValueError(f"Request url {url!r} has an invalid port.") from None
        self._parts = (parts, port)  # NextURL takes them apart no further
        path = parts.path or "/"
        query = f"?{parts.query}" if parts.query else ""
        self._url = f"{parts.scheme.lower()}://{parts.netloc}{path}{query}"
        self._headers = Headers(headers, readonly=True)
        if isinstance(body, BodyStream):
            self._body = body
        elif isinstance(body, str):
            self._body = BodyStream(body.encode("utf-8"))
        elif isinstance(body, (bytes, bytearray, memoryview)):
            self._body = BodyStream(bytes(body))
        elif body is None:
            self._body = BodyStream(b"")
        else:
            raise TypeError(
                f"Request body must be bytes, str, BodyStream or None; got {type(body).__name__}."
            )

    @property
    def url(self) -> str:
        """The absolute URL, query included: ``http://127.0.0.1:8123/items/a?x=1``."""
        note_dynamic_usage("request.url")
        return self._url

    @property
    def headers(self) -> Headers:
        """The request headers (read-only; ``Headers(request.headers)`` is a mutable copy)."""
        note_dynamic_usage("request.headers")
        return self._headers

    def stream(self) -> Any:
        """The body's chunks as they arrive: ``async for`` (a plain ``def`` handler: ``for``)."""
        note_dynamic_usage("request.stream()")
        return iterated_here(aiter(self._body))

    def body(self) -> Any:
        """The body as bytes: ``await request.body()`` (a plain ``def`` handler: no await)."""
        note_dynamic_usage("request.body()")
        return awaited_here(self._body.read())

    def text(self) -> Any:
        """The body as UTF-8, as the Fetch API decodes it.

        Always UTF-8 whatever the Content-Type's charset says, bad bytes become U+FFFD,
        and one leading byte order mark is dropped.
        """
        note_dynamic_usage("request.text()")
        return awaited_here(self._text())

    async def _text(self) -> str:
        return decode_utf8(await self._body.read())

    def json(self) -> Any:
        """The body parsed as JSON; ``BadRequest`` when it is empty or invalid.

        ``await request.json()`` in an ``async def`` handler; in a plain ``def`` handler
        (which runs on a worker thread) ``request.json()`` waits and gives the value.
        """
        note_dynamic_usage("request.json()")
        return awaited_here(self._json())

    async def _json(self) -> Any:
        text = await self._text()
        if not text.strip():
            raise BadRequest("Request body is empty: request.json() needs a JSON body")
        try:
            return jsonlib.loads(text, parse_constant=_reject_constant)
        except jsonlib.JSONDecodeError as exc:
            raise BadRequest(
                f"Invalid JSON in request body: {exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from None
        except _NotJSON as exc:
            raise BadRequest(f"Invalid JSON in request body: {exc}") from None

    def form_data(self) -> Any:
        """The body as a form (urlencoded or multipart); ``BadRequest`` for anything else."""
        note_dynamic_usage("request.form_data()")
        return awaited_here(self._form_data())

    async def _form_data(self) -> FormData:
        data = await self._body.read()
        try:
            return parse_form(data, self._headers.get("content-type"))
        except ValueError as exc:
            raise BadRequest(str(exc)) from None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.method!r}, {self._url!r})"


class _NotJSON(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    # Python accepts NaN and Infinity; JSON (and JSON.parse) does not.
    raise _NotJSON(f"{name} is not a JSON value")


class SearchParams(Pairs[str]):
    """A query string read like ``URLSearchParams`` (read-only).

    >>> params = SearchParams("query=hello+world&tag=a&tag=b&empty")
    >>> params.get("query"), params.get_all("tag"), params.get("empty"), params.get("nope")
    ('hello world', ['a', 'b'], '', None)
    >>> str(params)
    'query=hello+world&tag=a&tag=b&empty='
    """

    __slots__ = ()

    def __init__(self, query: str = "") -> None:
        super().__init__(parse_qsl(query.removeprefix("?"), keep_blank_values=True))

    def __str__(self) -> str:
        def encode(text: str) -> str:
            # URLSearchParams leaves only *-._ and alphanumerics unescaped.
            return quote_plus(text, safe="*").replace("~", "%7E")

        return "&".join(f"{encode(k)}={encode(v)}" for k, v in self._pairs)

    def __repr__(self) -> str:
        return f"SearchParams({str(self)!r})"


class NextURL:
    """The request URL taken apart, like ``request.nextUrl`` in Next.js.

    >>> url = NextURL("http://127.0.0.1:8123/api/search?query=hello")
    >>> url.origin, url.host, url.port, url.pathname, url.search
    ('http://127.0.0.1:8123', '127.0.0.1:8123', '8123', '/api/search', '?query=hello')

    Everything but ``protocol`` and ``pathname`` comes from the request (the client's
    ``Host`` and query), so reading it is dynamic usage: a cached render never keeps it.
    """

    __slots__ = ("protocol", "_host", "_hostname", "_port", "pathname", "_query", "_params")

    def __init__(self, url: str, *, _split: tuple[SplitResult, int | None] | None = None) -> None:
        parts, port = _split if _split is not None else (urlsplit(url), None)
        if _split is None:
            port = parts.port
        self.protocol: str = f"{parts.scheme}:"
        self._host = parts.netloc.rpartition("@")[2]
        self._hostname = parts.hostname or ""
        self._port = str(port) if port is not None else ""
        self.pathname: str = parts.path or "/"
        self._query = parts.query
        self._params: SearchParams | None = None

    @property
    def host(self) -> str:
        """``"127.0.0.1:8123"``: the client's ``Host``, which a cached answer must not keep."""
        note_dynamic_usage("request.next_url.host")
        return self._host

    @property
    def hostname(self) -> str:
        """``"127.0.0.1"``: the host without its port."""
        note_dynamic_usage("request.next_url.hostname")
        return self._hostname

    @property
    def port(self) -> str:
        """``"8123"``, or ``""`` when the ``Host`` names none."""
        note_dynamic_usage("request.next_url.port")
        return self._port

    @property
    def search(self) -> str:
        """``"?query=hello"``, or ``""`` without a query."""
        note_dynamic_usage("request.next_url.search")
        return f"?{self._query}" if self._query else ""

    @property
    def search_params(self) -> SearchParams:
        note_dynamic_usage("request.next_url.search_params")
        if self._params is None:
            self._params = SearchParams(self._query)
        return self._params

    @property
    def origin(self) -> str:
        note_dynamic_usage("request.next_url.origin")
        return f"{self.protocol}//{self._host}"

    @property
    def href(self) -> str:
        note_dynamic_usage("request.next_url.href")
        return self._href()

    def _href(self) -> str:
        query = f"?{self._query}" if self._query else ""
        return f"{self.protocol}//{self._host}{self.pathname}{query}"

    def __str__(self) -> str:
        return self.href

    def __repr__(self) -> str:
        return f"NextURL({self._href()!r})"


class NextRequest(Request):
    """``Request`` plus ``cookies`` and ``next_url``, as in Next.js route handlers."""

    def __init__(
        self,
        method: str,
        url: str,
        *,
        headers: HeadersInit = None,
        body: bytes | str | BodyStream | None = None,
    ) -> None:
        super().__init__(method, url, headers=headers, body=body)
        self.next_url = NextURL(self._url, _split=self._parts)
        self._cookies: RequestCookies | None = None

    def _cookie_jar(self) -> RequestCookies:
        if self._cookies is None:
            # HTTP/2 may split Cookie into several fields; they rejoin with "; ".
            self._cookies = RequestCookies("; ".join(self._headers.get_all("cookie")))
        return self._cookies

    @property
    def cookies(self) -> RequestCookies:
        """The cookies the client sent."""
        note_dynamic_usage("request.cookies")
        return self._cookie_jar()
