"""The Requests tab: the newest requests first, filterable, a row expanding to its headers.

Each row has *replay* (send the same request again; the new answer shows beside the
logged one) and *curl* (the request as a curl command, in a read-only box to copy).

>>> from notebook_routes._log import LogEntry
>>> from notebook_routes._inspector.state import RequestRow
>>> row = RequestRow(7, LogEntry(0.0, "GET", "/items/a", "/items/[slug]", {"slug": "a"},
...                              500, 2.0, error="boom", traceback="Traceback ...\\nKeyError"))
>>> cells = request_cells(row)
>>> "<td>/items/a</td>" in cells and "<td>slug=a</td>" in cells and '#cf222e)">500<' in cells
True
>>> "KeyError" in request_detail(row)
True
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from notebook_routes._inspector.chart import chart_html
from notebook_routes._inspector.format import (
    ERROR_RED,
    MUTED,
    cache_html,
    clock_text,
    duration_text,
    esc,
    headers_table,
    params_text,
    pre,
    status_html,
)
from notebook_routes._inspector.panel import Panel
from notebook_routes._inspector.replay_view import curl_html, failed_html, replay_html
from notebook_routes._inspector.request_table import RequestTable, RowAction, table_html
from notebook_routes._inspector.state import NO_ROUTE, STATUS_CLASSES, InspectorState, RequestRow
from notebook_routes._replay import curl_command, replay

if TYPE_CHECKING:
    from notebook_routes._server import Server

PAGE_SIZE = 25
ANY = "*"  # a filter that lets everything through (a Dropdown cannot hold None as a choice)
WIDTHS = {
    "time": 100,
    "method": 64,
    "path": 210,
    "route": 170,
    "params": 130,
    "status": 50,
    "duration": 70,
    "cache": 60,
}
ACTIONS = (
    RowAction("replay", "replay", "Send this request again and show the new answer beside it"),
    RowAction("curl", "curl", "Show this request as a curl command to copy"),
)


def request_cells(row: RequestRow) -> str:
    """One row's ``<td>`` cells (made 500 times a second under load: kept lean)."""
    e = row.entry
    route = esc(e.route) if e.route else f'<span style="color:{MUTED}">—</span>'
    return (
        f"<td>{clock_text(e.time)}</td><td>{esc(e.method)}</td><td>{esc(e.path)}</td>"
        f"<td>{route}</td><td>{esc(params_text(e.params))}</td><td>{status_html(e.status)}</td>"
        f"<td>{duration_text(e.duration_ms)}</td><td>{cache_html(e.cache)}</td>"
    )


def request_detail(row: RequestRow) -> str:
    e = row.entry
    parts = []
    if e.error:
        parts.append(f'<div style="color:{ERROR_RED};font-weight:600">{esc(e.error)}</div>')
    if e.proxy:
        parts.append(f"<div><b>Proxy</b>: {esc(e.proxy)}</div>")
    parts.append(f"<b>Request headers</b>{headers_table(e.request_headers)}")
    parts.append(f"<b>Response headers</b>{headers_table(e.response_headers)}")
    if e.traceback:
        parts.append(f"<b>Traceback</b>{pre(e.traceback, colour=ERROR_RED)}")
    if e.after:
        parts.append(f"<b>after()</b>{pre(chr(10).join(e.after))}")
    return '<div class="nr-request-detail" style="line-height:1.5">' + "".join(parts) + "</div>"


def header_cells() -> str:
    return table_html(
        list(WIDTHS.values()), "<tr>" + "".join(f"<th>{n}</th>" for n in WIDTHS) + "</tr>"
    )


