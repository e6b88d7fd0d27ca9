"""`LiveFeed`: entries from the server thread reach the state on the kernel's loop, batched.

A hand-driven loop makes the batching exact: no sleeps, no timing.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest

from notebook_routes import App
from notebook_routes._inspector.live import LiveFeed, kernel_loop
from notebook_routes._inspector.state import InspectorState
from notebook_routes._log import LogEntry


class Handle:
    def __init__(self, when: float, callback: Callable[..., Any]) -> None:
        self.when, self.callback, self.cancelled = when, callback, False

    def cancel(self) -> None:
        self.cancelled = True


class HandLoop:
    """A loop the test moves by hand; counts the wake-ups other threads cause."""

    def __init__(self) -> None:
        self.now = 0.0
        self.soon: list[Callable[[], Any]] = []
        self.later: list[Handle] = []
        self.wakeups = 0
        self._lock = threading.Lock()

    def call_soon_threadsafe(self, callback: Callable[..., Any], *args: Any) -> None:
        with self._lock:
            self.wakeups += 1
            self.soon.append(lambda: callback(*args))

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> Handle:
        handle = Handle(self.now + delay, lambda: callback(*args))
        self.later.append(handle)
        return handle

    def time(self) -> float:
        return self.now

    def run(self, seconds: float = 0.0) -> None:
        """Run what is due now, then move the clock on `seconds`, running timers on the way."""
        end = self.now + seconds
        while True:
            with self._lock:
                soon, self.soon = self.soon, []
            for callback in soon:
                callback()
            due = [h for h in self.later if not h.cancelled and h.when <= end]
            if not due and not self.soon:
                break
            if due:
                first = min(due, key=lambda h: h.when)
                self.later.remove(first)
                self.now = max(self.now, first.when)
                first.callback()
        self.now = end


def entry(path: str) -> LogEntry:
    return LogEntry(1.0, "GET", path, None, {}, 200, 1.0)


@pytest.fixture
def live():
    app = App()
    loop = HandLoop()
    state = InspectorState(app)
    feed = LiveFeed(state, loop)
    feed.start()
    yield app, loop, state, feed
    feed.stop()


def test_a_burst_from_the_server_thread_wakes_the_loop_once_and_refreshes_once(live):
    app, loop, state, feed = live
    before = state.refreshes
    server = threading.Thread(target=lambda: [app.log.append(entry(f"/{i}")) for i in range(500)])
    server.start()
    server.join()
    assert loop.wakeups == 1
    assert len(state.requests) == 0  # the server thread never touched the panels' data
    loop.run(0.3)
    assert len(state.requests) == 500
    assert state.refreshes - before == 1


def test_refreshes_are_spaced_by_the_interval(live):
    app, loop, state, feed = live
    loop.run(0.0)
    app.log.append(entry("/one"))
    loop.run(0.0)  # the first refresh is due at once
    assert [r.entry.path for r in state.requests] == ["/one"]
    app.log.append(entry("/two"))
    loop.run(0.1)  # the next waits out the rest of the 0.25 s
    assert [r.entry.path for r in state.requests] == ["/one"]
    loop.run(0.2)
    assert [r.entry.path for r in state.requests] == ["/one", "/two"]


def test_under_steady_traffic_the_poll_rides_along_with_the_flushes(live):
    app, loop, state, feed = live
    loop.run(0.0)
    before = state.refreshes
    for _ in range(300):  # three seconds at 100 requests a second
        app.log.append(entry("/steady"))
        loop.run(0.01)
    loop.run(0.3)
    assert len(state.requests) == 300
    assert state.refreshes - before <= 3.3 / feed.interval + 1  # polls added none of their own


def test_a_poll_notices_routes_added_without_any_request(live):
    app, loop, state, feed = live
    app.add("/new", {"GET": lambda: "x"})
    loop.run(0.5)
    assert state.routes == []
    loop.run(0.6)
    assert [r.pattern for r in state.routes] == ["/new"]


def test_a_cache_change_wakes_the_loop(live):
    from notebook_routes import CacheEntry

    app, loop, state, feed = live
    loop.run(0.0)
    app.cache.set(CacheEntry(key="/c", kind="route", body=b"c"))
    assert loop.wakeups == 1
    loop.run(0.3)
    assert [r.key for r in state.cache] == ["/c"]


def test_entries_logged_before_the_feed_started_are_shown():
    app = App()
    app.log.append(entry("/early"))
    state = InspectorState(app)
    LiveFeed(state, HandLoop()).start()
    assert [r.entry.path for r in state.requests] == ["/early"]


def test_stop_unsubscribes_and_cancels_the_timers(live):
    app, loop, state, feed = live
    feed.stop()
    app.log.append(entry("/after"))
    loop.run(5)
    assert loop.wakeups == 0
    assert list(state.requests) == []


def test_an_error_while_refreshing_goes_to_on_error_and_the_feed_goes_on():
    app = App()
    loop = HandLoop()
    state = InspectorState(app)
    errors: list[str] = []
    feed = LiveFeed(state, loop, on_error=errors.append)
    feed.start()
    calls = []

    def broken(changed):
        calls.append(changed)
        if len(calls) == 1:
            raise RuntimeError("panel bug")

    state.observe(broken, names=("requests",))
    app.log.append(entry("/a"))
    loop.run(0.3)
    app.log.append(entry("/b"))
    loop.run(0.3)
    assert len(errors) == 1 and "RuntimeError: panel bug" in errors[0]
    assert [r.entry.path for r in state.requests] == ["/a", "/b"]


def test_post_runs_a_callback_on_the_loop(live):
    app, loop, state, feed = live
    ran = []
    poster = threading.Thread(
        target=lambda: feed.post(lambda: ran.append(threading.current_thread()))
    )
    poster.start()
    poster.join()
    assert ran == []
    loop.run(0.0)
    assert ran == [threading.main_thread()]


def test_intervals_must_be_positive():
    with pytest.raises(ValueError, match="interval and poll_interval must be positive seconds"):
        LiveFeed(InspectorState(App()), None, interval=0)


def test_kernel_loop_is_the_running_loop_or_none():
    assert kernel_loop() is None

    async def inside():
        return kernel_loop() is asyncio.get_running_loop()

    assert asyncio.run(inside())


def test_with_a_real_asyncio_loop_requests_arrive_without_help():
    async def scenario():
        app = App()
        state = InspectorState(app)
        feed = LiveFeed(state, asyncio.get_running_loop(), interval=0.01)
        feed.start()
        threading.Thread(target=lambda: app.log.append(entry("/threaded"))).start()
        for _ in range(200):
            if state.requests:
                break
            await asyncio.sleep(0.01)
        feed.stop()
        return [r.entry.path for r in state.requests]

    assert asyncio.run(scenario()) == ["/threaded"]
