"""RouteTable against a naive Next.js matcher, and incremental edits against a fresh build.

The reference is what Next.js does: sort every route by specificity, segment by segment
(static < [x] < [...x] < [[...x]], a route before its extensions), and answer with the
first whose regex matches the raw path; captured values are then decoded per segment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notebook_routes.routing import RoutePattern, RouteTable, parse_pattern

STATIC = ["a", "b", "ab", "new"]
# Some equal static texts, some spell one with an escape (n%65w is "new", raw it is not).
VALUES = ["a", "new", "x1", "a%2Fb", "%20", "caf%C3%A9", "ab", "n%65w", "%61"]
RANK = {"static": 0, "dynamic": 1, "catch_all": 2, "optional_catch_all": 3}
FOLDER = {"dynamic": "[{}]", "catch_all": "[...{}]", "optional_catch_all": "[[...{}]]"}
PREFIX = {"dynamic": "p", "catch_all": "c", "optional_catch_all": "o"}

Shape = tuple[tuple[str, str], ...]  # (kind, static text or "") per URL segment

fast = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def shapes(draw: Any) -> Shape:
    body = draw(
        st.lists(
            st.one_of(
                st.sampled_from(STATIC).map(lambda t: ("static", t)), st.just(("dynamic", ""))
            ),
            max_size=3,
        )
    )
    tail = draw(st.sampled_from([None, "catch_all", "optional_catch_all"]))
    return tuple(body) + (((tail, ""),) if tail else ())


def source_of(shape: Shape, names: list[str] | None = None, group: int | None = None) -> str:
    """PATH for a shape; param names are fixed per kind and depth unless given."""
    folders = [
        text
        if kind == "static"
        else FOLDER[kind].format(names[i] if names else f"{PREFIX[kind]}{i}")
        for i, (kind, text) in enumerate(shape)
    ]
    if group is not None:
        folders.insert(min(group, len(folders)), f"(g{group})")
    return "/" + "/".join(folders)


def conflict_free(candidates: list[Shape]) -> list[Shape]:
    """Drop the shapes Next.js would refuse beside those kept (names are already fixed)."""
    kept: dict[Shape, None] = {}
    for shape in candidates:
        prefix = shape[:-1]
        last = shape[-1][0] if shape else None
        clashes = (
            shape in kept
            or shape + (("optional_catch_all", ""),) in kept
            or (last == "optional_catch_all" and prefix in kept)
            or (last == "optional_catch_all" and prefix + (("catch_all", ""),) in kept)
            or (last == "catch_all" and prefix + (("optional_catch_all", ""),) in kept)
        )
        if not clashes:
            kept[shape] = None
    return list(kept)


@dataclass
class Reference:
    source: str
    pattern: RoutePattern
    regex: re.Pattern[str]

    @classmethod
    def of(cls, source: str) -> Reference:
        pattern = parse_pattern(source)
        parts = {
            "static": lambda s: "/" + re.escape(unquote(s.name)),
            "dynamic": lambda s: "/([^/]+)",
            "catch_all": lambda s: "/(.+)",
            "optional_catch_all": lambda s: "(?:/(.+))?",
        }
        body = "".join(parts[s.kind](s) for s in pattern.segments)
        return cls(source, pattern, re.compile(body + "/?"))

    def specificity(self) -> tuple[tuple[int, str], ...]:
        return tuple((RANK[s.kind], s.name) for s in self.pattern.segments)


def reference_match(routes: list[Reference], path: str) -> tuple[str, dict] | None:
    for route in sorted(routes, key=Reference.specificity):
        found = route.regex.fullmatch(path)
        if found is None:
            continue
        params: dict[str, Any] = {}
        values = iter(found.groups())
        for segment in route.pattern.segments:
            if segment.kind == "static":
                continue
            value = next(values)
            if segment.kind == "dynamic":
                params[segment.name] = unquote(value)
            elif value is not None:
                params[segment.name] = [unquote(v) for v in value.split("/")]
        return route.source, params
    return None


@st.composite
def path_for(draw: Any, shape: Shape) -> str:
    """A request path shaped like `shape`, sometimes one segment off."""
    parts: list[str] = []
    for kind, text in shape:
        if kind == "static":
            parts.append(text)
        elif kind == "dynamic":
            parts.append(draw(st.sampled_from(VALUES)))
        else:
            low = 1 if kind == "catch_all" else 0
            parts += draw(st.lists(st.sampled_from(VALUES), min_size=low, max_size=3))
    edit = draw(st.sampled_from(["keep", "keep", "keep", "drop", "extend", "replace"]))
    if edit == "drop" and parts:
        parts.pop()
    elif edit == "extend":
        parts.append(draw(st.sampled_from(VALUES + STATIC)))
    elif edit == "replace" and parts:
        parts[draw(st.integers(0, len(parts) - 1))] = draw(st.sampled_from(VALUES + STATIC))
    return "/" + "/".join(parts)


@fast
@given(st.data())
def test_match_agrees_with_the_sorted_list_of_next_js(data: Any) -> None:
    chosen = conflict_free(data.draw(st.lists(shapes(), min_size=1, max_size=12)))
    sources = [source_of(s, group=data.draw(st.none() | st.integers(0, 3))) for s in chosen]
    table: RouteTable[str] = RouteTable()
    for source in sources:
        table.add(parse_pattern(source), source)
    assert [c for c in table.conflicts if c.level == "error"] == []
    references = [Reference.of(s) for s in sources]
    for _ in range(8):
        shape = data.draw(st.sampled_from(chosen)) if data.draw(st.integers(0, 5)) else ()
        path = data.draw(path_for(shape))
        expected = reference_match(references, path)
        found = table.match(path)
        assert ((found.pattern, found.params) if found else None) == expected, path


# -- incremental edits == fresh build --------------------------------------------------------


@st.composite
def any_route(draw: Any) -> tuple[str, str]:
    """A (source, kind) that may well conflict: free param names, groups, pages."""
    shape = draw(shapes())
    names = [draw(st.sampled_from(["id", "slug"])) + str(i) for i in range(len(shape))]
    group = draw(st.none() | st.integers(0, 2))
    return source_of(shape, names, group), draw(st.sampled_from(["route", "route", "page"]))


def trie(node: Any) -> Any:
    """The trie's structure, as plain data (private: pruning is only visible here)."""
    return (
        {key: trie(child) for key, child in sorted(node.static.items())},
        [trie(c) if c is not None else None for c in (node.dynamic, node.catch_all, node.optional)],
        sorted(node.entries),
        node.entry.key if node.entry is not None else None,
        {name: sorted(users) for name, users in sorted(node.names.items())},
    )