class RequestsPanel(Panel):
    """Draws `state.requests` (filtered, newest first) and the traffic chart."""

    def __init__(
        self,
        state: InspectorState,
        *,
        page_size: int = PAGE_SIZE,
        capture: Callable[[Any], Any] = lambda f: f,
        server: Callable[[], Server | None] = lambda: None,
        post: Callable[[Callable[[], Any]], None] = lambda callback: callback(),
        threaded: bool = False,
    ) -> None:
        if not isinstance(page_size, int) or isinstance(page_size, bool) or page_size < 1:
            raise ValueError(f"page_size must be a positive int, not {page_size!r}")
        self.state = state
        self.page_size = page_size
        self.server = server
        self.post = post  # runs a callback on the kernel's loop, where widgets may change
        self.threaded = threaded
        # What replay / curl showed under a row, by its sequence number (HTML).
        self.replays: dict[int, str] = {}
        self.curls: dict[int, str] = {}
        self.chart = widgets.HTML()
        self.route_filter = widgets.Dropdown(
            options=self._route_options(), value=ANY, description="route"
        )
        self.status_filter = widgets.Dropdown(
            options=[("any", ANY), *[(s, s) for s in STATUS_CLASSES]],
            value=ANY,
            description="status",
            layout=widgets.Layout(width="180px"),
        )
        self.count = widgets.HTML()
        for w in (self.route_filter, self.status_filter):
            w.observe(capture(lambda _change: self.draw()), names="value")
        self.header = widgets.HTML(header_cells(), layout=widgets.Layout(margin="0 0 0 30px"))
        self.table = RequestTable(
            request_cells,
            self._detail,
            list(WIDTHS.values()),
            rows=page_size,
            capture=capture,
            actions=ACTIONS,
            on_action=self._act,
        )
        self.table.on_toggle = lambda: self.draw()
        filters = widgets.HBox([self.route_filter, self.status_filter, self.count])
        self.widget = widgets.VBox(
            [self.chart, filters, self.header, self.table.box],
            layout=widgets.Layout(overflow="auto"),
        )
        self.widget.add_class("nr-requests")
        state.observe(self._routes_changed, names=("routes",))
        state.observe(self.draw, names=("requests", "traffic"))
        self.draw()

    # -- replay and curl (buttons: on the kernel's loop) -----------------------------------

    def _detail(self, row: RequestRow) -> str:
        shown = request_detail(row)
        for extra in (self.curls.get(row.seq), self.replays.get(row.seq)):
            if extra:
                shown += f'<div style="margin-top:6px">{extra}</div>'
        return shown

    def _act(self, name: str, row: RequestRow) -> None:
        if name == "curl":
            self.curls[row.seq] = curl_html(curl_command(row.entry))
        elif name == "replay":
            self._replay(row)
        self.table.expanded.add(row.seq)  # the answer shows in the row's detail
        self.draw()

    def _replay(self, row: RequestRow) -> None:
        srv = self.server()
        if srv is None:
            self.replays[row.seq] = failed_html(
                "No server is running for this app: start one first."
            )
            return
        self.replays[row.seq] = (
            f'<span style="color:{MUTED}">replaying {esc(row.entry.method)} '
            f"{esc(row.entry.path)} …</span>"
        )

        def work() -> None:  # off the kernel's loop when there is one: the handler may be slow
            try:
                shown = replay_html(replay(row.entry, server=srv))
            except Exception as exc:  # the server may be gone: say so under the row
                shown = failed_html(f"replay failed: {type(exc).__name__}: {exc}")
            self.post(lambda: self._replayed(row.seq, shown))

        if self.threaded:
            threading.Thread(target=work, name="notebook-routes-replay", daemon=True).start()
        else:
            work()

    def _replayed(self, seq: int, shown: str) -> None:
        self.replays[seq] = shown
        self.draw()

    def _route_options(self) -> list[tuple[str, str]]:
        patterns = sorted({r.pattern for r in self.state.routes})
        return [("any", ANY), ("(no match)", NO_ROUTE), *[(p, p) for p in patterns]]

    def _routes_changed(self, _changed: object = None) -> None:
        options = self._route_options()
        if options != list(self.route_filter.options):
            current = self.route_filter.value
            self.route_filter.options = options
            # keep a filter on a route that was just removed: its requests are still logged
            if current not in [v for _, v in options]:
                self.route_filter.options = [*options, (str(current), current)]
            self.route_filter.value = current

    def render(self, changed: frozenset[str] | None = None) -> None:
        if changed is None or "traffic" in changed:
            self.chart.value = chart_html(self.state.traffic.series(self.state.clock()))
        if changed is None or "requests" in changed:
            self._draw_rows()

    def _draw_rows(self) -> None:
        route, status = self.route_filter.value, self.status_filter.value
        shown, matching = self.state.newest_requests(
            route=None if route == ANY else route,
            status=None if status == ANY else status,
            limit=self.page_size,
        )
        expanded = self.table.expanded
        if self.state.requests:  # rows that fell out of the log cannot stay expanded
            oldest = self.state.requests[0].seq
            expanded = {seq for seq in expanded if seq >= oldest}
            for extras in (self.replays, self.curls):
                for seq in [seq for seq in extras if seq < oldest]:
                    del extras[seq]
        self.table.show(shown, expanded)
        total = len(self.state.requests)
        self.count.value = (
            f'<span style="color:{MUTED}">showing {len(shown)} of {matching} matching '
            f"({total} logged, newest first)</span>"
        )

    def close(self) -> None:
        for callback in (self._routes_changed, self.draw):
            self.state.unobserve(callback)
        self.table.close()
        for w in (
            self.chart,
            self.route_filter,
            self.status_filter,
            self.count,
            self.header,
            self.widget,
        ):
            w.close()


__all__ = ["RequestsPanel", "header_cells", "request_cells", "request_detail"]
