"""`Route`: one registered ``route.py`` (or ``%%page``), and how it renders.

A route is built from a namespace, as a ``route.py`` module exports it:

>>> from notebook_routes.routing import parse_pattern
>>> def GET(request):
...     return {"ok": True}
>>> route = route_from_namespace(parse_pattern("/items/[slug]"), {"GET": GET}, "route", None)
>>> route, route.allow
(Route(pattern='/items/[slug]', methods=['GET']), 'GET, HEAD, OPTIONS')
>>> route.rendering
'dynamic'

Its rendering follows from its exports alone (Next.js 15+): a GET with ``revalidate = 60``
and no other method is ISR, answered from the cache with this Cache-Control:

>>> isr = route_from_namespace(
...     parse_pattern("/news"), {"GET": GET, "revalidate": 60}, "route", None
... )
>>> isr.rendering, cache_control(isr)
('isr', 's-maxage=60, stale-while-revalidate=31535940')

This module is pure policy: it runs nothing and imports nothing above it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from notebook_routes._config import SegmentConfig
from notebook_routes._handlers import Handler
from notebook_routes.cache._store import ONE_YEAR_S
from notebook_routes.routing import RouteError, RoutePattern

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
Kind = Literal["route", "page"]
Rendering = Literal["static", "isr", "dynamic"]
# A route exporting any of these answers per request: its GET is never static.
NOT_STATIC = ("POST", "PUT", "PATCH", "DELETE", "OPTIONS")


@dataclass(eq=False)
class Route:
    """One registered ``route.py`` (or ``%%page``): its handlers and segment config."""

    pattern: RoutePattern
    kind: Kind
    handlers: Mapping[str, Handler]
    config: SegmentConfig
    namespace: Mapping[str, Any]
    generate_static_params: Callable[[], Any] | None = None
    origin: str | None = None  # the cell or file it came from
    hits: int = 0  # since this definition (a re-run cell starts again from 0)
    errors: int = 0
    earlier_hits: int = 0  # what the definitions it replaced answered
    bailout: str | None = None  # why a static-looking route renders dynamically
    static_paths: frozenset[str] | None = None  # from generate_static_params()
    allow: str = field(init=False)

    def __post_init__(self) -> None:
        methods = set(self.handlers)
        if "GET" in methods:
            methods.add("HEAD")
        methods.add("OPTIONS")
        # Allow on OPTIONS and 405: sorted, as Next.js does (*observed*).
        self.allow = ", ".join(sorted(methods))

    @property
    def total_hits(self) -> int:
        """Hits of this path over all its definitions (`hits` counts this one's only)."""
        return self.earlier_hits + self.hits

    @property
    def source(self) -> str:
        return self.pattern.source

    @property
    def rendering(self) -> Rendering:
        """ "static", "isr" or "dynamic": see `is_static_candidate` and `rendering`."""
        return rendering(self)

    @property
    def methods(self) -> list[str]:
        """The methods the route defines itself, in the order of `METHODS`."""
        return [m for m in METHODS if m in self.handlers]

    def __repr__(self) -> str:
        kind = "" if self.kind == "route" else f", kind={self.kind!r}"
        return f"Route(pattern={self.source!r}, methods={self.methods!r}{kind})"


def route_from_namespace(
    pattern: RoutePattern, namespace: Mapping[str, Any], kind: Kind, origin: str | None
) -> Route:
    """The route a ``route.py``-like namespace defines; `RouteError` names what is wrong."""
    source = pattern.source
    if "default" in namespace:
        raise RouteError(
            f"Route {source} exports `default`, but a route handler file has no default "
            f"export: export functions named after HTTP methods ({', '.join(METHODS)})."
        )
    handlers = {
        method: Handler.wrap(namespace[method], method=method, route=source)
        for method in METHODS
        if method in namespace
    }
    if kind == "page" and set(handlers) - {"GET"}:
        raise RouteError(f"Page {source} answers GET only; it cannot define {sorted(handlers)}.")
    if not handlers:
        raise RouteError(
            f"Route {source} defines no handler: export at least one of {', '.join(METHODS)}."
        )
    generate = _static_params_function(namespace, source)
    return Route(
        pattern=pattern,
        kind=kind,
        handlers=handlers,
        config=SegmentConfig.from_namespace(namespace, route=source),
        namespace=dict(namespace),
        generate_static_params=generate,
        origin=origin,
    )


def _static_params_function(namespace: Mapping[str, Any], source: str) -> Any:
    generate = None
    for name in ("generate_static_params", "generateStaticParams"):
        if name in namespace:
            generate = namespace[name]
            if not callable(generate):
                raise RouteError(
                    f"{name} in route {source} must be a function returning a list of "
                    f"param dicts, not {type(generate).__name__}."
                )
    return generate


def period(route: Route) -> float | None:
    """The route's ``revalidate`` period in seconds, or None when it has none."""
    value = route.config.revalidate
    if value is None or value is False or value == 0:  # False == 0 in Python: test False first
        return None
    return value


def is_static_candidate(route: Route) -> bool:
    """Whether the route's GET is static by its exports alone (before any prerender).

    Static when the route exports no POST/PUT/PATCH/DELETE and no OPTIONS of its own,
    ``dynamic`` is not ``"force-dynamic"``, ``revalidate`` is not 0, and one of:
    ``dynamic`` is ``"force-static"`` or ``"error"``; ``revalidate`` is ``False`` or a
    positive number; ``generate_static_params`` exists. A plain GET is dynamic.
    """
    config = route.config
    if route.kind != "route" or "GET" not in route.handlers:
        return False
    if any(method in route.handlers for method in NOT_STATIC):
        return False
    if config.dynamic == "force-dynamic":
        return False
    if config.revalidate is not False and config.revalidate == 0:  # False == 0 in Python
        return False
    return (
        config.dynamic in ("force-static", "error")
        or config.revalidate is False
        or period(route) is not None
        or route.generate_static_params is not None
    )


def rendering(route: Route) -> Rendering:
    """Dynamic unless static by its exports and no prerender bailed out; ISR with a period."""
    if route.bailout is not None or not is_static_candidate(route):
        return "dynamic"
    return "isr" if period(route) else "static"


def cache_control(route: Route) -> str:
    """``s-maxage=31536000``, or with a period N ``s-maxage=N, stale-while-revalidate=<1y-N>``."""
    seconds = period(route)
    if seconds is None:
        return f"s-maxage={ONE_YEAR_S}"
    shown = int(seconds) if float(seconds).is_integer() else seconds
    return f"s-maxage={shown}, stale-while-revalidate={ONE_YEAR_S - shown}"


__all__ = [
    "METHODS",
    "Kind",
    "Rendering",
    "Route",
    "cache_control",
    "is_static_candidate",
    "period",
    "rendering",
    "route_from_namespace",
]
