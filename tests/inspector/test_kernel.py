"""The inspector in a real kernel: ``%routes``, and live updates with no cell running."""

from __future__ import annotations

import html
import queue
import re
import time
import uuid

import pytest

from tests.kernel import Kernel

pytestmark = pytest.mark.timeout(300)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


KERNEL_SETUP = [
    '%%route GET /hello/[name]\nreturn {"hello": params["name"]}',
    "%%route GET /api/status\nreturn 'ok'",
]


def widget_updates(kernel: Kernel, needle: str, timeout: float = 30) -> list[dict]:
    """Widget state updates the kernel publishes on its own, until one mentions `needle`."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            msg = kernel.client.get_iopub_msg(timeout=0.5)
        except queue.Empty:
            continue
        if msg["msg_type"] != "comm_msg":
            continue
        data = msg["content"]["data"]
        seen.append(data)
        if data.get("method") == "update" and needle in str(data.get("state")):
            return seen
    raise AssertionError(f"no widget update mentioned {needle!r} within {timeout} s")


def eventually(kernel: Kernel, expression: str, timeout: float = 30) -> object:
    """The expression's value once it is truthy (the kernel idles in between)."""
    deadline = time.monotonic() + timeout
    while not (value := kernel.value(expression)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return value


def drain(kernel: Kernel) -> None:
    while True:
        try:
            kernel.client.get_iopub_msg(timeout=0.2)
        except queue.Empty:
            return


def test_routes_magic_displays_the_inspector_with_a_static_fallback(kernel):
    out = kernel.ok("%routes")
    shown = [d for d in out.data if WIDGET_VIEW in d]
    assert len(shown) == 1
    bundle = shown[0]
    assert "<h4>Routes</h4>" in bundle["text/html"] and "/hello/[name]" in bundle["text/html"]
    assert bundle["text/plain"].startswith("notebook-routes inspector: 2 routes")
    assert "/api/status" in bundle["text/plain"]


def test_inspector_returns_the_same_live_widget_each_time(kernel):
    out = kernel.ok(
        "import notebook_routes\n"
        "ins = notebook_routes.inspector()\n"
        "print(type(ins).__name__, ins is notebook_routes.inspector(), ins.tabs.titles)"
    )
    assert out.stdout.strip() == (
        "Inspector True ('Routes', 'Conflicts', 'Requests', 'Cache', 'Try it')"
    )


def test_requests_from_outside_update_the_widget_without_running_a_cell(kernel):
    kernel.ok(
        "import notebook_routes\n"
        "ins = notebook_routes.inspector()\n"
        "ins.tabs.selected_index = 2  # Requests: hidden tabs are not drawn\n"
        "display(ins)"
    )
    drain(kernel)
    name = f"outside-{uuid.uuid4().hex[:8]}"
    assert kernel.http("GET", f"/hello/{name}").json() == {"hello": name}
    # The kernel is idle: only the live feed can send this update.
    widget_updates(kernel, f"/hello/{name}")
    table = kernel.value("ins.requests_panel.table.segments[0].lines.value")
    newest = table.split('class="nr-request-row"')[1]
    assert f">/hello/{name}<" in newest and ">200<" in newest
    # Route hits ride on the once-a-second poll.
    hits = eventually(
        kernel, "dict((r.pattern, r.hits) for r in ins.state.routes)['/hello/[name]']"
    )
    assert hits == 1


def test_a_route_added_by_a_cell_appears_in_the_routes_tab(kernel):
    kernel.ok("ins.tabs.selected_index = 0")
    kernel.ok("%%route GET /added/later\nreturn 'later'")
    drain(kernel)
    widget_updates(kernel, "/added/later")
    keys = kernel.value("[row.key for row in ins.routes_panel.pool.rows if row.key]")
    assert ("/added/later", "route") in keys


def test_the_dataframes(kernel):
    out = kernel.ok(
        "import notebook_routes as nr\n"
        "for df in (nr.routes_table(), nr.request_log(), nr.cache_table(), nr.conflicts()):\n"
        "    print(list(df.columns))"
    )
    assert out.stdout.splitlines() == [
        "['pattern', 'methods', 'rendering', 'revalidate', 'dynamic', 'params', 'cell', "
        "'hits', 'total_hits', 'errors', 'conflict']",
        "['time', 'method', 'path', 'route', 'params', 'status', 'duration_ms', 'cache', 'error']",
        "['path', 'route', 'state', 'age_s', 'revalidate', 'hits', 'tags', 'size_bytes', 'origin']",
        "['level', 'message', 'routes']",
    ]


def test_replay_runs_off_the_kernels_loop_and_is_drawn_on_it(kernel):
    kernel.ok(
        "import notebook_routes\n"
        "ins = notebook_routes.inspector()\n"
        "ins.tabs.selected_index = 2\n"
        "display(ins)"
    )
    name = f"replayed-{uuid.uuid4().hex[:8]}"
    kernel.http("GET", f"/hello/{name}")
    widget_updates(kernel, f"/hello/{name}")
    drain(kernel)
    # The click runs the request on a thread; the cell ends before the answer is drawn.
    kernel.ok("ins.requests_panel.table.action_buttons['replay'][0].click()")
    widget_updates(kernel, "now: ")
    detail = kernel.value(
        "[s.detail.value for s in ins.requests_panel.table.visible_segments()"
        " if s.detail.layout.display != 'none'][0]"
    )
    shown = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", detail)).split())
    assert "same status, same body" in shown
    _, now = shown.split(" now: ")
    assert now.startswith("200 ") and now.endswith(f'{{ "hello": "{name}" }}')
    assert "content-type application/json" in now.lower()
