"""The Conflicts tab: errors in red with Next.js's message, allowed overlaps apart.

>>> from notebook_routes._inspector.state import ConflictRow
>>> html = conflicts_html([
...     ConflictRow("error", "Conflicting routes at /dup: ...", ("/(g1)/dup", "/(g2)/dup")),
...     ConflictRow("info", "/items/new is matched before /items/[slug]", ("/items/new",)),
... ])
>>> html.index("Conflicting routes") < html.index("Information")
True
"""

from __future__ import annotations

import ipywidgets as widgets

from notebook_routes._inspector.format import ERROR_RED, GREEN, MONO, MUTED, esc
from notebook_routes._inspector.panel import Panel
from notebook_routes._inspector.state import ConflictRow, InspectorState


def _routes(conflict: ConflictRow) -> str:
    return ", ".join(f"<code>{esc(r)}</code>" for r in conflict.routes)


def conflicts_html(conflicts: list[ConflictRow]) -> str:
    errors = [c for c in conflicts if c.level == "error"]
    infos = [c for c in conflicts if c.level != "error"]
    parts = []
    if not errors:
        parts.append(f'<p style="color:{GREEN}">No conflicts: every route can be reached.</p>')
    for c in errors:
        parts.append(
            f'<div class="nr-conflict" style="border-left:4px solid {ERROR_RED};'
            f'padding:4px 8px;margin:4px 0;background:#ffebe9">'
            f'<div style="{MONO};color:{ERROR_RED};font-weight:600">{esc(c.message)}</div>'
            f'<div style="color:{MUTED}">routes: {_routes(c)} · requests to them answer 500 '
            f"until the conflict is gone</div></div>"
        )
    if infos:
        items = "".join(
            f'<li><span style="{MONO}">{esc(c.message)}</span> '
            f'<span style="color:{MUTED}">({_routes(c)})</span></li>'
            for c in infos
        )
        parts.append(
            f'<div style="margin-top:8px"><b>Information</b> '
            f'<span style="color:{MUTED}">(overlaps Next.js allows)</span><ul>{items}</ul></div>'
        )
    return "".join(parts)


class ConflictsPanel(Panel):
    def __init__(self, state: InspectorState) -> None:
        self.state = state
        self.html = widgets.HTML()
        self.widget = widgets.VBox([self.html], layout=widgets.Layout(overflow="auto"))
        self.widget.add_class("nr-conflicts")
        state.observe(self.draw, names=("conflicts",))
        self.draw()

    def render(self, changed: frozenset[str] | None = None) -> None:
        self.html.value = conflicts_html(self.state.conflicts)

    def close(self) -> None:
        self.state.unobserve(self.draw)
        self.html.close()
        self.widget.close()


__all__ = ["ConflictsPanel", "conflicts_html"]
