"""`InspectorState`: plain data the panels draw, refreshed from an `App`."""

from __future__ import annotations

import pytest

from notebook_routes import App, CacheEntry
from notebook_routes._inspector.state import NO_ROUTE, InspectorState, Traffic
from notebook_routes._log import LogEntry
from tests.clock import FakeClock


def entry(path: str, status: int = 200, *, route: str | None = None, at: float = 100.0, **kw):
    return LogEntry(at, "GET", path, route, kw.pop("params", {}), status, 2.0, **kw)


def handler():
    return "x"


@pytest.fixture
def app() -> App:
    app = App()
    app.add("/items/[slug]", {"GET": handler})
    app.add("/api/hello", {"GET": handler})
    return app


def test_received_entries_appear_after_a_refresh_newest_last(app):
    state = InspectorState(app)
    state.receive(entry("/items/a", route="/items/[slug]"))
    state.receive(entry("/nope", 404))
    assert list(state.requests) == []  # nothing moves until the refresh
    assert {"requests", "traffic"} <= state.refresh()
    assert [(r.seq, r.entry.path) for r in state.requests] == [(1, "/items/a"), (2, "/nope")]


def test_observers_hear_only_the_names_they_asked_for(app):
    state = InspectorState(app)
    heard = {"requests": [], "cache": []}
    state.observe(heard["requests"].append, names=("requests",))
    state.observe(heard["cache"].append, names=("cache",))
    state.refresh()
    state.receive(entry("/a"))
    state.refresh()
    assert heard == {"requests": [frozenset({"requests"})], "cache": []}


def test_a_refresh_with_nothing_new_changes_nothing(app):
    state = InspectorState(app)
    state.refresh()
    assert state.refresh() == frozenset()


def test_observing_an_unknown_name_is_refused(app):
    with pytest.raises(ValueError, match=r"unknown state names \['request'\]; use some of"):
        InspectorState(app).observe(print, names=("request",))


def test_route_rows_follow_the_app(app):
    state = InspectorState(app)
    state.refresh()
    assert [(r.pattern, r.label, r.params) for r in state.routes] == [
        ("/items/[slug]", "ƒ dynamic", ("slug",)),
        ("/api/hello", "ƒ dynamic", ()),
    ]
    app.remove("/api/hello")
    assert "routes" not in state.refresh()  # a refresh for requests stays small...
    assert "routes" in state.refresh(poll=True)  # ...the once-a-second poll re-reads routes
    assert [r.pattern for r in state.routes] == ["/items/[slug]"]


def test_hits_and_errors_count_as_a_route_change(app):
    state = InspectorState(app)
    state.refresh()
    app.get("/items/[slug]").hits += 1
    assert "routes" in state.refresh(poll=True)
    assert state.routes[0].hits == 1


def test_conflicts_mark_their_routes_error_before_info(app):
    app.add("/(g1)/dup", {"GET": handler})
    app.add("/(g2)/dup", {"GET": handler})
    app.add("/items/new", {"GET": handler})
    state = InspectorState(app)
    state.refresh()
    badges = {r.pattern: r.conflict for r in state.routes}
    assert badges["/(g1)/dup"] == badges["/(g2)/dup"] == "error"
    assert badges["/items/new"] == badges["/items/[slug]"] == "info"
    assert badges["/api/hello"] is None
    errors = [c for c in state.conflicts if c.level == "error"]
    assert errors[0].message == (
        "Conflicting routes at /dup: route at /(g2)/dup/route and route at /(g1)/dup/route"
    )


def test_newest_requests_filter_by_route_and_status_class(app):
    state = InspectorState(app)
    for path, status, route in [
        ("/items/a", 200, "/items/[slug]"),
        ("/items/b", 500, "/items/[slug]"),
        ("/api/hello", 200, "/api/hello"),
        ("/nope", 404, None),
        ("/items/c", 200, "/items/[slug]"),
    ]:
        state.receive(entry(path, status, route=route))
    state.refresh()
    rows, matching = state.newest_requests(route="/items/[slug]", limit=2)
    assert ([r.entry.path for r in rows], matching) == (["/items/c", "/items/b"], 3)
    rows, _ = state.newest_requests(status="5xx")
    assert [r.entry.path for r in rows] == ["/items/b"]
    rows, _ = state.newest_requests(route=NO_ROUTE)
    assert [r.entry.path for r in rows] == ["/nope"]
    assert state.request(rows[0].seq).entry.path == "/nope"


def test_the_log_is_bounded_by_the_apps_log_size():
    app = App(log_size=3)
    state = InspectorState(app)
    for i in range(5):
        state.receive(entry(f"/{i}"))
    state.refresh()
    assert [r.entry.path for r in state.requests] == ["/2", "/3", "/4"]
    app.log.resize(2)  # configurable later too
    state.refresh()
    assert [r.entry.path for r in state.requests] == ["/3", "/4"]


def test_seeded_entries_delivered_again_by_the_listener_are_kept_once(app):
    first, second = entry("/first"), entry("/second")
    state = InspectorState(app)
    state.seed([first])
    state.receive(first)  # logged while the inspector was subscribing
    state.receive(second)
    state.refresh()
    assert [r.entry.path for r in state.requests] == ["/first", "/second"]


def test_cache_rows_show_fresh_then_stale_and_update_on_a_poll():
    clock = FakeClock()
    app = App(clock=clock)
    state = InspectorState(app)
    app.cache.set(CacheEntry(key="/items/a", kind="route", body=b"hello", route="/items/[slug]",
                             revalidate=60, tags=("items",)))  # fmt: skip
    state.cache_changed()
    assert "cache" in state.refresh()
    row = state.cache[0]
    assert (row.key, row.state, row.age_s, row.tags, row.size_bytes) == (
        "/items/a",
        "fresh",
        0,
        ("items",),
        5,
    )
    clock.advance(61)
    assert "cache" not in state.refresh()  # ages move without an event...
    assert "cache" in state.refresh(poll=True)  # ...so a poll re-reads them
    assert (state.cache[0].state, state.cache[0].age_s) == ("stale", 61)


def test_route_entries_are_listed_before_data_entries():
    app = App()
    app.cache.set(CacheEntry(key="fetch:https://x", kind="data", value=[1]))
    app.cache.set(CacheEntry(key="/b", kind="route", body=b""))
    state = InspectorState(app)
    state.cache_changed()
    state.refresh()
    assert [(r.kind, r.key) for r in state.cache] == [("route", "/b"), ("data", "fetch:https://x")]


def test_traffic_counts_requests_per_second_over_a_sliding_window():
    traffic = Traffic(window_s=3)
    for at in (10.1, 10.5, 10.9, 12.0):
        traffic.add(at, 3.0)
    assert traffic.series(now=12.2) == [(10, 3, 3.0), (11, 0, 0.0), (12, 1, 3.0)]
    assert traffic.series(now=20.0) == [(18, 0, 0.0), (19, 0, 0.0), (20, 0, 0.0)]
    assert not traffic.active(now=20.0)


def test_repr_is_shaped_like_a_constructor_call(app):
    assert repr(InspectorState(app)) == "InspectorState(app=App(routes=2))"
