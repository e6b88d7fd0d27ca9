"""Route segment config: what a ``route.py`` may export besides its handlers.

>>> cfg = SegmentConfig.from_namespace({"dynamic": "force-static", "revalidate": 60}, route="/a")
>>> cfg.dynamic, cfg.revalidate
('force-static', 60)
>>> SegmentConfig.from_namespace({"dynamicParams": False}, route="/a").dynamic_params
False

Invalid values raise `RouteError` naming the option, the route and the allowed values,
so a cell (or ``serve`` start-up) refuses them before any request arrives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from notebook_routes.routing import RouteError

Dynamic = Literal["auto", "force-dynamic", "error", "force-static"]

DYNAMIC_VALUES = ("auto", "force-dynamic", "error", "force-static")
FETCH_CACHE_VALUES = (
    "auto",
    "default-cache",
    "only-cache",
    "force-cache",
    "force-no-store",
    "default-no-store",
    "only-no-store",
)
RUNTIME_VALUES = ("nodejs", "edge")

# camelCase spellings from route.ts are accepted input, mapped once here.
CAMEL_CASE = {
    "dynamicParams": "dynamic_params",
    "fetchCache": "fetch_cache",
    "preferredRegion": "preferred_region",
    "maxDuration": "max_duration",
    "generateStaticParams": "generate_static_params",
}
CONFIG_NAMES = (
    "dynamic",
    "revalidate",
    "dynamic_params",
    "fetch_cache",
    "runtime",
    "preferred_region",
    "max_duration",
)


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f'"{v}"' for v in values)


@dataclass(frozen=True)
class SegmentConfig:
    """The validated segment config of one route (defaults as in Next.js 16)."""

    dynamic: Dynamic = "auto"
    revalidate: float | Literal[False] | None = None  # None: not exported
    dynamic_params: bool = True
    fetch_cache: str = "auto"
    runtime: str = "nodejs"
    preferred_region: str | tuple[str, ...] = "auto"
    max_duration: float | None = None

    @classmethod
    def from_namespace(cls, namespace: Mapping[str, Any], *, route: str) -> SegmentConfig:
        values = {}
        for name in namespace:
            key = CAMEL_CASE.get(name, name)
            if key in CONFIG_NAMES:
                if key in values:
                    raise RouteError(
                        f'Route {route} exports segment config "{key}" twice '
                        f"(snake_case and camelCase); keep one."
                    )
                values[key] = namespace[name]
        return cls(**{k: _validate(k, v, route) for k, v in values.items()})

    @property
    def exported(self) -> dict[str, Any]:
        """The options that differ from the defaults, for display."""
        default = SegmentConfig()
        return {
            name: getattr(self, name)
            for name in CONFIG_NAMES
            if getattr(self, name) != getattr(default, name)
        }


def _invalid(route: str, name: str, value: Any, allowed: str) -> RouteError:
    return RouteError(
        f'Invalid segment config "{name}" in route {route}: {value!r} is not allowed; '
        f"use {allowed}."
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _validate(name: str, value: Any, route: str) -> Any:
    if name == "dynamic":
        if value not in DYNAMIC_VALUES:
            raise _invalid(route, name, value, f"one of {_quoted(DYNAMIC_VALUES)}")
        return value
    if name == "revalidate":
        if value is False or (_is_number(value) and value >= 0):
            return value
        raise _invalid(route, name, value, "False, 0 or a positive number of seconds")
    if name == "dynamic_params":
        if isinstance(value, bool):
            return value
        raise _invalid(route, name, value, "True or False")
    if name == "fetch_cache":
        if value not in FETCH_CACHE_VALUES:
            raise _invalid(route, name, value, f"one of {_quoted(FETCH_CACHE_VALUES)}")
        return value
    if name == "runtime":
        if value not in RUNTIME_VALUES:
            raise _invalid(route, name, value, f"one of {_quoted(RUNTIME_VALUES)}")
        return value
    if name == "preferred_region":
        if isinstance(value, str) and value:
            return value
        if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise _invalid(
            route, name, value, '"auto", "global", "home", a region name or a list of them'
        )
    if name == "max_duration":
        if _is_number(value) and value > 0:
            return value
        raise _invalid(route, name, value, "a positive number of seconds")
    raise AssertionError(f"unknown config {name}")  # CONFIG_NAMES is the only caller's source
