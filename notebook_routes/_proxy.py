"""The proxy (Next.js 16's ``proxy.ts``, the renamed middleware): one function that runs
before every request its matcher selects, and what its answer means.

A ``%%proxy`` cell or a ``proxy.py`` at the root of an app folder defines it::

    def proxy(request):
        if not request.cookies.get("session"):
            return Response.json({"blocked": True}, status=403)
        return NextResponse.next(headers={"x-seen": "1"})

    config = {"matcher": ["/api/:path*"]}

`read_answer` says what the returned value asks for; dispatch (`notebook_routes._dispatch`)
acts on it, in Next.js's order:

>>> from notebook_routes.web._response import NextResponse
>>> read_answer(None, "http://localhost:3000").kind
'next'
>>> step = read_answer(NextResponse.rewrite("http://localhost:3000/api/echo/abc?q=1"),
...                    "http://localhost:3000")
>>> step.kind, step.target, step.describe()
('rewrite', '/api/echo/abc?q=1', 'rewrite to /api/echo/abc?q=1')
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl, urljoin, urlsplit

from notebook_routes._handlers import Handler, RouteContext
from notebook_routes._matchers import Matcher, parse_matchers
from notebook_routes.routing import RouteError
from notebook_routes.web._headers import Headers
from notebook_routes.web._request import NextRequest
from notebook_routes.web._response import Response
from notebook_routes.web._scope import request_scope

PROXY_FILE = "proxy.py"
REDIRECTS = (301, 302, 303, 307, 308)
# What Next.js answers when the proxy throws (observed on 16.4.6).
ERROR_CACHE_CONTROL = "private, no-cache, no-store, max-age=0, must-revalidate"
ERROR_TEXT = "Internal Server Error"


@dataclass(eq=False)
class Proxy:
    """The app's proxy: its function, its matchers (None: every path), where it came from."""

    handler: Handler
    matchers: tuple[Matcher, ...] | None
    namespace: Mapping[str, Any]
    origin: str | None = None

    def applies(self, request: NextRequest) -> bool:
        """Whether the proxy runs for `request` (path, then has/missing, as Next.js tests)."""
        if self.matchers is None:
            return True
        url = request.next_url
        query = dict(parse_qsl(url._query, keep_blank_values=True))
        return any(m.matches(url.pathname, request._headers, query) for m in self.matchers)

    @property
    def matcher_text(self) -> str:
        """The matchers as written, for the inspector: ``/api/:path*, /r/:slug``."""
        if self.matchers is None:
            return "every path"
        return ", ".join(str(m) for m in self.matchers)

    def __repr__(self) -> str:
        return f"Proxy(matcher={self.matcher_text!r})"


def proxy_from_namespace(namespace: Mapping[str, Any], origin: str | None = None) -> Proxy:
    """The proxy a ``proxy.py``-like namespace defines; `RouteError` names what is wrong."""
    fn = namespace.get("proxy", namespace.get("default"))
    if fn is None:
        raise RouteError(
            "The proxy must export a function named `proxy`: "
            "def proxy(request): return NextResponse.next()."
        )
    handler = Handler.wrap(fn, method="proxy", route="proxy")
    config = namespace.get("config", {})
    if not isinstance(config, Mapping):
        raise RouteError(
            f"The proxy's config must be a dict such as {{'matcher': ['/api/:path*']}}, "
            f"not {type(config).__name__}."
        )
    matcher = config.get("matcher")
    matchers = None if matcher is None else parse_matchers(matcher)
    return Proxy(handler, matchers, dict(namespace), origin)


def proxy_request(request: NextRequest) -> NextRequest:
    """The request the proxy sees: the same, with ``localhost`` for a loopback host."""
    url = request.next_url
    hostname = url.hostname
    if hostname.startswith("127.") or hostname in ("::1", "[::1]"):
        host = f"localhost:{url.port}" if url.port else "localhost"
        target = url.pathname + (f"?{url._query}" if url._query else "")
        return NextRequest(
            request.method,
            f"{url.protocol}//{host}{target}",
            headers=request._headers,
            body=request._body,
        )
    return request


async def call_proxy(proxy: Proxy, request: NextRequest) -> Any:
    """Run the proxy function on `request`, in a request scope of its own."""
    with request_scope(request, route=None):
        return await proxy.handler.call(request, RouteContext(params=None))  # type: ignore[arg-type]


Kind = Literal["next", "rewrite", "redirect", "answer"]


