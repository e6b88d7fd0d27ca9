"""Request-scoped helpers: ``cookies()``, ``headers()``, ``redirect()``, ``not_found()``, ...

Dispatch opens a scope around each handler call; the helpers find the current
request through a ``ContextVar``, so they work in ``async def`` handlers on the
server's loop and in plain ``def`` handlers run in a worker thread under
``contextvars.copy_context().run(...)``.

>>> from notebook_routes.web._request import NextRequest
>>> request = NextRequest("GET", "http://127.0.0.1:8123/a", headers={"Cookie": "a=1"})
>>> with request_scope(request, route="/a") as scope:
...     cookies().set("b", "1")
...     cookies().get("a").value
'1'
>>> [c.name for c in scope.cookies.mutations], scope.dynamic_usage
(['b'], ['cookies()'])
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from notebook_routes.web._cookies import MutableRequestCookies
from notebook_routes.web._headers import Headers

if TYPE_CHECKING:
    from notebook_routes.web._request import NextRequest
    from notebook_routes.web._response import Response


@dataclass
class RequestScope:
    """What the helpers know about the request being handled."""

    request: NextRequest
    route: str | None = None
    dynamic_usage: list[str] = field(default_factory=list)
    _cookies: MutableRequestCookies | None = None

    @property
    def cookies(self) -> MutableRequestCookies:
        """The request's cookies, parsed on first use (most handlers never ask)."""
        if self._cookies is None:
            self._cookies = MutableRequestCookies(self.request._cookie_jar())
        return self._cookies

    @property
    def cookies_changed(self) -> bool:
        return self._cookies is not None and self._cookies.changed


T = TypeVar("T")

_current: ContextVar[RequestScope | None] = ContextVar("notebook_routes_scope", default=None)
# Set only inside a plain ``def`` handler running on a worker thread: the loop its
# request's body arrives on, so the body readers can wait for it (see `awaited_here`).
handler_loop: ContextVar[asyncio.AbstractEventLoop | None] = ContextVar(
    "notebook_routes_handler_loop", default=None
)


def worker_loop() -> asyncio.AbstractEventLoop | None:
    """The server's loop when called from a plain ``def`` handler's worker thread, else None."""
    loop = handler_loop.get()
    if loop is None:
        return None
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # no loop in this thread: the worker itself
        return loop
    return None  # an event loop the handler started itself: it can await


def awaited_here(awaitable: Coroutine[Any, Any, T]) -> T | Coroutine[Any, Any, T]:
    """`awaitable` itself, or, in a plain ``def`` handler, its value.

    A ``def`` handler runs on a worker thread and cannot ``await``: there the body
    readers (``request.json()``, ...) wait for the body on the server's loop and return
    the value. Everywhere else they return the awaitable, as in Next.js.
    """
    loop = worker_loop()
    if loop is None:
        return awaitable
    return asyncio.run_coroutine_threadsafe(awaitable, loop).result()


def iterated_here(chunks: AsyncIterator[T]) -> AsyncIterator[T] | Iterator[T]:
    """`chunks` itself, or, in a plain ``def`` handler, a plain iterator over them."""
    loop = worker_loop()
    if loop is None:
        return chunks
    return _pulled(chunks, loop)


def _pulled(chunks: AsyncIterator[T], loop: asyncio.AbstractEventLoop) -> Iterator[T]:
    async def pull() -> T:
        return await anext(chunks)

    while True:
        try:
            yield asyncio.run_coroutine_threadsafe(pull(), loop).result()
        except StopAsyncIteration:
            return


@contextmanager
def request_scope(request: NextRequest, route: str | None = None) -> Iterator[RequestScope]:
    """Make ``request`` the current request while the block runs."""
    scope = RequestScope(request=request, route=route)
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)


def current_scope() -> RequestScope | None:
    """The scope of the request being handled, or ``None`` outside a handler."""
    return _current.get()


def note_dynamic_usage(api: str) -> None:
    """Record that the handler read ``api`` (a request-time input). No-op outside a handler.

    The caching layer reads ``scope.dynamic_usage`` to tell a route that can be
    prerendered from one that needs every request (each API is listed once).
    """
    scope = _current.get()
    if scope is not None and api not in scope.dynamic_usage:
        scope.dynamic_usage.append(api)


def _require(api: str) -> RequestScope:
    scope = _current.get()
    if scope is None:
        raise RuntimeError(
            f"{api} was called outside a route handler; it must be called while a request "
            "is being handled (inside a %%route cell or a route's GET/POST/... function)."
        )
    return scope


def cookies() -> MutableRequestCookies:
    """The request's cookies; ``set()``/``delete()`` join the response's Set-Cookie."""
    scope = _require("cookies()")
    note_dynamic_usage("cookies()")
    return scope.cookies


def headers() -> Headers:
    """The request's headers, read-only."""
    scope = _require("headers()")
    note_dynamic_usage("headers()")
    return scope.request._headers


class NavigationSignal(BaseException):
    """Raised by ``redirect()``, ``not_found()``, ... and turned into a response by dispatch.

    A ``BaseException`` on purpose, so that a handler's ``except Exception``
    does not swallow it.

    >>> NavigationSignal(307, "/login", keeps_cookies=True)
    NavigationSignal(307, location='/login', keeps_cookies=True)
    """

    def __init__(self, status: int, location: str | None = None, *, keeps_cookies: bool = False):
        self.status = status
        self.location = location
        self.keeps_cookies = keeps_cookies
        target = f" to {location!r}" if location is not None else ""
        super().__init__(f"navigation signal {status}{target}")

    def to_response(self) -> Response:
        """The response this signal stands for: a redirect, or an empty 404/403/401."""
        from notebook_routes.web._response import Response

        if self.location is None:
            return Response(None, status=self.status)
        return Response(None, status=self.status, headers={"Location": self.location})

    def __repr__(self) -> str:
        return (
            f"NavigationSignal({self.status}, location={self.location!r}, "
            f"keeps_cookies={self.keeps_cookies!r})"
        )


def _check_url(api: str, url: object) -> str:
    if not isinstance(url, str) or not url:
        raise TypeError(f"{api} needs a non-empty URL str, like '/login'; got {url!r}.")
    if any(ch in url for ch in "\r\n\x00"):
        raise ValueError(f"{api} got a URL with a line break: {url!r}.")
    return url


def redirect(url: str) -> NoReturn:
    """Answer 307 with ``Location: url``; cookies set with ``cookies()`` go along."""
    _require("redirect()")
    raise NavigationSignal(307, _check_url("redirect()", url), keeps_cookies=True)


def permanent_redirect(url: str) -> NoReturn:
    """Answer 308 with ``Location: url``; cookies set with ``cookies()`` go along."""
    _require("permanent_redirect()")
    raise NavigationSignal(308, _check_url("permanent_redirect()", url), keeps_cookies=True)


def not_found() -> NoReturn:
    """Answer 404 with an empty body; changes made with ``cookies()`` are dropped."""
    _require("not_found()")
    raise NavigationSignal(404)


def forbidden() -> NoReturn:
    """Answer 403 with an empty body; changes made with ``cookies()`` are dropped."""
    _require("forbidden()")
    raise NavigationSignal(403)


def unauthorized() -> NoReturn:
    """Answer 401 with an empty body; changes made with ``cookies()`` are dropped."""
    _require("unauthorized()")
    raise NavigationSignal(401)
