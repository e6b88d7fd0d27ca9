"""``after()``: work that runs once the response has been sent, as Next.js's ``after``.

A handler (or a proxy) calls ``after(callback)`` with a function, an ``async def``
function or an awaitable; dispatch hands the request's callbacks to the app's
`AfterTasks` when the response is on its way, so a slow callback never delays the
answer. They run whatever the handler did (returned, raised, ``redirect()``,
``not_found()``), concurrently, each in the context it was registered in; a plain
function runs in the worker pool. A callback that raises changes nothing that was sent:
its error is recorded on the request's log entry. The server awaits the callbacks still
running when it stops.

>>> import asyncio
>>> from notebook_routes.web._scope import serving
>>> done = []
>>> async def main():
...     tasks = AfterTasks()
...     with serving(app=None) as state:
...         after(lambda: done.append("sent"))
...     tasks.start(state.after, record=print)
...     await tasks.drain()
>>> asyncio.run(main())
after <lambda>: done
>>> done
['sent']
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import traceback
from collections.abc import Callable
from typing import Any

from notebook_routes.web._scope import current_serving

AFTER_ERROR = "An error occurred in a function passed to `after()`: {error}"

Record = Callable[[str], None]


def after(callback: Any) -> None:
    """Run `callback` (a function, an ``async def`` function or an awaitable) once the
    response has been sent. Call it from a route handler or from the proxy."""
    state = current_serving()
    if state is None:
        raise RuntimeError(
            "after() was called outside a request; call it inside a route handler or the "
            "proxy, while a request is being handled."
        )
    if not (callable(callback) or inspect.isawaitable(callback)):
        raise TypeError(
            f"after() takes a function, an async function or an awaitable, "
            f"not {type(callback).__name__}."
        )
    state.after.append((callback, contextvars.copy_context()))


def _name(callback: Any) -> str:
    name = getattr(callback, "__name__", None)
    if name is None and inspect.iscoroutine(callback):
        name = callback.cr_code.co_name
    return str(name or type(callback).__name__)


async def _call(callback: Any) -> None:
    if inspect.isawaitable(callback):
        await callback
        return
    if inspect.iscoroutinefunction(callback):
        await callback()
        return
    # A plain function may block (a write, a request): the worker pool keeps the loop free.
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    result = await loop.run_in_executor(None, context.run, callback)
    if inspect.isawaitable(result):
        await result


async def run_callback(callback: Any, context: contextvars.Context, record: Record) -> None:
    """Run one callback in its own context; say how it ended through `record`."""
    # A task runs in a copy of the context current when it is made (create_task's
    # `context=` argument is Python 3.11+), so make it inside the callback's context.
    task = context.copy().run(asyncio.get_running_loop().create_task, _call(callback))
    try:
        await task
    except Exception as exc:
        message = AFTER_ERROR.format(error=f"{type(exc).__name__}: {exc}")
        record(f"{message}\n{''.join(traceback.format_exception(exc))}".rstrip())
    else:
        record(f"after {_name(callback)}: done")


class AfterTasks:
    """An app's after() callbacks still running; `drain` awaits them (at server stop)."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Future[Any]] = set()

    def start(self, callbacks: list[tuple[Any, contextvars.Context]], record: Record) -> None:
        """Start `callbacks` on the running loop; they begin once the current step ends."""
        for callback, context in callbacks:
            task = asyncio.ensure_future(run_callback(callback, context, record))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def run(self, callbacks: list[tuple[Any, contextvars.Context]], record: Record) -> None:
        """Run `callbacks` now and wait for them (a prerender, which sends nothing)."""
        await asyncio.gather(*(run_callback(cb, ctx, record) for cb, ctx in callbacks))

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def drain(self) -> None:
        """Wait for every callback started on this loop (the server is stopping)."""
        loop = asyncio.get_running_loop()
        while mine := [t for t in self._tasks if t.get_loop() is loop and not t.done()]:
            await asyncio.gather(*mine, return_exceptions=True)


__all__ = ["AFTER_ERROR", "AfterTasks", "after", "run_callback"]
