"""Small HTML pieces the panels and the static snapshot share (inline styles only:
GitHub and nbconvert drop ``<style>`` blocks, and a widget's HTML has no stylesheet).

>>> status_html(404)
'<b style="color:var(--jp-warn-color1, #9a6700)">404</b>'
>>> params_text({"slug": "a", "rest": ["x", "y"]})
'slug=a rest=x/y'
>>> revalidate_text(None), revalidate_text(False), revalidate_text(60), revalidate_text(0.5)
('—', 'never', '60s', '0.5s')
>>> duration_text(0.25), duration_text(1500)
('0.25 ms', '1.50 s')
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any

# JupyterLab's theme variables, so the light and the dark theme both read well; the
# fallbacks (GitHub's colours) serve a page without them (nbconvert HTML).
GREEN = "var(--jp-success-color1, #1a7f37)"
BLUE = "var(--jp-brand-color1, #0969da)"
AMBER = "var(--jp-warn-color1, #9a6700)"
ERROR_RED = "var(--jp-error-color1, #cf222e)"
MUTED = "var(--jp-ui-font-color2, #57606a)"
STATUS_COLOURS = {2: GREEN, 3: BLUE, 4: AMBER, 5: ERROR_RED}
CACHE_COLOURS = {"HIT": GREEN, "MISS": MUTED, "STALE": AMBER}
MONO = "font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px"


_SPECIAL = re.compile(r"[&<>\"']")


def esc(value: Any) -> str:
    text = "" if value is None else str(value)
    # Most paths and header values need no escaping; finding that out is the cheap part.
    return html.escape(text, quote=True) if _SPECIAL.search(text) else text


def status_html(status: int) -> str:
    return f'<b style="color:{STATUS_COLOURS.get(status // 100, MUTED)}">{status}</b>'


def cache_html(state: str | None) -> str:
    if not state:
        return ""
    colour = CACHE_COLOURS.get(state, MUTED)
    return f'<span style="color:{colour};font-weight:600">{esc(state)}</span>'


def clock_text(epoch: float) -> str:
    """``12:03:04.123``, local time: what a developer compares with their own clock."""
    return time.strftime("%H:%M:%S", time.localtime(epoch)) + f".{int(epoch * 1000) % 1000:03d}"


def duration_text(ms: float) -> str:
    if ms >= 1000:
        return f"{ms / 1000:.2f} s"
    if ms >= 10:
        return f"{ms:.0f} ms"
    if ms >= 1:
        return f"{ms:.1f} ms"
    return f"{ms:.2f} ms"


def params_text(params: Mapping[str, Any]) -> str:
    return " ".join(
        f"{name}={'/'.join(value) if isinstance(value, list) else value}"
        for name, value in params.items()
    )


def revalidate_text(value: Any) -> str:
    if value is None:
        return "—"
    if value is False:
        return "never"
    shown = int(value) if float(value).is_integer() else value
    return f"{shown}s"


def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / 1024 / 1024:.1f} MiB"


def age_text(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h"


def columns(cells: Iterable[tuple[str, int]], *, header: bool = False) -> str:
    """One table-like line: each (html, width in px) an inline block, so rows made of
    separate widgets still line up."""
    weight = "font-weight:600;" if header else ""
    # The padding keeps neighbouring headers apart ("revalidate cell", not "revalidatecell").
    spans = "".join(
        f'<span style="display:inline-block;width:{width}px;overflow:hidden;box-sizing:border-box;'
        f"padding-right:8px;text-overflow:ellipsis;white-space:nowrap;vertical-align:top;"
        f'{weight}">{content}</span>'
        for content, width in cells
    )
    return f'<div style="{MONO};white-space:nowrap">{spans}</div>'


def headers_table(pairs: Iterable[tuple[str, str]]) -> str:
    rows = "".join(
        f'<tr><td style="text-align:left;padding:0 12px 0 0;color:{MUTED}">{esc(name)}</td>'
        f'<td style="text-align:left;padding:0">{esc(value)}</td></tr>'
        for name, value in pairs
    )
    rows = rows or "<tr><td>(none)</td></tr>"
    return (
        f'<table style="{MONO};border-collapse:collapse;line-height:1.4;margin-left:0">'
        f"{rows}</table>"
    )


def pre(text: str, *, colour: str | None = None) -> str:
    style = f"{MONO};white-space:pre-wrap;margin:4px 0;max-height:320px;overflow:auto"
    if colour:
        style += f";color:{colour}"
    return f'<pre style="{style}">{esc(text)}</pre>'


__all__ = [
    "AMBER",
    "BLUE",
    "CACHE_COLOURS",
    "ERROR_RED",
    "GREEN",
    "MONO",
    "MUTED",
    "STATUS_COLOURS",
    "age_text",
    "cache_html",
    "clock_text",
    "columns",
    "duration_text",
    "esc",
    "headers_table",
    "params_text",
    "pre",
    "revalidate_text",
    "size_text",
    "status_html",
]
