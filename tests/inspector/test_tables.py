"""The inspector's data as pandas DataFrames (SPEC §11), for one `App` and the default one."""

from __future__ import annotations

import notebook_routes
from notebook_routes import App, CacheEntry
from notebook_routes._tables import CACHE_COLUMNS, cache_table
from notebook_routes.cache._store import process_origin
from tests.clock import FakeClock


def test_cache_table_lists_route_and_data_entries_with_their_state():
    clock = FakeClock()
    app = App(clock=clock)
    app.cache.set(
        CacheEntry(
            key="/items/a",
            kind="route",
            body=b"hello",
            route="/items/[slug]",
            revalidate=60,
            tags=("items",),
        )
    )
    clock.advance(90)
    app.cache.set(
        CacheEntry(key="posts(3)", kind="data", value=[1, 2], route="posts", revalidate=30)
    )
    df = cache_table(app)
    assert list(df.columns) == CACHE_COLUMNS
    assert df.to_dict("records") == [
        {
            "path": "/items/a",
            "route": "/items/[slug]",
            "state": "stale",
            "age_s": 90.0,
            "revalidate": 60,
            "hits": 0,
            "tags": ["items"],
            "size_bytes": 5,
            "origin": process_origin(),
        },
        {
            "path": "posts(3)",
            "route": "posts",
            "state": "fresh",
            "age_s": 0.0,
            "revalidate": 30,
            "hits": 0,
            "tags": [],
            "size_bytes": len(repr([1, 2])),
            "origin": process_origin(),
        },
    ]


def test_an_empty_cache_still_has_the_columns():
    assert list(cache_table(App()).columns) == [
        "path",
        "route",
        "state",
        "age_s",
        "revalidate",
        "hits",
        "tags",
        "size_bytes",
        "origin",
    ]


def test_module_functions_act_on_the_default_app():
    assert list(notebook_routes.cache_table().columns) == CACHE_COLUMNS
    assert callable(notebook_routes.inspector)


def test_the_inspector_function_survives_importing_the_inspector_package():
    import notebook_routes._inspector.widget  # noqa: F401  (a submodule import rebinds names)

    assert callable(notebook_routes.inspector)
    assert notebook_routes.inspector.__module__ == "notebook_routes"
    assert {"cache_table", "inspector"} <= set(notebook_routes.__all__)
    assert notebook_routes.__all__ == sorted(notebook_routes.__all__)
