"""How a route handler is run: its signature, its context, sync or async, its time limit.

A handler takes ``()``, ``(request)`` or ``(request, context)``, as in a ``route.ts``;
``async def`` handlers run on the server's loop, plain ``def`` handlers in its worker
pool (with the request's context variables, so ``cookies()`` works there too).
`run_handler` calls one inside a request scope and turns whatever it returns or raises
into a `Response`, noting in an `Outcome` what went wrong.

>>> import asyncio
>>> params = Params({"slug": "a"})
>>> params["slug"], asyncio.run(_await(params))
('a', {'slug': 'a'})
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import types
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from notebook_routes._tracebacks import user_traceback
from notebook_routes.routing import RouteError
from notebook_routes.web._context import NavigationSignal
from notebook_routes.web._cookies import merge_cookie_mutations
from notebook_routes.web._request import BadRequest, NextRequest
from notebook_routes.web._response import NoResponse, Response, coerce_response
from notebook_routes.web._scope import RefusedHere, RequestScope, handler_loop, request_scope

if TYPE_CHECKING:
    from notebook_routes._route import Route

ParamValue = str | list[str]


class Params(Mapping[str, ParamValue]):
    """The route's parameters: a mapping you can also ``await`` (Next.js 15+ style)."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, ParamValue]) -> None:
        self._values = dict(values)

    def __getitem__(self, name: str) -> ParamValue:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __await__(self) -> Any:
        return self._resolved().__await__()

    async def _resolved(self) -> dict[str, ParamValue]:
        return dict(self._values)

    def __repr__(self) -> str:
        return f"Params({self._values!r})"


@dataclass(frozen=True)
class RouteContext:
    """The second argument of a handler: ``context.params``."""

    params: Params


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


@dataclass(frozen=True)
class Handler:
    """A handler function with what is needed to call it, worked out once at registration."""

    fn: Callable[..., Any]
    arity: int  # how many of (request, context) it takes
    is_async: bool

    @classmethod
    def wrap(cls, fn: Any, *, method: str, route: str) -> Handler:
        if not callable(fn):
            raise RouteError(
                f"{method} in route {route} is a {type(fn).__name__}, not a function; "
                f"export a function `def {method}(request, context): ...`."
            )
        if type(fn) is types.FunctionType and not fn.__dict__:
            # A plain function (no __wrapped__ or __signature__ to follow): its code object
            # says what inspect.signature would, ten times faster (App.add of 10,000 routes).
            fast = cls._from_code(fn)
            if fast is not None:
                return fast
        try:
            signature = inspect.signature(fn)
        except (TypeError, ValueError):  # builtins without a signature: pass everything
            return cls(fn, 2, inspect.iscoroutinefunction(fn))
        positional = [
            p
            for p in signature.parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        takes_varargs = any(p.kind is p.VAR_POSITIONAL for p in signature.parameters.values())
        required = [p for p in positional if p.default is p.empty]
        required_kw = [
            p
            for p in signature.parameters.values()
            if p.kind is p.KEYWORD_ONLY and p.default is p.empty
        ]
        if len(required) > 2 or required_kw:
            raise RouteError(
                f"{method} in route {route} takes {signature}; a handler takes (), "
                f"(request) or (request, context)."
            )
        arity = 2 if takes_varargs else min(len(positional), 2)
        is_async = inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
            getattr(fn, "__call__", None)  # noqa: B004 - async callable objects
        )
        return cls(fn, arity, is_async)

    @classmethod
    def _from_code(cls, fn: types.FunctionType) -> Handler | None:
        """`wrap` for a plain function, from its code object; None to take the slow path
        (a signature to refuse, so that the message shows it as inspect does)."""
        code = fn.__code__
        positional = code.co_argcount  # positional-only ones included
        required = positional - len(fn.__defaults__ or ())
        required_kw = code.co_kwonlyargcount - len(fn.__kwdefaults__ or {})
        if required > 2 or required_kw:
            return None
        arity = 2 if code.co_flags & inspect.CO_VARARGS else min(positional, 2)
        return cls(fn, arity, bool(code.co_flags & inspect.CO_COROUTINE))

    async def call(self, request: Any, context: RouteContext) -> Any:
        args = (request, context)[: self.arity]
        if self.is_async:
            result = await self.fn(*args)
        else:
            body = getattr(request, "_body", None)
            if self.arity and body is not None:  # it may read the body: wait, holding no thread
                async for _ in body:
                    pass
            # A plain def may block (time.sleep, a database): run it in the worker pool,
            # carrying the request scope along with the context variables.
            loop = asyncio.get_running_loop()
            variables = contextvars.copy_context()
            variables.run(handler_loop.set, loop)  # so request.json() can wait for the body
            run = functools.partial(variables.run, self.fn, *args)
            result = await loop.run_in_executor(None, run)
        if inspect.isawaitable(result):  # a def that returned a coroutine
            result = await result
        return result


