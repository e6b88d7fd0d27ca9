"""The inspector shows the proxy (Routes tab) and what it did for each request (Requests)."""

from __future__ import annotations

from notebook_routes import NextResponse, after
from notebook_routes._inspector.requests_panel import request_detail
from notebook_routes._inspector.state import InspectorState


def test_routes_tab_shows_the_proxy_and_requests_say_what_it_did(live):
    def proxy(request):
        after(lambda: None)
        if request.next_url.pathname == "/r/a":
            return NextResponse.rewrite("/hello")
        return NextResponse.next()

    live.app.add("/hello", {"GET": lambda: "hi"})
    live.app.set_proxy(
        {"proxy": proxy, "config": {"matcher": ["/r/:slug", "/hello"]}}, origin="In [3]"
    )
    state = InspectorState(live.app)
    state.refresh(poll=True)
    assert state.proxy == "/r/:slug, /hello  (In [3])"

    assert live.request("GET", "/r/a").text == "hi"
    assert live.request("GET", "/hello").text == "hi"
    state.seed(live.app.log)
    details = [request_detail(row) for row in state.requests]
    assert "<b>Proxy</b>: rewrite to /hello" in details[0]
    assert "<b>Proxy</b>: next" in details[1]

    live.app.remove_proxy()
    assert "routes" in state.refresh(poll=True)
    assert state.proxy is None
