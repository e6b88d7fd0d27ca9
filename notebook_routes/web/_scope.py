"""The request scope: which request is being handled, found through a ``ContextVar``.

Dispatch opens a scope around each handler call. The scope is found through a
``ContextVar``, so it is there in ``async def`` handlers on the server's loop and in
plain ``def`` handlers run in a worker thread under ``contextvars.copy_context().run(...)``.
This module is the bottom of `notebook_routes.web`: the request objects (`web._request`)
and the user-facing helpers (`web._context`: ``cookies()``, ``redirect()`` ...) sit on it.

>>> from notebook_routes.web._request import NextRequest
>>> request = NextRequest("GET", "http://127.0.0.1:8123/a")
>>> with request_scope(request, route="/a") as scope:
...     note_dynamic_usage("request.headers")
...     current_scope() is scope
True
>>> scope.dynamic_usage, current_scope()
(['request.headers'], None)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from notebook_routes.web._cookies import MutableRequestCookies

if TYPE_CHECKING:
    from notebook_routes.web._request import NextRequest


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


@dataclass
class Serving:
    """One request as the app serves it, proxy and handler alike: the app answering it and
    the callbacks given to ``after()`` (run once the response is sent).

    Set by dispatch for the whole request, so ``revalidate_path()``, ``draft_mode()`` and
    ``after()`` act on the app that serves the request, not on the kernel's default app.
    """

    app: Any
    after: list[tuple[Any, Any]] = field(default_factory=list)  # (callback, its context)


T = TypeVar("T")


class RefusedHere(RuntimeError):
    """An API called where it cannot work; the request's log entry shows the message as is.

    The request gets a 500 with an empty body, as Next.js answers these.
    """


_current: ContextVar[RequestScope | None] = ContextVar("notebook_routes_scope", default=None)
_serving: ContextVar[Serving | None] = ContextVar("notebook_routes_serving", default=None)
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


@contextmanager
def serving(app: Any) -> Iterator[Serving]:
    """Make `app` the app serving the code inside; ``after()`` callbacks collect on it."""
    state = Serving(app)
    token = _serving.set(state)
    try:
        yield state
    finally:
        _serving.reset(token)


def current_serving() -> Serving | None:
    """The request being served (its app, its after() callbacks), or None outside one."""
    return _serving.get()


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


def require_scope(api: str) -> RequestScope:
    """The current scope, or a RuntimeError saying that `api` needs a request being handled."""
    scope = _current.get()
    if scope is None:
        raise RuntimeError(
            f"{api} was called outside a route handler; it must be called while a request "
            "is being handled (inside a %%route cell or a route's GET/POST/... function)."
        )
    return scope
