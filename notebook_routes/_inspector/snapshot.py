"""The inspector as static HTML and text: what nbconvert, GitHub and a terminal show.

A saved notebook has no kernel behind its widgets, so the inspector's display also
carries this picture of the moment it was drawn (the live widget wins where widgets run).

>>> from notebook_routes import App
>>> from notebook_routes._inspector.state import InspectorState
>>> app = App()
>>> route = app.add("/api/hello", {"GET": lambda: "hi"})
>>> state = InspectorState(app)
>>> changed = state.refresh()
>>> print(snapshot_text(state))
notebook-routes inspector: 1 route, 0 conflicts, 0 requests logged, 0 cache entries
pattern     methods  rendering  revalidate  cell  cell hits  total hits  errors  conflict
/api/hello  GET      ƒ dynamic  —                 0          0           0
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from notebook_routes._inspector.format import (
    MONO,
    MUTED,
    age_text,
    cache_html,
    clock_text,
    duration_text,
    esc,
    params_text,
    revalidate_text,
    size_text,
    status_html,
)
from notebook_routes._inspector.state import InspectorState, RouteRow

RECENT = 20  # requests shown in the snapshot


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def headline(state: InspectorState) -> str:
    errors = sum(1 for c in state.conflicts if c.level == "error")
    overlaps = len(state.conflicts) - errors
    parts = [_plural(len(state.routes), "route"), _plural(errors, "conflict")]
    if overlaps:
        parts.append(_plural(overlaps, "overlap"))
    parts.append(f"{_plural(len(state.requests), 'request')} logged")
    parts.append(f"{len(state.cache)} cache {'entry' if len(state.cache) == 1 else 'entries'}")
    return "notebook-routes inspector: " + ", ".join(parts)


def _text_table(header: Sequence[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    lines = [
        "  ".join(str(cell).ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in [list(header), *rows]
    ]
    return "\n".join(lines)


def snapshot_text(state: InspectorState) -> str:
    lines = [headline(state)]
    if state.routes:
        lines.append(
            _text_table(
                ["pattern", "methods", "rendering", "revalidate", "cell", "cell hits"]
                + ["total hits", "errors", "conflict"],
                [
                    [
                        r.pattern,
                        " ".join(r.methods),
                        r.label,
                        revalidate_text(r.revalidate),
                        r.cell or "",
                        str(r.hits),
                        str(r.total_hits),
                        str(r.errors),
                        r.conflict or "",
                    ]
                    for r in state.routes
                ],
            )
        )
    for c in state.conflicts:
        lines.append(f"{'conflict' if c.level == 'error' else 'note'}: {c.message}")
    return "\n".join(lines)


def _table(header: Sequence[str], rows: list[list[str]]) -> str:
    th = "".join(
        f'<th style="text-align:left;padding:2px 10px 2px 0">{esc(h)}</th>' for h in header
    )
    # text-align and margin set here: JupyterLab's table CSS right-aligns and centres.
    td = '<td style="text-align:left;padding:2px 10px 2px 0">'
    body = "".join("<tr>" + "".join(f"{td}{c}</td>" for c in row) + "</tr>" for row in rows)
    return (
        f'<table style="{MONO};border-collapse:collapse;margin-left:0"><tr>{th}</tr>{body}</table>'
    )


def snapshot_html(
    state: InspectorState, *, link: Callable[[RouteRow], str | None] = lambda r: None
) -> str:
    """Routes, conflicts, the newest requests and the cache, as one static block."""
    parts = [
        f"<b>{esc(headline(state))}</b>",
        _routes_html(state, link),
        _conflicts_html(state),
        _requests_html(state),
        _cache_html(state),
    ]
    return f'<div class="notebook-routes-inspector">{"".join(parts)}</div>'


def _routes_html(state: InspectorState, link: Callable[[RouteRow], str | None]) -> str:
    """The Routes table; a pattern is a link where `link` gives one (routes without params)."""
    rows = []
    for r in state.routes:
        href = link(r)
        pattern = f'<a href="{esc(href)}">{esc(r.pattern)}</a>' if href else esc(r.pattern)
        rows.append(
            [
                pattern,
                esc(" ".join(r.methods)),
                esc(r.label),
                esc(revalidate_text(r.revalidate)),
                esc(r.cell or ""),
                str(r.hits),
                str(r.total_hits),
                str(r.errors),
                esc(r.conflict or ""),
            ]
        )
    header = ["pattern", "methods", "rendering", "revalidate", "cell", "cell hits", "total hits"]
    header.append("errors")
    table = _table([*header, "conflict"], rows) if rows else "<p>No routes.</p>"
    return "<h4>Routes</h4>" + table


def _conflicts_html(state: InspectorState) -> str:
    """The Conflicts list (errors in red, notes muted); nothing when there are none."""
    if not state.conflicts:
        return ""
    items = []
    for c in state.conflicts:
        colour = "#cf222e" if c.level == "error" else MUTED
        items.append(
            f'<li style="color:{colour}"><code>{esc(c.message)}</code> '
            f"({esc(', '.join(c.routes))})</li>"
        )
    return "<h4>Conflicts</h4><ul>" + "".join(items) + "</ul>"


def _requests_html(state: InspectorState) -> str:
    """The newest `RECENT` requests, newest first."""
    recent = list(reversed(state.requests))[:RECENT]
    heading = f"<h4>Requests <small>(newest {len(recent)} of {len(state.requests)})</small></h4>"
    if not recent:
        return heading + "<p>No requests yet.</p>"
    rows = [
        [
            clock_text(e.time),
            esc(e.method),
            esc(e.path),
            esc(e.route or "—"),
            esc(params_text(e.params)),
            status_html(e.status),
            duration_text(e.duration_ms),
            cache_html(e.cache),
        ]
        for e in (row.entry for row in recent)
    ]
    header = ["time", "method", "path", "route", "params", "status", "duration", "cache"]
    return heading + _table(header, rows)


def _cache_html(state: InspectorState) -> str:
    """The Cache table; nothing when the cache is empty."""
    if not state.cache:
        return ""
    rows = [
        [
            esc(c.key),
            esc(c.route or ""),
            c.state,
            age_text(c.age_s),
            esc(revalidate_text(c.revalidate)),
            str(c.hits),
            esc(", ".join(c.tags)),
            size_text(c.size_bytes),
        ]
        for c in state.cache
    ]
    header = ["path", "route", "state", "age", "period", "hits", "tags", "size"]
    return "<h4>Cache</h4>" + _table(header, rows)


__all__ = ["headline", "snapshot_html", "snapshot_text"]
