"""One line per route, as a successful cell or ``serve`` start-up prints it.

>>> from notebook_routes import App
>>> app = App()
>>> route = app.add("/api/hello", {"GET": lambda: "hi"})
>>> describe(route, "http://127.0.0.1:8123")
'GET HEAD OPTIONS /api/hello  ƒ dynamic  http://127.0.0.1:8123/api/hello'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from notebook_routes._route import Route


def rendering_label(route: Route) -> str:
    """``○ static``, ``○ ISR 60s`` (``●`` for prerendered param sets) or ``ƒ dynamic``."""
    kind = route.rendering
    if kind == "dynamic":
        return "ƒ dynamic" + (f" ({route.bailout})" if route.bailout else "")
    symbol = "●" if route.pattern.is_dynamic else "○"
    if kind == "isr":
        period = float(route.config.revalidate or 0)  # a number of seconds for ISR
        shown = int(period) if period.is_integer() else period
        return f"{symbol} ISR {shown}s"
    return f"{symbol} static"


def describe(route: Route, base_url: str | None = None) -> str:
    methods = route.allow.replace(", ", " ")
    kind = "page " if route.kind == "page" else ""
    line = f"{methods} {kind}{route.pattern.source}  {rendering_label(route)}"
    if base_url:
        line += f"  {base_url}{route.pattern.url_path}"
    return line
