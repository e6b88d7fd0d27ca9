"""The public surface: what `__all__` promises, and that importing the package is cheap.

Implementation modules are private (``notebook_routes._server`` ...); these lists are the
names users may rely on. Adding a name is a decision: update the list here with it.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import types

import pytest

import notebook_routes

PUBLIC = {
    "notebook_routes": [
        "App",
        "BadRequest",
        "Body",
        "CacheEntry",
        "ClientResponse",
        "Conflict",
        "FetchResponse",
        "FormData",
        "Headers",
        "Match",
        "MemoryCache",
        "NextRequest",
        "NextResponse",
        "Params",
        "Query",
        "Request",
        "Response",
        "Route",
        "RouteContext",
        "RouteError",
        "SegmentConfig",
        "Server",
        "UploadedFile",
        "after",
        "cache_table",
        "cached",
        "configure",
        "conflicts",
        "conflicts_table",
        "connection",
        "cookies",
        "default_app",
        "draft_mode",
        "export_har",
        "export_tests",
        "fetch",
        "forbidden",
        "headers",
        "inspector",
        "load_ipython_extension",
        "not_found",
        "openapi",
        "permanent_redirect",
        "redirect",
        "remove",
        "replay",
        "request",
        "request_log",
        "requests_table",
        "revalidate_path",
        "revalidate_tag",
        "routes_table",
        "server",
        "start",
        "stop",
        "unauthorized",
        "unload_ipython_extension",
        "update_tag",
    ],
    "notebook_routes.web": [
        "BadRequest",
        "BodyStream",
        "Cookie",
        "DraftMode",
        "FormData",
        "Headers",
        "MutableRequestCookies",
        "NavigationSignal",
        "NextRequest",
        "NextResponse",
        "NextURL",
        "NoResponse",
        "Request",
        "RequestCookies",
        "RequestScope",
        "Response",
        "ResponseCookies",
        "SearchParams",
        "UploadedFile",
        "after",
        "coerce_response",
        "connection",
        "cookies",
        "current_scope",
        "draft_mode",
        "forbidden",
        "headers",
        "merge_cookie_mutations",
        "not_found",
        "note_dynamic_usage",
        "parse_set_cookie",
        "permanent_redirect",
        "redirect",
        "request_scope",
        "serialize_cookie",
        "unauthorized",
    ],
    "notebook_routes.routing": [
        "Conflict",
        "Match",
        "RouteError",
        "RoutePattern",
        "RouteTable",
        "Segment",
        "normalize_request_path",
        "parse_pattern",
    ],
    "notebook_routes.cache": [
        "CacheEntry",
        "CacheStore",
        "CacheUnavailable",
        "Clock",
        "MemoryCache",
        "RedisCache",
        "TagState",
        "cache_handler",
        "cache_url_from_env",
        "cached",
        "current_store",
        "default_prefix",
        "path_tag",
        "using_store",
    ],
    # The ASGI face: `uvicorn --factory notebook_routes.asgi:create_app` (issue 14).
    "notebook_routes.asgi": [
        "ASGIApp",
        "create_app",
    ],
}


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_all_is_pinned_and_sorted(module: str) -> None:
    assert importlib.import_module(module).__all__ == PUBLIC[module]


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_every_exported_name_resolves_to_an_object_not_a_module(module: str) -> None:
    mod = importlib.import_module(module)
    for name in mod.__all__:
        value = getattr(mod, name)
        assert not isinstance(value, types.ModuleType), f"{module}.{name} is a module"
        assert name in dir(mod), name


def test_test_helpers_are_not_exported() -> None:
    assert not hasattr(notebook_routes, "FakeClock")
    assert not hasattr(notebook_routes.cache, "FakeClock")
    with pytest.raises(AttributeError, match="has no attribute 'FakeClock'"):
        notebook_routes.FakeClock  # noqa: B018


def test_the_old_table_names_are_the_new_functions() -> None:
    assert notebook_routes.request_log is notebook_routes.requests_table
    assert notebook_routes.conflicts is notebook_routes.conflicts_table


def test_lazy_names_are_the_objects_of_their_modules() -> None:
    from notebook_routes import _fetch, _server

    assert notebook_routes.Server is _server.Server
    assert notebook_routes.fetch is _fetch.fetch


HEAVY = ("tornado.httpserver", "tornado.httpclient", "IPython", "ipywidgets", "pandas")


def test_importing_the_package_loads_no_server_client_notebook_or_pandas() -> None:
    code = (
        "import sys, threading, notebook_routes\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
        "print(threading.active_count())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[0] == "[]"  # none of them imported
    assert out[1] == "1"  # and no thread started


def test_a_lazy_name_is_imported_on_first_use() -> None:
    code = (
        "import sys, notebook_routes\n"
        "before = 'tornado.httpserver' in sys.modules\n"
        "from notebook_routes import Server\n"
        "print(before, 'tornado.httpserver' in sys.modules, Server.__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False True Server"
