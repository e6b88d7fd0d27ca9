"""One line per route, as a successful cell or ``serve`` start-up prints it.

>>> from notebook_routes import App
>>> app = App()
>>> route = app.add("/api/hello", {"GET": lambda: "hi"})
>>> describe(route, "http://127.0.0.1:8123")
'GET HEAD OPTIONS /api/hello  ƒ dynamic  http://127.0.0.1:8123/api/hello'

A dynamic route's link has a sample value in each segment, so it can be pasted into curl
or a browser (``[x]`` cannot: curl reads it as a range); the pattern stays at the start:

>>> route = app.add("/users/[id]/posts/[...slug]", {"GET": lambda: "hi"})
>>> describe(route, "http://127.0.0.1:8123")  # doctest: +NORMALIZE_WHITESPACE
'GET HEAD OPTIONS /users/[id]/posts/[...slug]  ƒ dynamic
  http://127.0.0.1:8123/users/1/posts/a/b  (sample: id=1 slug=a/b)'
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote

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


def sample_value(name: str, index: int, *, catch_all: bool) -> str:
    """A value that reads as an example: ``1`` for an id, else ``a``, ``b`` ... per segment.

    >>> sample_value("id", 0, catch_all=False), sample_value("slug", 1, catch_all=False)
    ('1', 'b')
    >>> sample_value("path", 0, catch_all=True)
    'a/b'
    """
    if catch_all:
        return "a/b"
    if name.lower() == "id" or name.lower().endswith(("id", "_id")):
        return "1"
    return "abcdefghijklmnopqrstuvwxyz"[index % 26]


def sample_path(route: Route) -> tuple[str, dict[str, str]]:
    """A path that `route` answers, and the sample value put in each parameter.

    A route with ``generate_static_params`` gets its first prerendered path (with
    ``dynamic_params = False`` the only kind it answers).
    """
    pattern = route.pattern
    if not pattern.is_dynamic:
        return pattern.url_path, {}
    if route.static_paths:
        path = min(route.static_paths)
        return path, _values_in(route, path)
    values: dict[str, str] = {}
    parts = []
    for segment in pattern.segments:
        if segment.kind == "static":
            parts.append(segment.name)
            continue
        value = sample_value(segment.name, len(values), catch_all=segment.kind != "dynamic")
        values[segment.name] = value
        parts.append(value)
    return "/" + "/".join(parts), values


def _values_in(route: Route, path: str) -> dict[str, str]:
    words = [unquote(w) for w in path.strip("/").split("/") if w]
    values: dict[str, str] = {}
    for index, segment in enumerate(route.pattern.segments):
        if segment.kind == "dynamic" and index < len(words):
            values[segment.name] = words[index]
        elif segment.kind != "static":
            values[segment.name] = "/".join(words[index:])
            break
    return values


def sample_note(values: dict[str, str]) -> str:
    """``(sample: id=1 slug=a/b)``: says the link's values are made up."""
    return "(sample: " + " ".join(f"{k}={v}" for k, v in values.items()) + ")"


def describe(route: Route, base_url: str | None = None) -> str:
    methods = route.allow.replace(", ", " ")
    kind = "page " if route.kind == "page" else ""
    line = f"{methods} {kind}{route.pattern.source}  {rendering_label(route)}"
    if base_url:
        path, values = sample_path(route)
        line += f"  {base_url}{path}"
        if values:
            line += f"  {sample_note(values)}"
    return line
