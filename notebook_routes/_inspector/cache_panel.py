"""The Cache tab: cached route answers and data entries, with revalidate and purge.

*revalidate* (route entries) is Next.js's ``revalidatePath`` followed by a visit: the
entry is dropped and the path requested again, so the row comes back fresh. *purge*
only drops the entry; the next request (or call, for data) renders anew.

>>> from notebook_routes._inspector.state import CacheRow
>>> row = CacheRow("/items/a", "route", "/items/[slug]", "stale", 75, 60, 3, ("items",), 2048)
>>> html = cache_cells(row)
>>> "/items/a" in html and "stale" in html and "2.0 KiB" in html and "items" in html
True
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import ipywidgets as widgets

from notebook_routes._inspector.format import (
    AMBER,
    MUTED,
    age_text,
    columns,
    esc,
    revalidate_text,
    size_text,
)
from notebook_routes._inspector.panel import Panel
from notebook_routes._inspector.rows import Action, RowPool, RowView
from notebook_routes._inspector.state import CacheInfo, CacheRow, InspectorState

PAGE_SIZE = 50
WIDTHS = {
    "path": 180,
    "route": 150,
    "state": 90,
    "age": 55,
    "period": 60,
    "hits": 50,
    "tags": 110,
    "size": 75,
    "made by": 120,
}
ACTIONS = [
    Action("revalidate", "revalidate", "Drop this answer and render it again now", width="88px"),
    Action("purge", "purge", "Drop this entry; the next request renders anew", width="60px"),
]
STATE_COLOURS = {"fresh": "#1a7f37", "stale": "#9a6700", "stale by tag": "#bc4c00"}
WARNING_AMBER = "#9a6700"


def cache_cells(row: CacheRow) -> str:
    path = esc(row.key)
    if row.kind == "data":
        path = f'<span style="color:{MUTED}">data</span> {path}'
    state = f'<span style="color:{STATE_COLOURS[row.state]}">{row.state}</span>'
    return columns(
        [
            (f'<span title="{esc(row.key)}">{path}</span>', WIDTHS["path"]),
            (esc(row.route or ""), WIDTHS["route"]),
            (state, WIDTHS["state"]),
            (age_text(row.age_s), WIDTHS["age"]),
            (esc(revalidate_text(row.revalidate)), WIDTHS["period"]),
            (esc(row.hits), WIDTHS["hits"]),
            (esc(", ".join(row.tags)), WIDTHS["tags"]),
            (size_text(row.size_bytes), WIDTHS["size"]),
            (f'<span style="color:{MUTED}">{esc(row.origin)}</span>', WIDTHS["made by"]),
        ]
    )


def cache_note(info: CacheInfo) -> str:
    """One line above the table: where the cache lives, its warning, its evictions.

    >>> note = cache_note(CacheInfo("redis://127.0.0.1:6379/0", True, "Redis is down", 3))
    >>> "Redis is down" in note and "shared through redis://" in note and "3 evicted" in note
    True
    """
    parts = []
    if info.warning:
        parts.append(f'<span style="color:{WARNING_AMBER}">&#9888; {esc(info.warning)}</span>')
    where = f"shared through {info.where}" if info.shared else "in this process"
    evicted = f"{info.evictions} evicted (memory bound)" if info.evictions else "none evicted"
    parts.append(f'<span style="color:{MUTED}">cache {esc(where)}; {evicted}</span>')
    return " · ".join(parts)


class CachePanel(Panel):
    """Draws `state.cache`; the buttons call back into the widget that owns the app."""

    def __init__(
        self,
        state: InspectorState,
        *,
        revalidate: Callable[[CacheRow], str],
        purge: Callable[[CacheRow], str],
        purge_tag: Callable[[str], str],
        page_size: int = PAGE_SIZE,
        capture: Callable[[Any], Any] = lambda f: f,
    ) -> None:
        self.state = state
        self.revalidate = revalidate
        self.purge = purge
        self.purge_tag = purge_tag
        self.page_size = page_size
        self.tag = widgets.Text(placeholder="tag", description="tag", layout={"width": "240px"})
        self.tag_button = widgets.Button(description="purge tag", tooltip="update_tag(tag)")
        self.tag_button.add_class("nr-purge-tag")
        self.tag_button.on_click(capture(lambda _b: self._purge_tag()))
        self.status = widgets.HTML()
        self.note = widgets.HTML()
        self.note.add_class("nr-cache-note")
        self.count = widgets.HTML()
        self.header = widgets.HTML(
            columns([(name, width) for name, width in WIDTHS.items()], header=True)
        )
        self.pool = RowPool(ACTIONS, capture(self._act), css_class="nr-cache-row")
        tools = widgets.HBox([self.tag, self.tag_button, self.status])
        self.widget = widgets.VBox(
            [tools, self.note, self.count, self.header, self.pool.box],
            layout=widgets.Layout(overflow="auto"),
        )
        self.widget.add_class("nr-cache")
        state.observe(self.draw, names=("cache",))
        self.draw()

    def render(self, changed: frozenset[str] | None = None) -> None:
        rows = self.state.cache
        self.note.value = cache_note(self.state.cache_info)
        shown = rows[: self.page_size]
        self.pool.show(
            [
                RowView(
                    key=row.key,
                    html=cache_cells(row),
                    disabled=() if row.kind == "route" else ("revalidate",),
                )
                for row in shown
            ]
        )
        self.count.value = (
            f'<span style="color:{MUTED}">{len(rows)} entries'
            + (f", showing the first {len(shown)}" if len(shown) < len(rows) else "")
            + "</span>"
            if rows
            else f'<span style="color:{MUTED}">Nothing cached yet: static and ISR routes, '
            f"<code>cached()</code> and <code>fetch()</code> results appear here.</span>"
        )

    def _act(self, name: str, key: Hashable) -> None:
        row = next((r for r in self.state.cache if r.key == key), None)
        if row is None:
            return
        message = self.revalidate(row) if name == "revalidate" else self.purge(row)
        self.status.value = f'<span style="color:{MUTED}">{esc(message)}</span>'

    def _purge_tag(self) -> None:
        tag = self.tag.value.strip()
        if not tag:
            self.status.value = f'<span style="color:{AMBER}">type a tag to purge</span>'
            return
        self.status.value = f'<span style="color:{MUTED}">{esc(self.purge_tag(tag))}</span>'

    def close(self) -> None:
        self.state.unobserve(self.draw)
        self.pool.close()
        for w in (
            self.tag, self.tag_button, self.status, self.note, self.count, self.header, self.widget
        ):  # fmt: skip
            w.close()


__all__ = ["CachePanel", "cache_cells", "cache_note"]