def conflict_set(table: RouteTable[Any]) -> list[tuple[str, str, tuple[str, ...]]]:
    return sorted((c.level, c.message, c.routes) for c in table.conflicts)


def messages(conflicts: list[Any]) -> list[str]:
    return sorted(c.message for c in conflicts)


@fast
@given(
    pool=st.lists(any_route(), min_size=1, max_size=8, unique=True),
    ops=st.lists(st.tuples(st.booleans(), st.integers(0, 7)), max_size=30),
)
def test_edits_leave_the_table_a_fresh_build_would_make(pool, ops) -> None:
    table: RouteTable[str] = RouteTable()
    present: dict[tuple[str, str], str] = {}  # in registration order, as the table counts it
    for step, (adding, index) in enumerate(ops):
        source, kind = pool[index % len(pool)]
        if adding:
            value = f"{source}@{kind}#{step}"
            table.add(parse_pattern(source), value, kind=kind)  # type: ignore[arg-type]
            present[(source, kind)] = value
        elif (source, kind) in present:
            assert table.remove(source, kind=kind) == present.pop((source, kind))  # type: ignore[arg-type]

    fresh: RouteTable[str] = RouteTable()
    for (source, kind), value in present.items():
        fresh.add(parse_pattern(source), value, kind=kind)  # type: ignore[arg-type]

    assert trie(table._root) == trie(fresh._root)
    assert sorted(table) == sorted(fresh)
    assert conflict_set(table) == conflict_set(fresh)
    for source, kind in pool:
        assert table.get(source, kind=kind) == present.get((source, kind))  # type: ignore[arg-type]
        assert messages(table.conflicts_for(source)) == messages(fresh.conflicts_for(source))
        path = parse_pattern(source).url_path.replace("[", "").replace("]", "").replace(".", "")
        assert table.match(path) == fresh.match(path)
    if not present:
        assert trie(table._root) == ({}, [None, None, None], [], None, {})