@dataclass
class Outcome:
    """What dispatch learnt about a request, for its log entry."""

    route: Route | None = None
    params: dict[str, Any] = field(default_factory=dict)
    cache: str | None = None
    error: str | None = None
    traceback: str | None = None
    dynamic_usage: list[str] = field(default_factory=list)
    proxy: str | None = None  # what the proxy did: next, rewrite to X, redirect, ...


class _Overtime(Exception):
    """The handler ran past the route's max_duration."""


async def _within(call: Any, limit: float | None) -> Any:
    if not limit:
        return await call
    task = asyncio.ensure_future(call)
    done, _ = await asyncio.wait({task}, timeout=limit)
    if not done:
        # A plain def keeps its worker thread until it returns; the client is answered now.
        task.cancel()
        raise _Overtime
    return task.result()


async def run_handler(
    route: Route,
    handler: Handler,
    request: NextRequest,
    params: dict[str, Any],
    outcome: Outcome,
) -> Response:
    """Call `handler` in a request scope and turn what it returns or raises into a Response."""
    route_context = RouteContext(Params(params))
    limit = route.config.max_duration
    with request_scope(request, route=route.source) as scope:
        try:
            return await _run_in_scope(
                route, handler, request, route_context, limit, scope, outcome
            )
        finally:
            outcome.dynamic_usage = list(scope.dynamic_usage)


async def _run_in_scope(
    route: Route,
    handler: Handler,
    request: NextRequest,
    route_context: RouteContext,
    limit: float | None,
    scope: RequestScope,
    outcome: Outcome,
) -> Response:
    keep_cookies = True
    try:
        result = await _within(handler.call(request, route_context), limit)
        if route.kind == "page" and isinstance(result, str):
            result = Response(result, headers={"Content-Type": "text/html; charset=utf-8"})
        response = coerce_response(result)
        middleware_only = getattr(response, "middleware_only", None)
        if middleware_only:
            outcome.error = (
                f"{middleware_only} was returned from route handler '{route.source}', "
                f"but it only works in middleware. Return a Response or a NextResponse "
                f"from a route handler."
            )
            return Response(status=500)
    except NavigationSignal as signal:
        response = signal.to_response()
        keep_cookies = signal.keeps_cookies
    except BadRequest as exc:
        outcome.error = f"BadRequest: {exc}"
        response = Response(str(exc), status=400)
    except NoResponse:
        outcome.error = (
            f"No response is returned from route handler '{route.source}'. Ensure you "
            f"return a `Response` or a `NextResponse` in all branches of your handler."
        )
        return Response(status=500)
    except _Overtime:
        outcome.error = (
            f"Route {route.source} ran longer than max_duration = {limit} s and was cancelled."
        )
        return Response(status=504)
    except RefusedHere as exc:  # Next.js's own message, word for word
        outcome.error = str(exc)
        outcome.traceback = user_traceback(exc)
        return Response(status=500)
    except Exception as exc:
        outcome.error = f"{type(exc).__name__}: {exc}"
        outcome.traceback = user_traceback(exc)
        return Response(status=500)
    if keep_cookies and scope.cookies_changed:
        merge_cookie_mutations(response.headers, scope.cookies)
    return response
