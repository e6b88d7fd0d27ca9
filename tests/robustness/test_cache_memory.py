"""Issue 19 item 4a: the route cache is bounded, as Next.js's ``cacheMaxMemorySize``.

An attacker floods an ISR ``[slug]`` route with long slugs over a real socket: every slug
is a new entry. Before the bound, 20,000 such requests made 20,001 entries (+170 MB).
Now the cache keeps at most its configured bytes, evicts the least recently used, and
counts the evictions where the user looks (the Cache tab and ``cache_table()``).
"""

from __future__ import annotations

import http.client

import pytest

from notebook_routes import App, Response, Server
from notebook_routes._inspector.cache_panel import cache_note
from notebook_routes._inspector.state import InspectorState
from notebook_routes._tables import cache_table

pytestmark = pytest.mark.timeout(120)
BOUND = 2 * 2**20
SLUG = 4000
FLOOD = 1500  # ~8 KB each with the key: six times the bound


def slug_route() -> dict:
    async def GET(request, context):
        return Response.json({"slug": context.params["slug"]})

    return {"GET": GET, "revalidate": 3600, "dynamic_params": True}


def test_the_default_bound_is_next_js_s_50_mb():
    assert App().cache.max_bytes == 50 * 2**20
    with pytest.raises(ValueError, match="cache_max_memory_size must be a number of bytes"):
        App(cache_max_memory_size=-1)


def test_a_flood_of_long_slugs_stays_within_the_bound_and_counts_evictions():
    app = App(cache_max_memory_size=BOUND)
    app.add("/items/[slug]", slug_route())
    server = Server(app).start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        states = []
        for n in range(FLOOD):
            conn.request("GET", f"/items/{n:05d}{'x' * (SLUG - 5)}")
            response = conn.getresponse()
            response.read()
            assert response.status == 200
            states.append(response.getheader("x-nextjs-cache"))
        assert states == ["MISS"] * FLOOD  # every slug was new, so every one was cached

        store = app.cache
        assert store.memory_bytes <= BOUND
        assert 0 < len(store) < FLOOD
        assert store.evictions == FLOOD - len(store)

        def state_of(n: int) -> str:
            conn.request("GET", f"/items/{n:05d}{'x' * (SLUG - 5)}")
            response = conn.getresponse()
            response.read()
            return response.getheader("x-nextjs-cache")

        assert state_of(FLOOD - 1) == "HIT"  # the most recent stays
        assert state_of(0) == "MISS"  # the least recently used went first
        conn.close()

        inspector = InspectorState(app)
        inspector.refresh(poll=True)
        assert inspector.cache_info.evictions == store.evictions > 0
        assert f"{store.evictions} evicted" in cache_note(inspector.cache_info)  # the Cache tab
        assert len(inspector.cache) == len(store)
        df = cache_table(app)
        assert df.attrs["evictions"] == store.evictions
        assert len(df) == len(store)
    finally:
        server.stop()
