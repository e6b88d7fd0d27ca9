"""The request-scoped helpers handlers call: ``cookies()``, ``headers()``, ``redirect()``, ...

They find the request being handled through the scope (`web._scope`), so they work in
``async def`` handlers and in plain ``def`` handlers alike; outside a handler they raise
a RuntimeError that says so.

>>> from notebook_routes.web._request import NextRequest
>>> from notebook_routes.web._scope import request_scope
>>> request = NextRequest("GET", "http://127.0.0.1:8123/a", headers={"Cookie": "a=1"})
>>> with request_scope(request, route="/a") as scope:
...     cookies().set("b", "1")
...     cookies().get("a").value
'1'
>>> [c.name for c in scope.cookies.mutations], scope.dynamic_usage
(['b'], ['cookies()'])
"""

from __future__ import annotations

from typing import Any, NoReturn

from notebook_routes.web._cookies import EPOCH, Cookie, MutableRequestCookies
from notebook_routes.web._headers import Headers
from notebook_routes.web._response import Response
from notebook_routes.web._scope import (
    RequestScope,
    current_serving,
    note_dynamic_usage,
    require_scope,
)


def cookies() -> MutableRequestCookies:
    """The request's cookies; ``set()``/``delete()`` join the response's Set-Cookie."""
    scope = require_scope("cookies()")
    note_dynamic_usage("cookies()")
    return scope.cookies


def headers() -> Headers:
    """The request's headers, read-only."""
    scope = require_scope("headers()")
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
    require_scope("redirect()")
    raise NavigationSignal(307, _check_url("redirect()", url), keeps_cookies=True)


def permanent_redirect(url: str) -> NoReturn:
    """Answer 308 with ``Location: url``; cookies set with ``cookies()`` go along."""
    require_scope("permanent_redirect()")
    raise NavigationSignal(308, _check_url("permanent_redirect()", url), keeps_cookies=True)


def not_found() -> NoReturn:
    """Answer 404 with an empty body; changes made with ``cookies()`` are dropped."""
    require_scope("not_found()")
    raise NavigationSignal(404)


def forbidden() -> NoReturn:
    """Answer 403 with an empty body; changes made with ``cookies()`` are dropped."""
    require_scope("forbidden()")
    raise NavigationSignal(403)


def unauthorized() -> NoReturn:
    """Answer 401 with an empty body; changes made with ``cookies()`` are dropped."""
    require_scope("unauthorized()")
    raise NavigationSignal(401)


class _Connected:
    """What ``connection()`` returns: nothing to use, but ``await connection()`` works."""

    def __await__(self) -> Any:
        return _nothing().__await__()

    def __repr__(self) -> str:
        return "connection()"


async def _nothing() -> None:
    return None


def connection() -> _Connected:
    """Say that the answer depends on the request: the route renders per request.

    A plain call like ``cookies()`` (``await connection()`` works too). In a route with
    ``revalidate`` it makes the GET dynamic; under ``dynamic = "force-static"`` it is ignored.
    """
    require_scope("connection()")
    note_dynamic_usage("connection()")
    return _Connected()


PRERENDER_BYPASS = "__prerender_bypass"
PREVIEW_DATA = "__next_preview_data"


def _bypass_cookie(value: str, *, expired: bool) -> Cookie:
    return Cookie(
        PRERENDER_BYPASS,
        value,
        path="/",
        expires=EPOCH if expired else None,
        secure=True,
        http_only=True,
        same_site="none",
    )


class DraftMode:
    """What ``draft_mode()`` returns: ``is_enabled``, ``enable()``, ``disable()``."""

    def __init__(self, scope: RequestScope, key: str) -> None:
        self._scope = scope
        self._key = key

    @property
    def is_enabled(self) -> bool:
        """Whether the request carries this app's draft-mode cookie."""
        cookie = self._scope.request._cookie_jar().get(PRERENDER_BYPASS)
        return cookie is not None and cookie.value == self._key

    def enable(self) -> None:
        """Set the draft-mode cookie: static routes then render per request for this client."""
        self._scope.cookies.set(_bypass_cookie(self._key, expired=False))

    def disable(self) -> None:
        """Clear the draft-mode cookie."""
        self._scope.cookies.set(_bypass_cookie("", expired=True))

    def __repr__(self) -> str:
        return f"DraftMode(is_enabled={self.is_enabled})"


def draft_mode() -> DraftMode:
    """Draft mode (Next.js's ``draftMode()``): see a static route's fresh answer per request."""
    scope = require_scope("draft_mode()")
    state = current_serving()
    key = getattr(state.app, "draft_key", None) if state is not None else None
    if not isinstance(key, str):
        raise RuntimeError("draft_mode() needs a request served by an App.")
    return DraftMode(scope, key)
