"""App Router paths: parse PATHs, normalise request paths, match them in a route table.

>>> from notebook_routes.routing import RouteTable, normalize_request_path, parse_pattern
>>> table = RouteTable()
>>> table.add(parse_pattern("/blog/[...slug]"), "blog")
>>> table.match(normalize_request_path("/blog/2024/hello/")).params
{'slug': ['2024', 'hello']}
"""

from __future__ import annotations

from notebook_routes.routing._paths import normalize_request_path
from notebook_routes.routing._patterns import RouteError, RoutePattern, Segment, parse_pattern
from notebook_routes.routing._table import Conflict, Match, RouteTable

__all__ = [
    "Conflict",
    "Match",
    "RouteError",
    "RoutePattern",
    "RouteTable",
    "Segment",
    "normalize_request_path",
    "parse_pattern",
]
