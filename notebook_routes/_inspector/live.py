"""Live updates: from the server thread onto the kernel's loop, a few times a second.

The server thread must not touch widgets and must not slow down. Its listener only
queues the entry and, if no refresh is pending, wakes the kernel's loop once
(`call_soon_threadsafe`); the loop then waits out the rest of `interval` before one
refresh folds in everything that arrived. A burst of 500 requests costs 500 appends
and a single wake-up; the front end gets at most ``1 / interval`` refreshes a second.

A slower poll (`poll_interval`) catches what sends no event: routes added by a cell,
cache hits and ages, the traffic chart sliding on.

>>> import asyncio
>>> from notebook_routes import App
>>> from notebook_routes._inspector.state import InspectorState
>>> async def demo():
...     app = App()
...     state = InspectorState(app)
...     feed = LiveFeed(state, asyncio.get_running_loop(), poll_interval=0.01)
...     feed.start()
...     app.add("/a", {"GET": lambda: "a"})
...     await asyncio.sleep(0.05)
...     feed.stop()
...     return [row.pattern for row in state.routes]
>>> asyncio.run(demo())
['/a']
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Callable
from typing import Any, Protocol

from notebook_routes._inspector.state import InspectorState
from notebook_routes._log import LogEntry

REFRESH_INTERVAL_S = 0.25  # at most four refreshes a second reach the front end
POLL_INTERVAL_S = 1.0


class Loop(Protocol):
    """What the feed needs of an event loop (an `asyncio` loop has it all)."""

    def call_soon_threadsafe(self, callback: Callable[..., Any], *args: Any) -> Any: ...
    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> Any: ...
    def time(self) -> float: ...


def kernel_loop() -> Loop | None:
    """The loop of the thread calling (the kernel's, in a notebook cell), or None."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    try:  # ipykernel keeps its loop on the kernel even when a cell runs outside it
        from IPython import get_ipython

        kernel = getattr(get_ipython(), "kernel", None)
        io_loop = getattr(kernel, "io_loop", None)
        return getattr(io_loop, "asyncio_loop", None)
    except ImportError:
        return None


class LiveFeed:
    """Subscribes an `InspectorState` to its app and refreshes it on `loop`.

    Without a loop (plain Python, no kernel) nothing refreshes by itself: call
    `state.refresh()` when you want a new picture.
    """

    def __init__(
        self,
        state: InspectorState,
        loop: Loop | None,
        *,
        interval: float = REFRESH_INTERVAL_S,
        poll_interval: float = POLL_INTERVAL_S,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        if interval <= 0 or poll_interval <= 0:
            raise ValueError(
                f"interval and poll_interval must be positive seconds, "
                f"not {interval!r} and {poll_interval!r}"
            )
        self.state = state
        self.loop = loop
        self.interval = interval
        self.poll_interval = poll_interval
        self.on_error = on_error
        self.running = False
        self._armed = False  # a refresh is scheduled; set from the server thread too
        self._last = float("-inf")
        self._last_poll = float("-inf")
        self._poll_due = False  # the poll timer found a flush pending and left its work to it
        self._flush_handle: Any = None
        self._poll_handle: Any = None
        self._unsubscribe: list[Callable[[], Any]] = []

    def start(self) -> None:
        """Subscribe, take in what is already logged, and draw the first picture."""
        if self.running:
            return
        self.running = True
        self._armed = False
        app = self.state.app
        self._unsubscribe.append(app.log.subscribe(self._on_entry))
        subscribe = getattr(app.cache, "subscribe", None)  # not every CacheStore can notify
        if subscribe is not None:
            self._unsubscribe.append(subscribe(self._on_cache))
        self.state.seed(app.log)
        self._refresh(poll=True)
        if self.loop is not None:
            self._poll_handle = self.loop.call_later(self.poll_interval, self._poll)

    def stop(self) -> None:
        self.running = False
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        for handle in (self._flush_handle, self._poll_handle):
            if handle is not None:
                handle.cancel()
        self._flush_handle = self._poll_handle = None

    def post(self, callback: Callable[[], Any]) -> None:
        """Run `callback` on the loop (from any thread); at once when there is no loop."""
        if self.loop is None:
            callback()
            return
        try:
            self.loop.call_soon_threadsafe(self._guarded, callback)
        except RuntimeError:  # the loop is closed: the kernel is shutting down
            pass

    # -- server thread --------------------------------------------------------------------

    def _on_entry(self, entry: LogEntry) -> None:
        self.state.receive(entry)
        self._wake()

    def _on_cache(self) -> None:
        self.state.cache_changed()
        self._wake()

    def _wake(self) -> None:
        if self._armed or self.loop is None or not self.running:
            return
        self._armed = True
        try:
            self.loop.call_soon_threadsafe(self._arm)
        except RuntimeError:
            self.running = False

    # -- the kernel's loop ----------------------------------------------------------------

    def _arm(self) -> None:
        assert self.loop is not None  # only ever scheduled on a loop
        delay = max(0.0, self._last + self.interval - self.loop.time())
        self._flush_handle = self.loop.call_later(delay, self._flush)

    def _flush(self) -> None:
        assert self.loop is not None
        # Disarm before draining: an entry arriving during the refresh wakes us again.
        self._armed = False
        self._last = now = self.loop.time()
        if self.running:
            # Under traffic the poll's work rides along with a flush: still at most
            # 1 / interval refreshes a second in all.
            self._refresh(poll=self._poll_due or now - self._last_poll >= self.poll_interval)

    def _poll(self) -> None:
        assert self.loop is not None
        if not self.running:
            return
        if self._armed:
            self._poll_due = True
        elif self.loop.time() - self._last_poll >= self.poll_interval * 0.99:
            self._refresh(poll=True)
        due = self._last_poll + self.poll_interval - self.loop.time()
        self._poll_handle = self.loop.call_later(max(due, self.interval), self._poll)

    def _refresh(self, *, poll: bool) -> None:
        if poll and self.loop is not None:
            self._last_poll = self.loop.time()
            self._poll_due = False
        self._guarded(lambda: self.state.refresh(poll=poll))

    def _guarded(self, callback: Callable[[], Any]) -> None:
        # A loop callback's exception would only reach the kernel's log: show it instead.
        try:
            callback()
        except Exception:
            if self.on_error is None:
                raise
            self.on_error(traceback.format_exc())

    def __repr__(self) -> str:
        return f"LiveFeed(state={self.state!r}, interval={self.interval!r})"


__all__ = ["LiveFeed", "Loop", "POLL_INTERVAL_S", "REFRESH_INTERVAL_S", "kernel_loop"]
