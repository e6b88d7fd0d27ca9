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

from notebook_routes._inspector.format import MONO, duration_text

Series = list[tuple[int, int, float]]  # (second, requests, mean ms), oldest first
BAR = "var(--jp-brand-color1, #0969da)"
LINE = "var(--jp-warn-color1, #bf8700)"
GRID = "var(--jp-border-color2, #d0d7de)"
PLOT = "var(--jp-layout-color2, #f6f8fa)"
TEXT = "var(--jp-ui-font-color2, #57606a)"


def traffic_caption(series: Series) -> str:
    """The last *complete* second's numbers: the current one is still filling."""
    if len(series) < 2:
        return "no requests yet"
    _, count, mean = series[-2]
    peak = max(c for _, c, _ in series)
    latency = duration_text(mean) if count else "—"
    return f"{count} req/s · {latency} mean (last full second) · peak {peak} req/s"


def traffic_svg(series: Series, *, width: int = 600, height: int = 80) -> str:
    """Bars (requests/s, left axis) and a line (mean latency, right axis) over the last
    seconds; colours are JupyterLab's theme variables (inline styles: SVG attributes
    do not take var())."""
    left, right, bottom = 34, 52, 14  # room for the axis labels
    plot_w, plot_h = width - left - right, height - bottom - 4
    n = max(len(series), 1)
    step = plot_w / n
    top_count = max([c for _, c, _ in series] + [1])
    top_ms = max([m for _, _, m in series] + [1e-9])
    bars = []
    points = []
    for i, (_, count, mean) in enumerate(series):
        h = plot_h * count / top_count
        if count:
            bars.append(
                f'<rect x="{left + i * step:.1f}" y="{4 + plot_h - h:.1f}" '
                f'width="{max(step - 1, 1):.1f}" height="{h:.1f}" '
                f'style="fill:{BAR};fill-opacity:0.6"/>'
            )
        y = 4 + plot_h - plot_h * mean / top_ms
        points.append(f"{left + i * step + step / 2:.1f},{y:.1f}")
    line = (
        f'<polyline points="{" ".join(points)}" style="fill:none;stroke:{LINE};stroke-width:1.5"/>'
        if points
        else ""
    )
    label = f'style="fill:{TEXT};font:10px monospace"'
    axes = (
        f'<line x1="{left}" y1="4" x2="{left}" y2="{4 + plot_h}" style="stroke:{GRID}"/>'
        f'<line x1="{left}" y1="{4 + plot_h}" x2="{left + plot_w}" y2="{4 + plot_h}" '
        f'style="stroke:{GRID}"/>'
        f'<text x="{left - 4}" y="12" text-anchor="end" {label}>{top_count}</text>'
        f'<text x="{left - 4}" y="{4 + plot_h}" text-anchor="end" {label}>0</text>'
        f'<text x="{left + plot_w + 4}" y="12" {label}>{duration_text(top_ms)}</text>'
        f'<text x="{left}" y="{height - 2}" {label}>-{n}s</text>'
        f'<text x="{left + plot_w}" y="{height - 2}" text-anchor="end" {label}>now</text>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="requests per second and latency"'
        f' style="max-width:100%">'
        f'<rect x="{left}" y="4" width="{plot_w}" height="{plot_h}" style="fill:{PLOT}"/>'
        f"{''.join(bars)}{line}{axes}</svg>"
    )


def chart_html(series: Series) -> str:
    legend = (
        f'<span style="color:{BAR}">■</span> requests per second (bars, left axis) &nbsp; '
        f'<span style="color:{LINE}">━</span> mean response time (line, right axis)'
    )
    return (
        f'<div style="{MONO}">{traffic_svg(series)}<div style="color:{TEXT}">{legend}<br>'
        f"{traffic_caption(series)}</div></div>"
    )


__all__ = ["chart_html", "traffic_caption", "traffic_svg"]
