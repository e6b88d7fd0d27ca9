"""The conflict rules of the route table: which routes Next.js refuses side by side.

Each rule looks at one trie node of `notebook_routes.routing._table` (and its parent or
children) and returns the conflicts found there; the table decides which nodes a change
can affect and keeps what the rules return. The messages are Next.js's own.

- `same_path`: two routes, two pages, or a route and a page at one URL path (error);
- `slug_names`: one parameter position named differently by two routes (error);
- `optional_specificity`: ``/d`` beside ``/d/[[...opt]]``, which both match ``/d`` (error);
- `both_catch_alls`: ``[...x]`` and ``[[...x]]`` at one level (error);
- `shadowed`: a static route answering the one URL a parameter sibling would (info).

>>> from notebook_routes.routing import RouteTable, parse_pattern
>>> table = RouteTable()
>>> table.add(parse_pattern("/a/[id]"), 1)
>>> table.add(parse_pattern("/a/[slug]/edit"), 2)
>>> [c.message for c in table.conflicts]
["You cannot use different slug names for the same dynamic path ('id' !== 'slug')."]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # the table's trie; the table imports this module at run time
    from notebook_routes.routing._table import _Entry, _Node


@dataclass(frozen=True)
class Conflict:
    """A problem between routes. ``routes`` are the PATHs (as written) involved.

    ``level`` is ``"error"`` (requests reaching these routes answer 500 with ``message``)
    or ``"info"`` (an overlap Next.js allows, shown for information).
    """

    level: Literal["error", "info"]
    message: str
    routes: tuple[str, ...]


def _by_age(entries: Iterable[_Entry], newest_first: bool = False) -> list[_Entry]:
    return sorted(entries, key=lambda e: e.seq, reverse=newest_first)


def _sources(entries: Iterable[_Entry]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(e.source for e in entries))


def _file(entry: _Entry) -> str:
    """``/x`` -> ``/x/route``; the root route is ``/route``."""
    return f"{entry.source.rstrip('/')}/{entry.kind}"


def same_path(node: _Node) -> list[Conflict]:
    """Two routes, two pages, or a route and a page at one URL path.

    Entries at one node whose URLs differ only in param names are the slug-name conflict.
    """
    if len(node.entries) < 2:
        return []
    by_url: dict[str, list[_Entry]] = {}
    for entry in _by_age(node.entries.values(), newest_first=True):
        by_url.setdefault(entry.pattern.url_path, []).append(entry)
    found = []
    for url, entries in by_url.items():
        routes = [e for e in entries if e.kind == "route"]
        pages = [e for e in entries if e.kind == "page"]
        for same in (routes, pages):
            if len(same) > 1:
                kind = same[0].kind
                listed = " and ".join(f"{kind} at {_file(e)}" for e in same)
                message = f"Conflicting {kind}s at {url}: {listed}"
                found.append(Conflict("error", message, _sources(same)))
        if routes and pages:
            listed = " and ".join(f"{e.kind} at {_file(e)}" for e in routes + pages)
            message = f"Conflicting route and page at {url}: {listed}"
            found.append(Conflict("error", message, _sources(routes + pages)))
    return found


def slug_names(node: _Node) -> list[Conflict]:
    """Routes through one parameter position that call the parameter differently."""
    if len(node.names) < 2:
        return []
    # "Registered first" is the name of the oldest route using it now, so the message
    # depends on the routes present, not on the order of past edits.
    first, *others = sorted(node.names, key=lambda name: min(node.names[name].values()))
    found = []
    for other in others:
        message = (
            "You cannot use different slug names for the same dynamic path "
            f"('{first}' !== '{other}')."
        )
        users = sorted({**node.names[first], **node.names[other]}.items(), key=lambda u: u[1])
        found.append(Conflict("error", message, tuple(dict.fromkeys(s for (s, _), _ in users))))
    return found


def optional_specificity(node: _Node) -> list[Conflict]:
    """``/d`` beside ``/d/[[...opt]]``: both match ``/d``."""
    optional = node.optional
    if not node.entries or optional is None or not optional.entries:
        return []
    here, there = _by_age(node.entries.values()), _by_age(optional.entries.values())
    message = (
        "You cannot define a route with the same specificity as an optional catch-all route "
        f'("{here[0].pattern.url_path}" and "{there[0].pattern.url_path}").'
    )
    return [Conflict("error", message, _sources(here + there))]


def both_catch_alls(node: _Node) -> list[Conflict]:
    """``/d/[...a]`` beside ``/d/[[...b]]``: Next.js refuses both kinds at one level."""
    required, optional = node.catch_all, node.optional
    if required is None or optional is None or not required.entries or not optional.entries:
        return []
    req, opt = _by_age(required.entries.values()), _by_age(optional.entries.values())
    message = (
        "You cannot use both an required and optional catch-all route at the same level "
        f'("[...{_last_name(req[0])}]" and "[[...{_last_name(opt[0])}]]" ).'
    )
    return [Conflict("error", message, _sources(_by_age(req + opt)))]


def _last_name(entry: _Entry) -> str:
    return entry.pattern.segments[-1].name


def shadowed(parent: _Node, child: _Node) -> list[Conflict]:
    """Information: static ``child`` answers the one URL its parameter siblings would."""
    if not child.entries:
        return []
    found = []
    statics = _by_age(child.entries.values())
    for sibling in (parent.dynamic, parent.catch_all, parent.optional):
        if sibling is None:
            continue
        for dynamic in _by_age(sibling.entries.values()):
            for static in statics:
                message = (
                    f'"{static.source}" is matched before "{dynamic.source}" (static segments '
                    f'win), so {static.pattern.url_path} never reaches "{dynamic.source}".'
                )
                found.append(Conflict("info", message, (static.source, dynamic.source)))
    return found
