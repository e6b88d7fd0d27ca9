"""The live traffic chart: requests per second (bars) and mean latency (line), as inline SVG.

Plain SVG in an `HTML` widget: one string per refresh, no JavaScript, and the same
markup works in the static snapshot.

>>> svg = traffic_svg([(0, 2, 3.0), (1, 0, 0.0), (2, 4, 1.5)])
>>> svg.startswith("<svg") and "<rect" in svg and "<polyline" in svg
True
>>> traffic_caption([(0, 2, 3.0), (1, 4, 1.5), (2, 1, 9.0)])
'4 req/s · 1.5 ms mean (last full second) · peak 4 req/s'
"""

from __future__ import annotations

from notebook_routes._inspector.format import MONO, MUTED, duration_text

Series = list[tuple[int, int, float]]  # (second, requests, mean ms), oldest first
BAR = "#0969da"
LINE = "#bf8700"


def traffic_caption(series: Series) -> str:
    """The last *complete* second's numbers: the current one is still filling."""
    if len(series) < 2:
        return "no requests yet"
    _, count, mean = series[-2]
    peak = max(c for _, c, _ in series)
    latency = duration_text(mean) if count else "—"
    return f"{count} req/s · {latency} mean (last full second) · peak {peak} req/s"


def traffic_svg(series: Series, *, width: int = 600, height: int = 80) -> str:
    n = max(len(series), 1)
    step = width / n
    top_count = max([c for _, c, _ in series] + [1])
    top_ms = max([m for _, _, m in series] + [1e-9])
    bars = []
    points = []
    for i, (_, count, mean) in enumerate(series):
        h = (height - 4) * count / top_count
        if count:
            bars.append(
                f'<rect x="{i * step:.1f}" y="{height - h:.1f}" width="{max(step - 1, 1):.1f}" '
                f'height="{h:.1f}" fill="{BAR}" fill-opacity="0.55"/>'
            )
        y = height - 2 - (height - 6) * mean / top_ms
        points.append(f"{i * step + step / 2:.1f},{y:.1f}")
    line = (
        f'<polyline points="{" ".join(points)}" fill="none" stroke="{LINE}" stroke-width="1.5"/>'
        if points
        else ""
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="requests per second and latency">'
        f'<rect width="{width}" height="{height}" fill="#f6f8fa"/>{"".join(bars)}{line}</svg>'
    )


def chart_html(series: Series) -> str:
    legend = (
        f'<span style="color:{BAR}">■ requests/s</span> '
        f'<span style="color:{LINE}">━ mean latency</span>'
    )
    return (
        f'<div style="{MONO}">{traffic_svg(series)}<div style="color:{MUTED}">{legend} · '
        f"{traffic_caption(series)}</div></div>"
    )


__all__ = ["chart_html", "traffic_caption", "traffic_svg"]
