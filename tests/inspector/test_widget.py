"""`Inspector` outside a kernel: real server, real requests, `refresh()` by hand.

(Live updates inside a kernel are in test_kernel.py; a real browser in tests/browser/.)
"""

from __future__ import annotations

import html as htmllib
import re
import time
from collections.abc import Iterator

import pytest

from notebook_routes import App, Server
from notebook_routes._client import send
from notebook_routes._inspector.widget import TITLES, Inspector


def item(request, context):
    return {"item": context.params["slug"]}


def boom():
    return 1 / 0


def cached_item(request, context):
    return {"cached": context.params["slug"]}


@pytest.fixture
def served() -> Iterator[tuple[App, Server, Inspector]]:
    app = App()
    app.add("/items/[slug]", {"GET": item})
    app.add("/boom", {"GET": boom})
    server = Server(app).start()
    inspector = Inspector(app, server=server)
    try:
        yield app, server, inspector
    finally:
        inspector.close()
        server.stop()


def text(markup: str) -> str:
    """What a person reads in `markup`: tags dropped, entities decoded."""
    return htmllib.unescape(re.sub(r"<[^>]+>", "", markup))


def request_rows(inspector: Inspector) -> list[str]:
    """The Requests tab's rows, top to bottom, as HTML."""
    rows = []
    for segment in inspector.requests_panel.table.visible_segments():
        rows += segment.lines.value.split('class="nr-request-row"')[1:]
    return rows


def details(inspector: Inspector) -> list[str]:
    """The expanded rows' details, top to bottom."""
    return [
        s.detail.value
        for s in inspector.requests_panel.table.visible_segments()
        if s.detail.layout.display != "none"
    ]


def visible(pool) -> list:
    return [row for row in pool.rows if row.key is not None]


def test_tabs_are_routes_conflicts_requests_cache_try_it(served):
    _, _, inspector = served
    assert TITLES == ("Routes", "Conflicts", "Requests", "Cache", "Try it")
    assert inspector.tabs.titles == TITLES
    assert len(inspector.tabs.children) == 5


def test_routes_tab_has_a_row_per_route_with_a_link_for_routes_without_params(served):
    app, server, inspector = served
    rows = visible(inspector.routes_panel.pool)
    assert [r.key for r in rows] == [("/items/[slug]", "route"), ("/boom", "route")]
    assert f'href="{server.url}/boom"' in rows[1].cells.value
    assert "href" not in rows[0].cells.value  # a [param] pattern is not a URL
    assert "ƒ dynamic" in rows[0].cells.value


def test_requests_appear_newest_first_with_status_params_and_an_expandable_traceback(served):
    _, server, inspector = served
    inspector.tabs.selected_index = TITLES.index("Requests")
    send(server.url, "GET", "/items/a")
    send(server.url, "GET", "/boom")
    inspector.refresh()
    rows = request_rows(inspector)
    assert [">/boom<" in r for r in rows] == [True, False]
    assert "slug=a" in rows[1] and '#1a7f37)">200<' in rows[1]
    assert '#cf222e)">500<' in rows[0]
    assert details(inspector) == []
    table = inspector.requests_panel.table
    table.buttons[0].click()
    [detail] = details(inspector)
    assert "ZeroDivisionError" in detail and "Response headers" in detail
    assert [b.description for b in table.buttons[:2]] == ["▾", "▸"]
    # a new request pushes rows down; the expanded one stays expanded where it moved
    send(server.url, "GET", "/items/b")
    inspector.refresh()
    assert [">/boom<" in r for r in request_rows(inspector)] == [False, True, False]
    assert [b.description for b in table.buttons[:3]] == ["▸", "▾", "▸"]
    [detail] = details(inspector)
    assert "ZeroDivisionError" in detail
    assert [len(s.rows) for s in table.visible_segments()] == [
        2,
        1,
    ]  # /items/b + /boom, then /items/a
    table.buttons[1].click()
    assert details(inspector) == []


def test_a_hidden_requests_tab_draws_nothing_until_shown(served):
    _, server, inspector = served
    assert inspector.tabs.selected_index == 0
    send(server.url, "GET", "/items/a")
    inspector.refresh()
    assert request_rows(inspector) == []
    inspector.tabs.selected_index = TITLES.index("Requests")
    assert len(request_rows(inspector)) == 1


def test_requests_filter_by_route_and_status(served):
    _, server, inspector = served
    inspector.tabs.selected_index = TITLES.index("Requests")
    for path in ("/items/a", "/boom", "/nothing"):
        send(server.url, "GET", path)
    inspector.refresh()
    panel = inspector.requests_panel
    panel.status_filter.value = "5xx"
    assert [">/boom<" in r for r in request_rows(inspector)] == [True]
    panel.status_filter.value = "*"
    panel.route_filter.value = "/items/[slug]"
    [row] = request_rows(inspector)
    assert "/items/a" in row
    panel.route_filter.value = ""  # (no match)
    [row] = request_rows(inspector)
    assert "/nothing" in row
    assert "showing 1 of 1 matching (3 logged" in panel.count.value


def test_the_remove_button_removes_the_route(served):
    app, _, inspector = served
    row = visible(inspector.routes_panel.pool)[1]
    row.buttons["remove"].click()
    assert [r.source for r in app.routes] == ["/items/[slug]"]
    assert [r.key for r in visible(inspector.routes_panel.pool)] == [("/items/[slug]", "route")]


