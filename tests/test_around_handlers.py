"""Issue 15 over real HTTP: the proxy and revalidation that reaches the serving app, for
``%%proxy``/``%%route`` cells in a real kernel and for `notebook-routes serve` of a folder
with a ``proxy.py``. Every expectation is what Next.js 16.4.6 answered (see the issue)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.around_app import Client, load_cells, served
from tests.kernel import Kernel

pytestmark = pytest.mark.timeout(300)
ERROR_CACHE_CONTROL = "private, no-cache, no-store, max-age=0, must-revalidate"


@pytest.fixture(scope="module", params=["serve", "kernel"])
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    if request.param == "serve":
        yield from served(tmp_path_factory.mktemp("app"))
        return
    kernel = Kernel()
    try:
        load_cells(kernel)
        client = Client(kernel.url)
        client.kernel = kernel  # type: ignore[attr-defined]
        yield client
    finally:
        kernel.shutdown()


def test_a_plain_response_answers_every_method_and_the_handler_never_runs(app):
    for method in ("GET", "POST", "PUT"):
        got = app.request(method, "/api/secret")
        assert (got.status, got.json()) == (403, {"blocked": True})
    assert app.request("HEAD", "/api/secret").status == 403
    assert app.request("OPTIONS", "/api/secret").status == 403


def test_next_adds_headers_also_for_paths_that_404(app):
    got = app.request("GET", "/api/hello")
    assert got.json() == {"message": "Hello World"}
    assert got.headers.get("x-proxy") == "yes"
    missing = app.request("GET", "/api/nothing-here")
    assert missing.status == 404
    assert missing.headers.get("x-proxy") == "yes"
    assert app.request("GET", "/data").headers.get("x-proxy") is None  # not matched


def test_a_rewrite_runs_the_target_route_with_the_original_url(app):
    got = app.request("GET", "/r/abc?q=1")
    body = got.json()
    assert got.status == 200
    assert body["url"] == f"{app.url}/r/abc?q=1"
    assert (body["pathname"], body["search"], body["slug"]) == ("/r/abc", "?q=1", "abc")
    assert got.headers.get("x-middleware-rewrite") == "/api/echo/abc?q=1"
    assert app.request("GET", "/r/a%20b").json()["slug"] == "a b"


def test_redirects_are_relative_with_the_target_as_body(app):
    got = app.request("GET", "/old")
    assert got.status == 307
    assert got.headers.get("location") == "/api/hello"
    assert got.content == b"/api/hello"
    assert got.headers.get("content-type") is None
    permanent = app.request("GET", "/moved")
    assert permanent.status == 308
    assert permanent.headers.get("refresh") == "0;url=/api/hello"


def test_forwarded_request_headers_and_response_headers_reach_the_handler(app):
    got = app.request("GET", "/api/forward", headers={"x-client": "c", "x-proxy": "client"})
    assert got.json() == {"x-forwarded-by": "proxy", "x-proxy": "yes", "x-client": "c"}
    assert got.headers.get("x-proxy") == "yes"
    assert not [name for name in got.headers.keys() if name.lower().startswith("x-middleware")]


def test_a_proxy_that_raises_answers_500(app):
    got = app.request("GET", "/boom")
    assert (got.status, got.content) == (500, b"Internal Server Error")
    assert got.headers.get("content-type") == "text/plain"
    assert got.headers.get("cache-control") == ERROR_CACHE_CONTROL
    kernel = getattr(app, "kernel", None)
    if kernel is not None:  # the log has the traceback
        entry = (
            "[e for e in __import__('notebook_routes').default_app().log if e.path == '/boom'][-1]"
        )
        assert kernel.value(f"{entry}.proxy") == "raised RuntimeError: the proxy failed"
        assert "RuntimeError: the proxy failed" in kernel.value(f"{entry}.traceback")


def test_cookies_set_by_the_proxy_reach_the_client_not_the_handler(app):
    got = app.request("GET", "/api/cookie")
    assert got.headers.get_all("set-cookie") == ["pc=v1; Path=/"]
    assert got.json() == {"cookies()": False, "request.cookies": False}


def test_the_proxy_sees_localhost_for_a_loopback_address(app):
    port = app.url.rsplit(":", 1)[1]
    assert app.request("GET", "/api/seen-url").json() == {
        "url": f"http://localhost:{port}/api/seen-url"
    }


def test_a_has_condition_selects_by_header_value(app):
    assert app.request("GET", "/gated", headers={"x-key": "ok"}).json() == {"proxy": "yes"}
    assert app.request("GET", "/gated", headers={"x-key": "ooook"}).json() == {"proxy": "yes"}
    assert app.request("GET", "/gated", headers={"x-key": "no"}).json() == {"proxy": None}
    assert app.request("GET", "/gated").json() == {"proxy": None}


# -- item 0: revalidation acts on the app that serves the request ------------------------


def test_revalidate_path_in_a_handler_reaches_the_serving_app(app):
    first = app.request("GET", "/data")
    assert first.headers.get("x-nextjs-cache") == "HIT"  # prerendered
    assert app.request("GET", "/data").content == first.content
    assert app.request("POST", "/api/revalidate", json={"path": "/data"}).status == 200
    fresh = app.request("GET", "/data")
    assert fresh.headers.get("x-nextjs-cache") == "MISS"
    assert fresh.json()["n"] == first.json()["n"] + 1


def test_revalidate_tag_drops_cached_results_of_the_serving_app(app):
    before = app.request("GET", "/api/tagged").json()["n"]
    assert app.request("GET", "/api/tagged").json()["n"] == before  # cached()
    app.request("POST", "/api/revalidate", json={"tag": "calls"})
    assert app.request("GET", "/api/tagged").json()["n"] == before + 1


def test_fetch_caches_in_the_serving_app_and_its_tag_revalidates(app):
    before = app.request("GET", "/api/fetched").json()["n"]
    assert app.request("GET", "/api/fetched").json()["n"] == before
    app.request("POST", "/api/revalidate", json={"tag": "counter"})
    assert app.request("GET", "/api/fetched").json()["n"] > before


def test_serve_lists_the_proxy_at_startup(tmp_path):
    for server in served(tmp_path):
        lines = "".join(server.startup)
        assert re.search(r"proxy  /api/:path\*, /r/:slug, .*proxy\.py", lines), lines


def test_export_writes_proxy_py_and_serve_runs_it(tmp_path):
    from notebook_routes._export import export_notebook
    from tests.around_app import Served

    notebook = Path(__file__).resolve().parent.parent / "notebooks" / "11-proxy-and-after.ipynb"
    export = export_notebook(notebook, tmp_path / "app")
    assert "proxy.py" in [f.path for f in export.files]
    text = (tmp_path / "app" / "proxy.py").read_text()
    assert "def proxy(request):" in text and "from notebook_routes import" in text
    server = Served(tmp_path / "app")
    try:
        hello = server.request("GET", "/api/hello")
        assert hello.headers.get("access-control-allow-origin") == "*"
        assert server.request("GET", "/admin/stats").status == 401
        authorized = {"Authorization": "Bearer letmein"}
        assert server.request("GET", "/admin/stats", headers=authorized).json() == {"visits": 42}
        assert server.request("GET", "/r/abc").headers.get("x-middleware-rewrite") == (
            "/api/echo/abc"
        )
    finally:
        server.close()
