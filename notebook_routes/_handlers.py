"""How a route handler is called: its signature, its context, sync or async.

A handler takes ``()``, ``(request)`` or ``(request, context)``, as in a ``route.ts``;
``async def`` handlers run on the server's loop, plain ``def`` handlers in its worker
pool (with the request's context variables, so ``cookies()`` works there too).

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
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from notebook_routes.routing import RouteError
from notebook_routes.web._context import handler_loop

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

    async def call(self, request: Any, context: RouteContext) -> Any:
        args = (request, context)[: self.arity]
        if self.is_async:
            result = await self.fn(*args)
        else:
            # A plain def may block (time.sleep, a database): run it in the worker pool,
            # carrying the request scope along with the context variables.
            loop = asyncio.get_running_loop()
            scope = contextvars.copy_context()
            scope.run(handler_loop.set, loop)  # so request.json() can wait for the body
            run = functools.partial(scope.run, self.fn, *args)
            result = await loop.run_in_executor(None, run)
        if inspect.isawaitable(result):  # a def that returned a coroutine
            result = await result
        return result
