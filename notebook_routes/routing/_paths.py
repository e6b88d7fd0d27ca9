"""Normalise request paths before matching; the server redirects (308) when this changes one.

>>> normalize_request_path("/api/hello/")
'/api/hello'
>>> normalize_request_path("/a//b/./c/../d")
'/a/b/d'
>>> normalize_request_path("/a/%2e%2E/b")
'/b'
>>> normalize_request_path("/../..")
'/'
>>> normalize_request_path("/items/a%2Fb")
'/items/a%2Fb'
"""

from __future__ import annotations

__all__ = ["normalize_request_path"]

# The WHATWG URL parser's single- and double-dot segments (compared lower-cased).
_SINGLE_DOTS = frozenset({".", "%2e"})
_DOUBLE_DOTS = frozenset({"..", ".%2e", "%2e.", "%2e%2e"})


def normalize_request_path(path: str) -> str:
    """Return ``path`` (raw, percent-encoded, no query) in the form routes are matched on.

    - no trailing slash, except for the root ``/``;
    - no empty segments: ``//`` collapses;
    - dot segments resolved as the WHATWG URL parser does: ``.``, ``..`` and their
      percent-encoded spellings (``%2e``, ``.%2E``, ``%2e%2e``, ...); ``..`` never climbs
      above the root;
    - a backslash counts as a slash, as browsers and Next.js treat it for http URLs;
    - every other byte stays as it came, still percent-encoded.

        >>> normalize_request_path("")
        '/'
        >>> normalize_request_path("/a\\\\b")
        '/a/b'
        >>> normalize_request_path("/rss.xml")
        '/rss.xml'
    """
    # Fast path: almost every request is already normal, and this runs on each one.
    if (
        path[:1] == "/"
        and "//" not in path
        and "\\" not in path
        and (path == "/" or path[-1] != "/")
        and "." not in path
        and "%2" not in path
    ):
        return path
    kept: list[str] = []
    for segment in path.replace("\\", "/").split("/"):
        if not segment:
            continue
        lowered = segment.lower()
        if lowered in _SINGLE_DOTS:
            continue
        if lowered in _DOUBLE_DOTS:
            if kept:
                kept.pop()
            continue
        kept.append(segment)
    return "/" + "/".join(kept)