def test_conflicts_tab_lists_errors_and_information_apart(served):
    app, _, inspector = served
    inspector.tabs.selected_index = TITLES.index("Conflicts")
    app.add("/(g1)/dup", {"GET": boom})
    app.add("/(g2)/dup", {"GET": boom})
    app.add("/items/new", {"GET": boom})
    inspector.refresh()
    html = inspector.conflicts_panel.html.value
    assert (
        "Conflicting routes at /dup: route at /(g2)/dup/route and route at /(g1)/dup/route" in html
    )
    assert html.index("Conflicting routes") < html.index("Information")
    assert '"/items/new" is matched before "/items/[slug]"' in text(html)


def test_cache_tab_revalidates_and_purges(served):
    app, server, inspector = served
    inspector.tabs.selected_index = TITLES.index("Cache")
    app.add("/cached/[slug]", {"GET": cached_item, "revalidate": 60})
    send(server.url, "GET", "/cached/a")
    send(server.url, "GET", "/cached/b")
    inspector.refresh()
    panel = inspector.cache_panel
    rows = visible(panel.pool)
    assert [r.key for r in rows] == ["/cached/a", "/cached/b"]
    assert "fresh" in rows[0].cells.value and "60s" in rows[0].cells.value
    rows[1].buttons["purge"].click()
    assert [e.key for e in app.cache.entries()] == ["/cached/a"]
    assert text(panel.status.value) == "purged /cached/b"
    assert [r.key for r in visible(panel.pool)] == ["/cached/a"]


def test_revalidate_renders_a_route_entry_again_and_is_off_for_data_entries(served):
    from notebook_routes import CacheEntry

    app, server, inspector = served
    inspector.tabs.selected_index = TITLES.index("Cache")
    app.add("/cached/[slug]", {"GET": cached_item, "revalidate": 60})
    send(server.url, "GET", "/cached/a")
    app.cache.set(CacheEntry(key="posts()", kind="data", value=[]))
    inspector.refresh()
    first = app.cache.peek("/cached/a")
    rows = visible(inspector.cache_panel.pool)
    assert [(r.key, r.buttons["revalidate"].disabled) for r in rows] == [
        ("/cached/a", False),
        ("posts()", True),
    ]
    rows[0].buttons["revalidate"].click()
    assert text(inspector.cache_panel.status.value) == "revalidated /cached/a: rendering it again"
    deadline = time.monotonic() + 30
    while app.cache.peek("/cached/a") in (None, first) and time.monotonic() < deadline:
        time.sleep(0.05)  # the new render arrives from the server thread
    assert app.cache.peek("/cached/a") not in (None, first)


def test_purge_by_tag(served):
    from notebook_routes import CacheEntry

    app, _, inspector = served
    app.cache.set(CacheEntry(key="/t1", kind="route", tags=("posts",)))
    app.cache.set(CacheEntry(key="/t2", kind="route", tags=("other",)))
    panel = inspector.cache_panel
    panel.tag.value = "posts"
    panel.tag_button.click()
    assert [e.key for e in app.cache.entries()] == ["/t2"]
    assert text(panel.status.value) == "purged 1 entry tagged 'posts'"
    panel.tag.value = " "
    panel.tag_button.click()
    assert "type a tag to purge" in panel.status.value


def test_try_it_fills_params_and_shows_the_answer(served):
    _, _, inspector = served
    row = inspector.state.routes[0]
    visible(inspector.routes_panel.pool)[0].buttons["try"].click()
    assert inspector.tabs.selected_index == TITLES.index("Try it")
    panel = inspector.try_panel
    assert panel.route.value == row.pattern
    assert panel.path.value == "/items/[slug]"
    panel._fields["slug"].value = "a b"
    assert panel.path.value == "/items/a%20b"
    panel.send_button.click()
    assert '#1a7f37)">200<' in panel.result.value
    assert '{\n  "item": "a b"\n}' in text(panel.result.value)  # pretty JSON
    assert "application/json" in panel.result.value


def test_try_it_says_what_is_wrong_with_a_header_line(served):
    _, _, inspector = served
    panel = inspector.try_panel
    panel.headers.value = "X-Ok: 1\nnot a header"
    panel.send()
    assert text(panel.result.value) == "header line 'not a header' is not 'Name: value'"


def test_without_a_server_try_it_says_so():
    app = App()
    app.add("/a", {"GET": boom})
    inspector = Inspector(app)
    try:
        inspector.try_panel.send()
        assert "No server is running for this app" in inspector.try_panel.result.value
        assert "not live: call .refresh()" in inspector.header.value
    finally:
        inspector.close()


def test_the_display_carries_a_static_picture_for_nbconvert_and_github(served):
    _, server, inspector = served
    send(server.url, "GET", "/items/a")
    inspector.refresh()
    bundle = inspector._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    html = bundle["text/html"]
    assert "<h4>Routes</h4>" in html and "/items/[slug]" in html and "/items/a" in html
    assert bundle["text/plain"].startswith("notebook-routes inspector: 2 routes, 0 conflicts")


def test_close_stops_following_the_app(served):
    app, server, inspector = served
    inspector.close()
    assert inspector.closed
    send(server.url, "GET", "/items/a")
    assert list(inspector.state.requests) == []
    assert app.log._listeners == []


def test_repr(served):
    _, _, inspector = served
    assert repr(inspector) == "Inspector(app=App(routes=2))"


def test_the_header_links_to_the_api_docs_through_the_proxy(served, monkeypatch):
    _, server, inspector = served
    link = re.search(r'href="([^"]+)"[^>]*>API docs<', inspector.header.value)
    assert link and link.group(1) == f"{server.url}/_notebook_routes/docs"
    assert send(server.url, "GET", "/_notebook_routes/docs").status == 200
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/ann/")
    inspector.refresh()
    inspector._draw_header()
    assert f'href="/user/ann/proxy/{server.port}/_notebook_routes/docs"' in inspector.header.value
