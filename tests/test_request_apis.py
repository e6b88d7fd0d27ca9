"""Issue 15 items 2-4 over real HTTP in a real kernel: ``after()``, ``connection()`` and
``draft_mode()``; and pending after() callbacks awaited when the server stops (kernel
shutdown, SIGTERM of `serve`)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.around_app import Served
from tests.kernel import Kernel

pytestmark = pytest.mark.timeout(300)
PRIVATE = "private, no-cache, no-store, max-age=0, must-revalidate"
EXPIRED = "Expires=Thu, 01 Jan 1970 00:00:00 GMT"


@pytest.fixture(scope="module")
def kernel() -> Iterator[Kernel]:
    k = Kernel()
    try:
        k.ok("%load_ext notebook_routes\nimport asyncio, threading\nEVENTS = []")
        yield k
    finally:
        k.shutdown()


def wait_for(kernel: Kernel, expression: str, expected: object) -> None:
    """Poll the kernel until `expression` equals `expected` (after() runs in the background)."""
    for _ in range(100):
        if kernel.value(expression) == expected:
            return
        time.sleep(0.1)
    assert kernel.value(expression) == expected


def last_entry(kernel: Kernel, path: str, attribute: str) -> object:
    log = "__import__('notebook_routes').default_app().log"
    return kernel.value(f"[e for e in {log} if e.path == {path!r}][-1].{attribute}")


# -- after() ---------------------------------------------------------------------------


def test_after_runs_once_the_answer_is_sent(kernel):
    kernel.ok("RELEASE = threading.Event()\nEVENTS.clear()")
    kernel.ok(
        "%%route GET /after/slow\n"
        "async def released():\n"
        "    await asyncio.get_running_loop().run_in_executor(None, RELEASE.wait, 60)\n"
        "    EVENTS.append('released')\n"
        "after(released)\n"
        "return 'answered'"
    )
    got = kernel.http("GET", "/after/slow")
    assert got.text == "answered"  # while the callback still waits
    assert kernel.value("EVENTS") == []
    kernel.ok("RELEASE.set()")
    wait_for(kernel, "EVENTS", ["released"])
    assert last_entry(kernel, "/after/slow", "after") == ["after released: done"]


@pytest.mark.parametrize(
    ("ending", "status"),
    [("raise ValueError('x')", 500), ("redirect('/elsewhere')", 307), ("not_found()", 404)],
)
def test_after_runs_when_the_handler_raises_redirects_or_is_not_found(kernel, ending, status):
    kernel.ok("EVENTS.clear()")
    kernel.ok(
        "%%route GET /after/ends\n"
        "def sync_callback():\n"
        "    EVENTS.append('sync')\n"
        "async def async_callback():\n"
        "    EVENTS.append('async')\n"
        "async def awaitable():\n"
        "    EVENTS.append('awaitable')\n"
        "after(sync_callback)\n"
        "after(async_callback)\n"
        "after(awaitable())\n"
        f"{ending}"
    )
    assert kernel.http("GET", "/after/ends").status == status
    wait_for(kernel, "sorted(EVENTS)", ["async", "awaitable", "sync"])


def test_a_failing_callback_is_logged_and_the_answer_stands(kernel):
    kernel.ok(
        "%%route GET /after/fails\n"
        "def broken():\n"
        "    raise RuntimeError('after boom')\n"
        "after(broken)\n"
        "return {'ok': True}"
    )
    got = kernel.http("GET", "/after/fails")
    assert (got.status, got.json()) == (200, {"ok": True})
    for _ in range(100):
        lines = last_entry(kernel, "/after/fails", "after")
        if lines:
            break
        time.sleep(0.1)
    [line] = lines
    assert line.startswith(
        "An error occurred in a function passed to `after()`: RuntimeError: after boom\n"
    )
    assert "Traceback" in line and "raise RuntimeError('after boom')" in line


def test_in_a_static_route_after_runs_at_prerender_only(kernel):
    kernel.ok("EVENTS.clear()")
    kernel.ok(
        "%%route /after/static\n"
        "dynamic = 'force-static'\n"
        "def GET():\n"
        "    after(lambda: EVENTS.append('rendered'))\n"
        "    return 'static'"
    )
    assert kernel.value("EVENTS") == ["rendered"]  # the prerender awaited it
    for _ in range(3):
        assert kernel.http("GET", "/after/static").headers.get("x-nextjs-cache") == "HIT"
    assert kernel.value("EVENTS") == ["rendered"]


def test_after_in_the_proxy(kernel):
    kernel.ok("EVENTS.clear()")
    kernel.ok(
        "%%proxy\n"
        "def proxy(request):\n"
        "    after(lambda: EVENTS.append('proxy ' + request.next_url.pathname))\n"
        "config = {'matcher': '/after/:path*'}"
    )
    try:
        assert kernel.http("GET", "/after/static").status == 200
        wait_for(kernel, "EVENTS", ["proxy /after/static"])
    finally:
        kernel.ok("%proxy_remove")


# -- connection() ----------------------------------------------------------------------


def test_connection_makes_an_isr_route_dynamic(kernel):
    shown = kernel.ok(
        "%%route /conn/isr\n"
        "revalidate = 60\n"
        "import itertools\n"
        "COUNTER = itertools.count()\n"
        "def GET():\n"
        "    connection()\n"
        "    return {'n': next(COUNTER)}"
    ).text
    assert "ƒ" in shown and "connection()" in shown
    first, second = kernel.http("GET", "/conn/isr"), kernel.http("GET", "/conn/isr")
    assert first.json() != second.json()
    for got in (first, second):
        assert got.headers.get("x-nextjs-cache") is None
        assert got.headers.get("cache-control") is None


def test_await_connection_works_and_force_static_ignores_it(kernel):
    kernel.ok(
        "%%route /conn/static\n"
        "dynamic = 'force-static'\n"
        "async def GET():\n"
        "    await connection()\n"
        "    return 'built once'"
    )
    got = kernel.http("GET", "/conn/static")
    assert got.headers.get("x-nextjs-cache") == "HIT"
    assert got.headers.get("cache-control") == "s-maxage=31536000"


# -- draft_mode() ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def draft(kernel: Kernel) -> Kernel:
    kernel.ok(
        "%%route /draft/page\n"
        "dynamic = 'force-static'\n"
        "import itertools\n"
        "RENDERS = itertools.count()\n"
        "def GET():\n"
        "    return {'n': next(RENDERS), 'draft': draft_mode().is_enabled}"
    )
    kernel.ok(
        "%%route /draft/isr\n"
        "revalidate = 60\n"
        "import itertools\n"
        "RENDERS = itertools.count()\n"
        "def GET():\n"
        "    return {'n': next(RENDERS)}"
    )
    kernel.ok(
        "%%route /api/draft\n"
        "def GET():\n"
        "    draft_mode().enable()\n"
        "    return 'on'\n"
        "def DELETE():\n"
        "    draft_mode().disable()\n"
        "    return 'off'"
    )
    return kernel


def test_enable_sets_the_bypass_cookie_and_disable_clears_it(draft):
    on = draft.http("GET", "/api/draft").headers.get_all("set-cookie")
    assert len(on) == 1
    assert re.fullmatch(
        r"__prerender_bypass=[0-9a-f]{32}; Path=/; Secure; HttpOnly; SameSite=none", on[0]
    )
    again = draft.http("GET", "/api/draft").headers.get_all("set-cookie")
    assert again == on  # fixed while the app lives
    off = draft.http("DELETE", "/api/draft").headers.get_all("set-cookie")
    assert off == [f"__prerender_bypass=; Path=/; {EXPIRED}; Secure; HttpOnly; SameSite=none"]


@pytest.mark.parametrize("path", ["/draft/page", "/draft/isr"])
def test_draft_mode_bypasses_the_cache(draft, path):
    cookie = draft.http("GET", "/api/draft").headers.get("set-cookie").split(";")[0]
    name, value = cookie.split("=")
    cached = [draft.http("GET", path).content for _ in range(2)]
    assert cached[0] == cached[1]
    fresh = [draft.http("GET", path, cookies={name: value}) for _ in range(2)]
    assert fresh[0].content != fresh[1].content
    for got in fresh:
        assert got.headers.get("x-nextjs-cache") == "HIT"  # as Next.js says
        assert got.headers.get("cache-control") == PRIVATE
    if path == "/draft/page":
        assert fresh[0].json()["draft"] is True
    assert draft.http("GET", path).content == cached[0]  # the cache is untouched


def test_a_wrong_bypass_value_is_cleared(draft):
    got = draft.http("GET", "/draft/page", cookies={"__prerender_bypass": "0" * 32})
    assert got.json()["draft"] is False
    assert got.headers.get_all("set-cookie") == [
        f"{name}=; Path=/; {EXPIRED}; HttpOnly; Secure; SameSite=None"
        for name in ("__prerender_bypass", "__next_preview_data")
    ]


# -- pending callbacks at stop ---------------------------------------------------------


def test_kernel_shutdown_waits_for_pending_callbacks(tmp_path):
    marker = tmp_path / "written"
    k = Kernel()
    try:
        k.ok("%load_ext notebook_routes")
        k.ok(
            "%%route GET /slow\n"
            "import time\n"
            "def write():\n"
            "    time.sleep(1)\n"
            f"    open({str(marker)!r}, 'w').write('done')\n"
            "after(write)\n"
            "return 'ok'"
        )
        assert k.http("GET", "/slow").text == "ok"
        assert not marker.exists()
    finally:
        k.shutdown()
    assert marker.read_text() == "done"


def test_sigterm_of_serve_waits_for_pending_callbacks(tmp_path: Path):
    marker = tmp_path / "written"
    route = tmp_path / "app" / "slow"
    route.mkdir(parents=True)
    (route / "route.py").write_text(
        "import asyncio\n"
        "from notebook_routes import after\n"
        "async def write():\n"
        "    await asyncio.sleep(1)\n"
        f"    open({str(marker)!r}, 'w').write('done')\n"
        "def GET():\n"
        "    after(write)\n"
        "    return 'ok'\n"
    )
    server = Served(tmp_path / "app")
    try:
        assert server.request("GET", "/slow").text == "ok"
        assert not marker.exists()
        assert server.terminate() == 0
    finally:
        server.close()
    assert marker.read_text() == "done"
