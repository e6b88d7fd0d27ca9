"""The route table, request log, cache and conflicts as pandas DataFrames (pandas imported
on first use): `routes_table`, `requests_table`, `cache_table`, `conflicts_table`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from notebook_routes._extras import require

if TYPE_CHECKING:
    import pandas as pd

    from notebook_routes._app import App


def _pandas(feature: str) -> Any:
    return require("pandas", extra="notebook", feature=feature)


ROUTE_COLUMNS = [
    "pattern",
    "methods",
    "rendering",
    "revalidate",
    "dynamic",
    "params",
    "cell",
    "hits",
    "total_hits",
    "errors",
    "conflict",
]
LOG_COLUMNS = [
    "time",
    "method",
    "path",
    "route",
    "params",
    "status",
    "duration_ms",
    "cache",
    "error",
]


def routes_table(app: App) -> pd.DataFrame:
    """One row per route and page, in registration order."""
    pd = _pandas("routes_table()")

    rows: list[dict[str, Any]] = []
    for route in app.routes:
        conflicts = [c.message for c in app.conflicts if route.source in c.routes]
        rows.append(
            {
                "pattern": route.source,
                "methods": " ".join(route.methods),
                "rendering": route.rendering,
                "revalidate": route.config.revalidate,
                "dynamic": route.config.dynamic,
                "params": ", ".join(route.pattern.param_names),
                "cell": route.origin,
                "hits": route.hits,
                "total_hits": route.total_hits,
                "errors": route.errors,
                "conflict": "; ".join(conflicts),
            }
        )
    return pd.DataFrame(rows, columns=ROUTE_COLUMNS)


def requests_table(app: App) -> pd.DataFrame:
    """The request log, oldest first."""
    pd = _pandas("requests_table()")

    rows = [
        {
            "time": pd.Timestamp(entry.time, unit="s"),
            "method": entry.method,
            "path": entry.path,
            "route": entry.route,
            "params": entry.params,
            "status": entry.status,
            "duration_ms": round(entry.duration_ms, 3),
            "cache": entry.cache,
            "error": entry.error,
        }
        for entry in app.log
    ]
    return pd.DataFrame(rows, columns=LOG_COLUMNS)


CACHE_COLUMNS = [
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


def cache_table(app: App) -> pd.DataFrame:
    """Cached route answers (keyed by path) and data entries (keyed by function or URL).

    With a shared cache (Redis) the rows are every process's entries; ``origin`` says
    which process made each (``host:pid``). ``df.attrs`` holds the cache as a whole:
    ``where`` it lives, its ``warning`` (None when it answers) and ``evictions`` (entries
    this process dropped to stay within ``cache_max_memory_size``).
    """
    pd = _pandas("cache_table()")

    store = app.cache

    rows = [
        {
            "path": entry.key,
            "route": entry.route,
            "state": entry.freshness,
            "age_s": round(entry.age_s, 3),
            "revalidate": entry.revalidate,
            "hits": entry.hits,
            "tags": list(entry.tags),
            "size_bytes": entry.size_bytes,
            "origin": entry.origin,
        }
        for entry in store.shared_entries()
    ]
    df = pd.DataFrame(rows, columns=CACHE_COLUMNS)
    df.attrs.update(
        where=getattr(store, "url", "memory"),
        warning=getattr(store, "warning", None),
        evictions=int(getattr(store, "evictions", 0)),
    )
    return df


def conflicts_table(app: App) -> pd.DataFrame:
    """One row per conflict between routes: its level, message and the routes involved."""
    pd = _pandas("conflicts_table()")

    rows = [
        {"level": c.level, "message": c.message, "routes": list(c.routes)} for c in app.conflicts
    ]
    return pd.DataFrame(rows, columns=["level", "message", "routes"])
