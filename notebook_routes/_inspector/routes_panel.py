"""The Routes tab: one row per route, with a link that opens it and a remove button.

>>> from notebook_routes._inspector.state import RouteRow
>>> row = RouteRow("/api/hello", "route", ("GET",), "dynamic", "ƒ dynamic", None, "In [3]",
...                5, 1, None, "/api/hello", (), total_hits=12)
>>> html = route_cells(row, "http://127.0.0.1:8123/api/hello")
>>> 'href="http://127.0.0.1:8123/api/hello"' in html and "In [3]" in html and ">12<" in html
True
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import ipywidgets as widgets

from notebook_routes._inspector.format import ERROR_RED, MUTED, columns, esc, revalidate_text
from notebook_routes._inspector.panel import Panel
from notebook_routes._inspector.rows import Action, RowPool, RowView
from notebook_routes._inspector.state import InspectorState, RouteRow

WIDTHS = {
    "pattern": 200,
    "methods": 110,
    "rendering": 120,
    "revalidate": 92,
    "cell": 70,
    "cell hits": 80,
    "total hits": 86,
    "errors": 60,
    "conflict": 90,
}
LINK = "var(--jp-content-link-color, #0969da)"
ACTIONS = [
    # First in the row: a narrow panel scrolls the columns, never the buttons, out of view.
    Action("try", "try", "Fill in the Try it tab for this route", width="48px", first=True),
    Action(
        "remove", "remove", "Delete this route (as %route_remove does)", width="72px", first=True
    ),
]


LEAD = 48 + 72 + 8  # the buttons' widths and margins: the header starts where the cells do


def conflict_badge(level: str | None) -> str:
    if level == "error":
        return f'<span style="color:#fff;background:{ERROR_RED};padding:0 4px">⚠ conflict</span>'
    if level == "info":
        return f'<span style="color:{MUTED}" title="an overlap Next.js allows">(i) overlap</span>'
    return ""


def route_cells(row: RouteRow, link: str | None) -> str:
    pattern = esc(row.pattern)
    if link:
        pattern = f'<a href="{esc(link)}" target="_blank" style="color:{LINK}">{pattern}</a>'
    if row.kind == "page":
        pattern += f' <span style="color:{MUTED}">(page)</span>'
    errors = esc(row.errors)
    if row.errors:
        errors = f'<b style="color:{ERROR_RED}">{errors}</b>'
    return columns(
        [
            (pattern, WIDTHS["pattern"]),
            (esc(" ".join(row.methods)), WIDTHS["methods"]),
            (esc(row.label), WIDTHS["rendering"]),
            (esc(revalidate_text(row.revalidate)), WIDTHS["revalidate"]),
            (esc(row.cell or ""), WIDTHS["cell"]),
            (esc(row.hits), WIDTHS["cell hits"]),
            (esc(row.total_hits), WIDTHS["total hits"]),
            (errors, WIDTHS["errors"]),
            (conflict_badge(row.conflict), WIDTHS["conflict"]),
        ]
    )


# "hits" alone read as one number; a re-run cell restarts its own count.
HEADER_TITLES = {
    "cell hits": "requests answered since the cell that defines the route last ran",
    "total hits": "requests answered over every definition of this path",
}


def header_cells() -> str:
    return columns(
        [
            (
                f'<span title="{HEADER_TITLES[name]}">{name}</span>'
                if name in HEADER_TITLES
                else name,
                width,
            )
            for name, width in WIDTHS.items()
        ],
        header=True,
    )


class RoutesPanel(Panel):
    """Draws `state.routes`; `remove(row)` and `try_route(row)` act on a clicked row."""

    def __init__(
        self,
        state: InspectorState,
        *,
        link: Callable[[RouteRow], str | None],
        remove: Callable[[RouteRow], None],
        try_route: Callable[[RouteRow], None],
        capture: Callable[[Any], Any] = lambda f: f,
    ) -> None:
        self.state = state
        self.link = link
        self.remove = remove
        self.try_route = try_route
        self.header = widgets.HTML(header_cells(), layout=widgets.Layout(margin=f"0 0 0 {LEAD}px"))
        self.empty = widgets.HTML("No routes yet: define one in a <code>%%route</code> cell.")
        self.pool = RowPool(ACTIONS, capture(self._act), css_class="nr-route-row")
        self.proxy = widgets.HTML("")
        self.widget = widgets.VBox(
            [self.proxy, self.header, self.empty, self.pool.box],
            layout=widgets.Layout(overflow="auto"),
        )
        self.widget.add_class("nr-routes")
        state.observe(self.draw, names=("routes",))
        self.draw()

    def render(self, changed: frozenset[str] | None = None) -> None:
        rows = self.state.routes
        proxy = self.state.proxy
        self.proxy.value = "" if proxy is None else f"<b>proxy</b> <code>{esc(proxy)}</code>"
        self.proxy.layout.display = "none" if proxy is None else ""
        self.empty.layout.display = "none" if rows else ""
        self.pool.show(
            [RowView(key=(r.pattern, r.kind), html=route_cells(r, self.link(r))) for r in rows]
        )

    def _act(self, name: str, key: Hashable) -> None:
        row = next((r for r in self.state.routes if (r.pattern, r.kind) == key), None)
        if row is None:
            return
        if name == "remove":
            self.remove(row)
        elif name == "try":
            self.try_route(row)

    def close(self) -> None:
        self.state.unobserve(self.draw)
        self.pool.close()
        for w in (self.proxy, self.header, self.empty, self.widget):
            w.close()


__all__ = ["RoutesPanel", "conflict_badge", "header_cells", "route_cells"]