@dataclass
class Step:
    """What the proxy's answer asks dispatch to do."""

    kind: Kind
    response: Response
    target: str | None = None  # rewrite: the path and query to route; redirect: Location
    request_headers: Headers | None = None  # NextResponse.next(request={"headers": ...})

    def describe(self) -> str:
        """One line for the request log: ``next``, ``rewrite to /x``, ``redirect 307 to /y``."""
        if self.kind == "rewrite":
            return f"rewrite to {self.target}"
        if self.kind == "redirect":
            return f"redirect {self.response.status} to {self.target}"
        if self.kind == "answer":
            return f"answered {self.response.status}"
        return "next"

    def passed_headers(self) -> list[tuple[str, str]]:
        """The proxy's response headers that reach the client on next/rewrite."""
        return [
            (name, value)
            for name, value in self.response.headers.raw_items()
            if not name.lower().startswith("x-middleware-")
        ]


def _same_origin_relative(url: str, origins: tuple[str, ...]) -> str:
    """`url` as a path (and query) when it points at this server, else unchanged."""
    parts = urlsplit(url)
    if not parts.scheme:
        return url
    if f"{parts.scheme}://{parts.netloc}".lower() in origins:
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return url


def read_answer(value: Any, *origins: str) -> Step:
    """What the proxy's return value asks for. `origins` are this server's (same-origin URLs
    become relative, as Next.js writes them). TypeError for a value that is no response."""
    known = tuple(o.lower() for o in origins)
    if value is None:  # returning nothing carries on, as in Next.js
        return Step("next", Response(None))
    if not isinstance(value, Response):
        raise TypeError(
            f"The proxy returned {type(value).__name__}; return a Response, "
            f"NextResponse.next(), NextResponse.rewrite(url), NextResponse.redirect(url) or None."
        )
    forwarded = getattr(value, "forwarded_headers", None)
    rewrite = value.headers.get("x-middleware-rewrite")
    if rewrite is not None:
        base = known[0] if known else "http://localhost"
        target = _same_origin_relative(urljoin(base + "/", rewrite), known)
        value.headers.set("x-middleware-rewrite", target)
        return Step("rewrite", value, target, forwarded)
    if getattr(value, "middleware_only", None) == "NextResponse.next()":
        return Step("next", value, None, forwarded)
    location = value.headers.get("location")
    if value.status in REDIRECTS and location is not None:
        return Step("redirect", value, _same_origin_relative(location, known))
    return Step("answer", value)


def redirect_response(step: Step) -> Response:
    """A proxy's redirect as Next.js sends it: Location relative when same-origin, the
    target as the body, no Content-Type; a 308 adds ``Refresh: 0;url=<target>``."""
    target = step.target or "/"
    headers = [
        (n, v)
        for n, v in step.passed_headers()
        if n.lower() not in ("location", "content-type", "content-length")
    ]
    headers.append(("location", target))
    if step.response.status == 308:
        headers.append(("Refresh", f"0;url={target}"))
    return Response(target.encode(), status=step.response.status, headers=headers)


def error_response() -> Response:
    """The answer when the proxy raises (the log entry has the traceback)."""
    return Response(
        ERROR_TEXT.encode(),
        status=500,
        headers={"Content-Type": "text/plain", "Cache-Control": ERROR_CACHE_CONTROL},
    )


def failure(exc: BaseException) -> tuple[str, str]:
    """The log's error line and traceback for a proxy that raised."""
    return f"The proxy raised {type(exc).__name__}: {exc}", traceback.format_exc()


def handler_request(request: NextRequest, step: Step) -> NextRequest:
    """The request the route's handler gets after the proxy: the original URL; the forwarded
    request headers (or the client's), with the headers the proxy set on its response on top
    (Set-Cookie aside: the handler's cookies do not see the proxy's)."""
    passed = [(n, v) for n, v in step.passed_headers() if n.lower() != "set-cookie"]
    if step.request_headers is None and not passed:
        return request
    headers = Headers(
        step.request_headers if step.request_headers is not None else request._headers
    )
    for name in {n.lower() for n, _ in passed}:
        headers.delete(name)
    for name, value in passed:
        headers.append(name, value)
    return NextRequest(request.method, request._url, headers=headers, body=request._body)


__all__ = [
    "PROXY_FILE",
    "Proxy",
    "Step",
    "call_proxy",
    "error_response",
    "handler_request",
    "proxy_from_namespace",
    "proxy_request",
    "read_answer",
    "redirect_response",
]
