"""The static picture: what nbconvert, GitHub and a terminal show of the inspector."""

from __future__ import annotations

from notebook_routes import App
from notebook_routes._inspector.snapshot import headline, snapshot_html, snapshot_text
from notebook_routes._inspector.state import InspectorState
from notebook_routes._log import LogEntry


def handler():
    return "x"


def state_of(app: App) -> InspectorState:
    state = InspectorState(app)
    state.refresh()
    return state


def test_headline_counts_conflicts_and_overlaps_apart():
    app = App()
    for path in ("/(g1)/dup", "/(g2)/dup", "/items/[slug]", "/items/new"):
        app.add(path, {"GET": handler})
    assert headline(state_of(app)) == (
        "notebook-routes inspector: 4 routes, 1 conflict, 1 overlap, 0 requests logged, "
        "0 cache entries"
    )


def test_text_lists_routes_and_conflict_messages():
    app = App()
    app.add("/(g1)/dup", {"GET": handler})
    app.add("/(g2)/dup", {"GET": handler})
    text = snapshot_text(state_of(app))
    assert "/(g1)/dup  GET      ƒ dynamic" in text
    assert text.splitlines()[-1] == (
        "conflict: Conflicting routes at /dup: "
        "route at /(g2)/dup/route and route at /(g1)/dup/route"
    )


def test_html_shows_the_newest_requests_first_with_links_and_no_style_block():
    app = App()
    app.add("/a", {"GET": handler})
    state = InspectorState(app)
    for i in range(25):
        state.receive(LogEntry(float(i), "GET", f"/a?n={i}", "/a", {}, 200, 1.0))
    state.refresh()
    html = snapshot_html(state, link=lambda row: "http://127.0.0.1:1/a")
    assert '<a href="http://127.0.0.1:1/a">/a</a>' in html
    assert "newest 20 of 25" in html
    assert html.index("/a?n=24") < html.index("/a?n=23")
    assert "/a?n=4<" not in html  # older than the newest 20
    assert "<style" not in html  # GitHub drops style blocks: inline styles only
