"""The Cache tab and `cache_table()` on a shared cache: every process's entries, purge and
revalidate acting on all of them, and the store's warning when Redis stops answering."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from notebook_routes import App, CacheEntry
from notebook_routes._inspector.cache_panel import cache_note
from notebook_routes._inspector.state import InspectorState
from notebook_routes._tables import cache_table
from tests.cache.conftest import unique_prefix
from tests.cache.test_redis_shared import until


def made_elsewhere(store, key: str, body: bytes = b"elsewhere") -> None:
    asyncio.run(store.aset(CacheEntry(key=key, kind="route", body=body, route=key)))


def test_the_cache_tab_lists_entries_made_by_another_process(redis_server, redis_stores):
    prefix = unique_prefix()
    other = redis_stores(redis_server.url, prefix)
    app = App(cache_handler=redis_stores(redis_server.url, prefix))
    made_elsewhere(other, "/elsewhere")
    assert app.cache.entries() == []  # not in this process's copy...

    state = InspectorState(app)
    state.refresh(poll=True)
    rows = {row.key: row for row in state.cache}
    assert rows["/elsewhere"].origin == other.origin  # ...but listed, with who made it
    assert rows["/elsewhere"].size_bytes == len(b"elsewhere")
    assert state.cache_info.shared and state.cache_info.where == redis_server.url
    assert "shared through redis://" in cache_note(state.cache_info)
    table = cache_table(app)
    assert table.set_index("path").loc["/elsewhere", "origin"] == other.origin
    assert table.attrs["where"] == redis_server.url and table.attrs["warning"] is None


def test_purge_and_revalidate_act_on_the_shared_cache(redis_server, redis_stores):
    prefix = unique_prefix()
    other = redis_stores(redis_server.url, prefix)
    app = App(cache_handler=redis_stores(redis_server.url, prefix))
    made_elsewhere(other, "/a")
    made_elsewhere(other, "/b")
    assert asyncio.run(other.aget("/a")) is not None and other.get("/b") is not None

    app.cache.delete("/a")  # the Cache tab's purge
    assert until(lambda: other.get("/a") is None)
    assert asyncio.run(other.aget("/a")) is None

    app.revalidate_path("/b")  # the Cache tab's revalidate (before its visit)
    assert until(lambda: other.get("/b") is None)
    assert asyncio.run(other.aget("/b")) is None
    state = InspectorState(app)
    state.refresh(poll=True)
    assert state.cache == []


def test_the_stores_warning_is_shown_when_redis_stops_answering(own_redis, redis_stores):
    app = App(cache_handler=redis_stores(own_redis.url, unique_prefix(), timeout_s=0.5))
    own_redis.kill()
    state = InspectorState(app)
    assert until(lambda: state.refresh(poll=True) is not None and state.cache_info.warning, 15)
    assert "is not answering" in state.cache_info.warning
    assert "is not answering" in cache_note(state.cache_info)
    assert "is not answering" in cache_table(app).attrs["warning"]
    own_redis.start()
    assert until(lambda: state.refresh(poll=True) is not None and not state.cache_info.warning, 15)


def serve_error(*args: str, folder) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "notebook_routes", "serve", str(folder), "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serve_refuses_a_cache_url_it_does_not_understand(tmp_path):
    done = serve_error("--cache", "memcached://127.0.0.1:11211", folder=tmp_path)
    assert done.returncode == 2
    assert "cache URL 'memcached://127.0.0.1:11211' is not understood" in done.stderr
    assert "redis://HOST:PORT/DB" in done.stderr
    done = serve_error("--cache-max-memory-size", "-1", folder=tmp_path)
    assert done.returncode == 2
    assert "cache_max_memory_size must be a number of bytes >= 0" in done.stderr
