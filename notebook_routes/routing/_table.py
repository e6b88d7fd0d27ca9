"""The route table: a segment trie matched in Next.js precedence, with live conflict checks.

    >>> from notebook_routes.routing._patterns import parse_pattern
    >>> table = RouteTable()
    >>> table.add(parse_pattern("/items/[slug]"), "show item")
    >>> table.add(parse_pattern("/items/new"), "new item form")
    >>> table.match("/items/a%2Fb")
    Match(source='/items/[slug]', params={'slug': 'a/b'}, value='show item')
    >>> table.match("/items/new").value
    'new item form'
    >>> table.match("/nothing") is None
    True
    >>> [c.level for c in table.conflicts]
    ['info']

Each trie node has a dict of static children and at most one child per parameter kind
(``[x]``, ``[...x]``, ``[[...x]]``, keyed by kind, not name). Matching walks the request's
segments depth-first in precedence order (static, ``[x]``, ``[...x]``, ``[[...x]]``) and
backtracks on a dead end, which is exactly the order of Next.js's sorted route list, so
the cost depends on the path's depth and never on how many routes there are.

Writers hold a lock; ``match`` never does. Every mutation keeps the trie readable at each
step: new nodes are linked by one assignment, an entry is swapped by one assignment, and
nodes are pruned only once empty. Conflicts are recomputed for the nodes on the changed
route's path only.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import quote, unquote

from notebook_routes.routing._conflicts import (
    Conflict,
    both_catch_alls,
    optional_specificity,
    same_path,
    shadowed,
    slug_names,
)
from notebook_routes.routing._patterns import RoutePattern

__all__ = ["Conflict", "Match", "RouteTable"]

T = TypeVar("T")
Kind = Literal["route", "page"]
_KINDS = ("route", "page")
_Key = tuple[str, str]  # (source, kind): a route and a page may share a folder (and conflict)
_Step = tuple[str, str]  # (segment kind, static text as a browser sends it, or "")
# What a browser leaves unencoded in a path segment besides letters, digits and "-._~"
# (the WHATWG path percent-encode set); everything else in a static folder name is
# compared in its percent-encoded spelling, since requests are matched undecoded.
_SEGMENT_SAFE = "!$&'()*+,;=:@[]|"


@dataclass(frozen=True)
class Match(Generic[T]):
    """A successful match: the route's PATH as written, its decoded params and the value.

    Params are ``str``; catch-alls give ``list[str]``; an empty ``[[...x]]`` is absent.
    ``source`` is a str, like `RoutePattern.source` (``Route.pattern`` is the parsed
    `RoutePattern`).
    """

    source: str
    params: dict[str, str | list[str]]
    value: T

    @property
    def pattern(self) -> str:
        """Deprecated: the former name of `source`."""
        return self.source


class _Entry:
    """One registered route or page, with what ``match`` needs to name its params."""

    __slots__ = ("key", "source", "kind", "pattern", "value", "seq", "steps", "params", "rest")

    def __init__(self, pattern: RoutePattern, value: Any, kind: str, seq: int) -> None:
        self.key: _Key = (pattern.source, kind)
        self.source = pattern.source
        self.kind = kind
        self.pattern = pattern
        self.value = value
        self.seq = seq  # registration order; kept when the entry is replaced
        self.steps: tuple[_Step, ...] = tuple(
            (s.kind, _wire(s.name) if s.kind == "static" else "") for s in pattern.segments
        )
        segments = pattern.segments
        self.params = tuple((i, s.name) for i, s in enumerate(segments) if s.kind == "dynamic")
        last = len(segments) - 1
        is_rest = last >= 0 and segments[last].kind in ("catch_all", "optional_catch_all")
        self.rest: tuple[int, str] | None = (last, segments[last].name) if is_rest else None


class _Node:
    __slots__ = ("static", "dynamic", "catch_all", "optional", "entry", "entries", "names")

    def __init__(self) -> None:
        self.static: dict[str, _Node] = {}
        self.dynamic: _Node | None = None
        self.catch_all: _Node | None = None
        self.optional: _Node | None = None
        self.entry: _Entry | None = None  # what match() returns here: the newest entry
        self.entries: dict[_Key, _Entry] = {}
        # On a parameter node: param name -> {key: seq} of the routes through here using it.
        self.names: dict[str, dict[_Key, int]] = {}

    def is_empty(self) -> bool:
        return not (self.entries or self.static or self.dynamic or self.catch_all or self.optional)

    def child(self, step: _Step) -> _Node | None:
        kind, text = step
        if kind == "static":
            return self.static.get(text)
        return getattr(self, _ATTR[kind])

    def link(self, step: _Step, child: _Node | None) -> None:
        kind, text = step
        if kind != "static":
            setattr(self, _ATTR[kind], child)
        elif child is None:
            del self.static[text]
        else:
            self.static[text] = child


_ATTR = {"dynamic": "dynamic", "catch_all": "catch_all", "optional_catch_all": "optional"}


def _wire(name: str) -> str:
    """A static folder name as it appears in a request path.

    >>> _wire("rss.xml"), _wire("caf%C3%A9"), _wire("café"), _wire("%5Fprivate")
    ('rss.xml', 'caf%C3%A9', 'caf%C3%A9', '_private')
    """
    return quote(unquote(name), safe=_SEGMENT_SAFE)


def _find(node: _Node, parts: list[str], i: int, n: int) -> _Entry | None:
    """Depth-first search in Next.js precedence; ``None`` sends the caller to its next option."""
    if i == n:
        if node.entry is not None:
            return node.entry
        child = node.optional
        return child.entry if child is not None else None
    child = node.static.get(parts[i])
    if child is not None:
        found = _find(child, parts, i + 1, n)
        if found is not None:
            return found
    child = node.dynamic
    if child is not None:
        found = _find(child, parts, i + 1, n)
        if found is not None:
            return found
    child = node.catch_all
    if child is not None and child.entry is not None:
        return child.entry
    child = node.optional
    return child.entry if child is not None else None


class RouteTable(Generic[T]):
    """Routes and pages by PATH, matched like Next.js's App Router. Thread-safe writers.

    ``add`` with a PATH already present (same kind) replaces it in one step, as
    re-running a cell does. A route and a page may share a PATH (``kind=``); the methods
    that take a PATH then address the route unless ``kind="page"`` is given.
    """

    def __init__(self) -> None:
        self._root = _Node()
        self._lock = threading.Lock()
        self._seq = 0
        self._entries: dict[str, dict[str, _Entry]] = {}  # source -> kind -> entry
        self._errors: dict[tuple[_Node, str], list[Conflict]] = {}
        self._infos: dict[tuple[_Node, str], list[Conflict]] = {}
        self._errors_by_source: dict[str, list[Conflict]] = {}

    def __repr__(self) -> str:
        with self._lock:
            sources = list(self._entries)
        shown = ", ".join(repr(s) for s in sources[:5]) + (", ..." if len(sources) > 5 else "")
        return f"RouteTable(size={len(sources)}, sources=[{shown}])"

    # -- reading ---------------------------------------------------------------------------

    def match(self, path: str) -> Match[T] | None:
        """Match a normalised, still percent-encoded request path; ``None`` if nothing does.

        Static segments compare with the raw segment, as Next.js does (``/%61pi`` is not
        ``/api``); only what a parameter captures is percent-decoded, one segment at a
        time, so ``/items/a%2Fb`` gives ``{"slug": "a/b"}``. A captured segment that is
        not valid UTF-8 once decoded matches nothing.
        """
        if path == "/":
            parts: list[str] = []
        elif path[:1] == "/":
            parts = path[1:].split("/")
            if "" in parts:
                return None  # not normalised: the server redirects these first
        else:
            return None
        entry = _find(self._root, parts, 0, len(parts))
        if entry is None:
            return None
        try:
            params: dict[str, str | list[str]] = {}
            for i, name in entry.params:
                params[name] = _decoded(parts[i])
            rest = entry.rest
            if rest is not None and rest[0] < len(parts):
                params[rest[1]] = [_decoded(part) for part in parts[rest[0] :]]
        except UnicodeDecodeError:
            return None
        return Match(entry.source, params, entry.value)

    def get(self, source: str, *, kind: Kind | None = None) -> T | None:
        """The value registered for PATH ``source`` (the route unless ``kind="page"``)."""
        entry = self._lookup(_source_key(source), _check_kind(kind))
        return entry.value if entry is not None else None

    def kind_of(self, source: str) -> str:
        """``"route"`` or ``"page"`` (``"route"`` when both exist); KeyError if neither."""
        entry = self._lookup(_source_key(source), None)
        if entry is None:
            raise KeyError(self._missing(_source_key(source), None))
        return entry.kind

    def __contains__(self, source: object) -> bool:
        return isinstance(source, str) and _source_key(source) in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[str]:
        """PATHs in registration order (a PATH with both a route and a page comes once)."""
        with self._lock:
            return iter(list(self._entries))

    @property
    def conflicts(self) -> list[Conflict]:
        """Every current conflict: errors first, then information."""
        with self._lock:
            return [c for found in (*self._errors.values(), *self._infos.values()) for c in found]

    def conflicts_for(self, source: str) -> list[Conflict]:
        """The error-level conflicts that involve PATH ``source`` (empty if none)."""
        return list(self._errors_by_source.get(_source_key(source), ()))

    # -- writing ---------------------------------------------------------------------------

    def add(self, pattern: RoutePattern, value: T, *, kind: Kind = "route") -> None:
        """Register ``value`` at ``pattern``, replacing an entry with the same PATH and kind."""
        if not isinstance(pattern, RoutePattern):
            raise TypeError(
                "RouteTable.add() takes a RoutePattern: build it with parse_pattern(PATH), "
                f"got {pattern!r}."
            )
        if kind not in _KINDS:
            raise ValueError(f'kind must be "route" or "page", got {kind!r}.')
        with self._lock:
            kinds = self._entries.get(pattern.source)
            old = kinds.get(kind) if kinds is not None else None
            if kinds is not None and old is not None:
                # Re-running a cell: same place in the trie, same conflicts, new value.
                entry = _Entry(pattern, value, kind, old.seq)
                leaf = self._walk(entry.steps)[-1]
                leaf.entries[entry.key] = entry
                if leaf.entry is old:
                    leaf.entry = entry
                kinds[kind] = entry
                return
            self._seq += 1
            entry = _Entry(pattern, value, kind, self._seq)
            nodes = [self._root]
            for step in entry.steps:
                child = nodes[-1].child(step)
                if child is None:
                    child = _Node()
                    nodes[-1].link(step, child)
                nodes.append(child)
            for node, segment in zip(nodes[1:], pattern.segments, strict=True):
                if segment.kind != "static":
                    node.names.setdefault(segment.name, {})[entry.key] = entry.seq
            leaf = nodes[-1]
            leaf.entries[entry.key] = entry
            leaf.entry = _newest(leaf.entries.values())
            self._entries.setdefault(pattern.source, {})[kind] = entry
            self._refresh(nodes, entry.steps)

    def remove(self, source: str, *, kind: Kind | None = None) -> T:
        """Remove PATH ``source`` (the route unless ``kind="page"``) and return its value."""
        source = _source_key(source)
        with self._lock:
            entry = self._lookup(source, _check_kind(kind))
            if entry is None:
                raise KeyError(self._missing(source, kind))
            nodes = self._walk(entry.steps)
            leaf = nodes[-1]
            del leaf.entries[entry.key]
            leaf.entry = _newest(leaf.entries.values())
            for node, segment in zip(nodes[1:], entry.pattern.segments, strict=True):
                if segment.kind != "static":
                    users = node.names[segment.name]
                    del users[entry.key]
                    if not users:
                        del node.names[segment.name]
            kinds = self._entries[source]
            del kinds[entry.kind]
            if not kinds:
                del self._entries[source]
            pruned: list[_Node] = []
            for depth in range(len(nodes) - 1, 0, -1):
                if not nodes[depth].is_empty():
                    break
                nodes[depth - 1].link(entry.steps[depth - 1], None)
                pruned.append(nodes[depth])
            self._refresh(nodes, entry.steps)
            for node in pruned:
                for slot in [s for s in (*self._errors, *self._infos) if s[0] is node]:
                    self._store(slot, [])
            return entry.value

    # -- internals -------------------------------------------------------------------------

    def _lookup(self, source: str, kind: str | None) -> _Entry | None:
        kinds = self._entries.get(source)
        if kinds is None:
            return None
        if kind is None:
            return kinds.get("route") or kinds.get("page")
        return kinds.get(kind)

    def _missing(self, source: str, kind: str | None) -> str:
        known = ", ".join(f'"{s}"' for s in list(self._entries)[:10]) or "none"
        return f'No {kind or "route"} with PATH "{source}" is registered (registered: {known}).'

    def _walk(self, steps: tuple[_Step, ...]) -> list[_Node]:
        nodes = [self._root]
        for step in steps:
            child = nodes[-1].child(step)
            assert child is not None, "an entry's nodes exist while it is registered"
            nodes.append(child)
        return nodes

    def _refresh(self, nodes: list[_Node], steps: tuple[_Step, ...]) -> None:
        """Recompute the conflicts that a change at the end of this path can affect."""
        leaf = nodes[-1]
        self._store((leaf, "same"), same_path(leaf))
        self._store((leaf, "optional"), optional_specificity(leaf))
        for node, (kind, _) in zip(nodes[1:], steps, strict=True):
            if kind != "static":
                self._store((node, "names"), slug_names(node))
        if not steps:
            return
        parent, (kind, _) = nodes[-2], steps[-1]
        if kind == "static":
            self._store((leaf, "shadow"), shadowed(parent, leaf), info=True)
            return
        self._store((parent, "catch_all"), both_catch_alls(parent))
        self._store((parent, "optional"), optional_specificity(parent))
        for child in list(parent.static.values()):
            self._store((child, "shadow"), shadowed(parent, child), info=True)

    def _store(self, slot: tuple[_Node, str], found: list[Conflict], info: bool = False) -> None:
        table = self._infos if info else self._errors
        old = table.get(slot, [])
        if old == found:
            return
        if found:
            table[slot] = found
        else:
            table.pop(slot, None)
        if info:
            return
        index = self._errors_by_source
        for conflict in old:
            for source in conflict.routes:
                left = [c for c in index.get(source, ()) if c is not conflict]
                if left:
                    index[source] = left
                else:
                    index.pop(source, None)
        for conflict in found:
            for source in conflict.routes:
                index[source] = [*index.get(source, ()), conflict]


def _decoded(segment: str) -> str:
    return unquote(segment, errors="strict") if "%" in segment else segment


def _source_key(source: str) -> str:
    return source[:-1] if len(source) > 1 and source.endswith("/") else source


def _check_kind(kind: str | None) -> str | None:
    if kind is not None and kind not in _KINDS:
        raise ValueError(f'kind must be "route", "page" or None, got {kind!r}.')
    return kind


def _newest(entries: Iterable[_Entry]) -> _Entry | None:
    return max(entries, key=lambda e: e.seq, default=None)
