from __future__ import annotations

import re
import threading

import pytest

from notebook_routes.routing import Conflict, Match, RouteTable, parse_pattern


def table_of(*sources: str, kind: str = "route") -> RouteTable[str]:
    """A table whose values are the sources themselves."""
    table: RouteTable[str] = RouteTable()
    for source in sources:
        table.add(parse_pattern(source), source, kind=kind)  # type: ignore[arg-type]
    return table


def add(table: RouteTable[str], source: str, kind: str = "route") -> None:
    table.add(parse_pattern(source), source, kind=kind)  # type: ignore[arg-type]


def errors(table: RouteTable[str]) -> list[str]:
    return [c.message for c in table.conflicts if c.level == "error"]


def infos(table: RouteTable[str]) -> list[str]:
    return [c.message for c in table.conflicts if c.level == "info"]


# -- matching -------------------------------------------------------------------------------


def test_match_gives_the_pattern_params_and_value():
    table = table_of("/items/[slug]")
    assert table.match("/items/a") == Match("/items/[slug]", {"slug": "a"}, "/items/[slug]")


def test_no_match_is_none():
    table = table_of("/items/[slug]")
    assert table.match("/items") is None
    assert table.match("/items/a/b") is None
    assert table.match("/other") is None
    assert RouteTable().match("/") is None


def test_root_route():
    table = table_of("/")
    assert table.match("/") == Match("/", {}, "/")
    assert table.match("/a") is None


def test_static_beats_dynamic_beats_catch_all_beats_optional():
    table = table_of("/x/[[...opt]]", "/x/[...rest]", "/x/[slug]", "/x/new")
    assert table.match("/x/new").pattern == "/x/new"
    assert table.match("/x/other").pattern == "/x/[slug]"
    assert table.match("/x/a/b").pattern == "/x/[...rest]"
    assert table.match("/x").pattern == "/x/[[...opt]]"


def test_backtracking_reaches_the_dynamic_sibling_of_a_dead_end():
    table = table_of("/items/new", "/items/[slug]/edit")
    assert table.match("/items/new").pattern == "/items/new"
    assert table.match("/items/new/edit") == Match(
        "/items/[slug]/edit", {"slug": "new"}, "/items/[slug]/edit"
    )


def test_backtracking_falls_through_to_a_catch_all():
    table = table_of("/a/[id]/b", "/a/[...rest]")
    assert table.match("/a/1/b").pattern == "/a/[id]/b"
    assert table.match("/a/1/c").params == {"rest": ["1", "c"]}


def test_catch_all_needs_at_least_one_segment():
    table = table_of("/blog/[...slug]")
    assert table.match("/blog") is None
    assert table.match("/blog/a").params == {"slug": ["a"]}
    assert table.match("/blog/2024/01/hello").params == {"slug": ["2024", "01", "hello"]}


def test_empty_optional_catch_all_is_absent_from_params():
    table = table_of("/docs/[[...slug]]")
    assert table.match("/docs") == Match("/docs/[[...slug]]", {}, "/docs/[[...slug]]")
    assert table.match("/docs/a/b").params == {"slug": ["a", "b"]}


def test_optional_catch_all_at_the_root():
    table = table_of("/[[...all]]")
    assert table.match("/").params == {}
    assert table.match("/a/b").params == {"all": ["a", "b"]}


def test_segments_are_percent_decoded_one_at_a_time():
    table = table_of("/items/[slug]", "/blog/[...slug]")
    assert table.match("/items/a%2Fb").params == {"slug": "a/b"}
    assert table.match("/items/caf%C3%A9").params == {"slug": "café"}
    assert table.match("/blog/a%2Fb/c").params == {"slug": ["a/b", "c"]}


def test_static_folders_match_the_raw_segment_a_browser_sends():
    # Next.js compares static segments undecoded: an escape of a plain letter is another path.
    table = table_of("/%5Fprivate", "/caf%C3%A9", "/api/hello", "/items/new", "/items/[slug]")
    assert table.match("/_private").pattern == "/%5Fprivate"
    assert table.match("/%5Fprivate") is None
    assert table.match("/caf%C3%A9").pattern == "/caf%C3%A9"
    assert table_of("/café").match("/caf%C3%A9").pattern == "/café"
    assert table.match("/%61pi/hello") is None
    got = table.match("/items/n%65w")
    assert (got.pattern, got.params) == ("/items/[slug]", {"slug": "new"})
    assert table.match("/items/a%2Fb").params == {"slug": "a/b"}


def test_undecodable_segment_matches_nothing():
    assert table_of("/items/[slug]").match("/items/%FF") is None


def test_matching_is_case_sensitive():
    table = table_of("/Items")
    assert table.match("/Items") is not None
    assert table.match("/items") is None


def test_unnormalised_paths_match_nothing():
    table = table_of("/a/[b]")
    assert table.match("/a//") is None
    assert table.match("a/b") is None


def test_route_groups_match_without_the_group():
    table = table_of("/(shop)/cart", "/(marketing)")
    assert table.match("/cart").pattern == "/(shop)/cart"
    assert table.match("/").pattern == "/(marketing)"


def test_params_are_named_by_the_matched_route():
    table = table_of("/shop/[tag]/[item]", "/shop/[tag]/all")
    assert table.match("/shop/toys/car").params == {"tag": "toys", "item": "car"}
    assert table.match("/shop/toys/all").params == {"tag": "toys"}


def test_each_match_gets_its_own_params():
    table = table_of("/blog/[...slug]")
    first = table.match("/blog/a")
    first.params["slug"].append("mutated")  # type: ignore[union-attr]
    assert table.match("/blog/a").params == {"slug": ["a"]}


# -- registry -------------------------------------------------------------------------------


def test_registry_methods():
    table = table_of("/b", "/a/[x]", "/")
    assert list(table) == ["/b", "/a/[x]", "/"]
    assert len(table) == 3
    assert "/a/[x]" in table
    assert "/a/[x]/" in table
    assert "/zzz" not in table
    assert 42 not in table
    assert table.get("/b") == "/b"
    assert table.get("/zzz") is None
    assert table.kind_of("/b") == "route"


def test_add_with_the_same_source_replaces_in_place():
    table = table_of("/a", "/items/[slug]", "/z")
    table.add(parse_pattern("/items/[slug]/"), "new handler")
    assert list(table) == ["/a", "/items/[slug]", "/z"]
    assert table.match("/items/x").value == "new handler"
    assert table.get("/items/[slug]") == "new handler"


def test_remove_returns_the_value_and_the_route_stops_matching():
    table = table_of("/items/[slug]", "/items/new")
    assert table.remove("/items/[slug]") == "/items/[slug]"
    assert table.match("/items/a") is None
    assert table.match("/items/new").pattern == "/items/new"
    assert list(table) == ["/items/new"]


def test_remove_then_add_again():
    table = table_of("/a/[b]")
    table.remove("/a/[b]")
    add(table, "/a/[b]")
    assert table.match("/a/1").params == {"b": "1"}


def test_remove_an_absent_source_names_it():
    table = table_of("/a")
    with pytest.raises(KeyError, match=re.escape('No route with PATH "/nope" is registered')):
        table.remove("/nope")
    with pytest.raises(KeyError, match=re.escape('No page with PATH "/a" is registered')):
        table.remove("/a", kind="page")


def test_kind_of_an_absent_source_is_a_key_error():
    with pytest.raises(KeyError, match=re.escape('No route with PATH "/x"')):
        RouteTable().kind_of("/x")


def test_add_refuses_a_bad_kind_or_a_plain_string():
    table: RouteTable[str] = RouteTable()
    with pytest.raises(ValueError, match=re.escape('kind must be "route" or "page", got \'api\'')):
        table.add(parse_pattern("/a"), "a", kind="api")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=re.escape("build it with parse_pattern(PATH)")):
        table.add("/a", "a")  # type: ignore[arg-type]
    assert len(table) == 0


def test_a_route_and_a_page_can_share_a_folder():
    table = table_of("/x")
    add(table, "/x", kind="page")
    assert len(table) == 1
    assert table.kind_of("/x") == "route"
    assert table.get("/x", kind="page") == "/x"
    table.remove("/x")
    assert table.kind_of("/x") == "page"
    assert table.match("/x").pattern == "/x"


def test_repr():
    assert repr(table_of("/a", "/b")) == "RouteTable(size=2, sources=['/a', '/b'])"


# -- conflicts ------------------------------------------------------------------------------


def test_route_and_page_in_the_same_folder():
    table = table_of("/x")
    add(table, "/x", kind="page")
    message = "Conflicting route and page at /x: route at /x/route and page at /x/page"
    assert table.conflicts == [Conflict("error", message, ("/x",))]
    assert table.conflicts_for("/x") == table.conflicts


def test_route_and_page_at_the_root():
    table = table_of("/", kind="page")
    add(table, "/")
    assert errors(table) == ["Conflicting route and page at /: route at /route and page at /page"]


def test_route_and_page_in_different_groups_show_the_url_without_groups():
    table = table_of("/(a)/x")
    add(table, "/(b)/x", kind="page")
    assert errors(table) == [
        "Conflicting route and page at /x: route at /(a)/x/route and page at /(b)/x/page"
    ]
    assert table.conflicts[0].routes == ("/(a)/x", "/(b)/x")


def test_two_routes_at_one_url_newest_first():
    table = table_of("/(g1)/dup", "/(g2)/dup")
    message = "Conflicting routes at /dup: route at /(g2)/dup/route and route at /(g1)/dup/route"
    assert table.conflicts == [Conflict("error", message, ("/(g2)/dup", "/(g1)/dup"))]


def test_three_routes_at_one_url_are_one_conflict():
    table = table_of("/(a)/d", "/(b)/d", "/(c)/d")
    assert table.conflicts == [
        Conflict(
            "error",
            "Conflicting routes at /d: route at /(c)/d/route and route at /(b)/d/route "
            "and route at /(a)/d/route",
            ("/(c)/d", "/(b)/d", "/(a)/d"),
        )
    ]


def test_routes_differing_only_in_param_names_are_a_slug_conflict_not_a_duplicate():
    table = table_of("/x/[a]", "/(g)/x/[b]")
    assert errors(table) == [
        "You cannot use different slug names for the same dynamic path ('a' !== 'b')."
    ]


def test_two_pages_at_one_url():
    table = table_of("/(g1)/p", "/(g2)/p", kind="page")
    assert errors(table) == [
        "Conflicting pages at /p: page at /(g2)/p/page and page at /(g1)/p/page"
    ]


def test_replacing_a_route_keeps_its_place_in_the_message():
    table = table_of("/(g1)/dup", "/(g2)/dup")
    before = table.conflicts
    table.add(parse_pattern("/(g1)/dup"), "re-run")
    assert table.conflicts == before


def test_different_slug_names_for_the_same_position():
    table = table_of("/a/[id]", "/a/[slug]/b")
    message = "You cannot use different slug names for the same dynamic path ('id' !== 'slug')."
    assert table.conflicts == [Conflict("error", message, ("/a/[id]", "/a/[slug]/b"))]
    assert table.conflicts_for("/a/[id]") == table.conflicts
    assert table.conflicts_for("/a/[slug]/b") == table.conflicts


@pytest.mark.parametrize(("first", "second"), [("[...a]", "[...b]"), ("[[...a]]", "[[...b]]")])
def test_different_slug_names_for_catch_alls(first, second):
    table = table_of(f"/x/{first}", f"/(g)/x/{second}")
    assert errors(table)[0] == (
        "You cannot use different slug names for the same dynamic path ('a' !== 'b')."
    )


def test_a_dynamic_and_a_catch_all_sibling_may_use_different_names():
    assert table_of("/a/[id]", "/a/[...rest]").conflicts == []


def test_same_specificity_as_an_optional_catch_all():
    table = table_of("/d", "/d/[[...opt]]")
    message = (
        "You cannot define a route with the same specificity as an optional catch-all route "
        '("/d" and "/d/[[...opt]]").'
    )
    assert table.conflicts == [Conflict("error", message, ("/d", "/d/[[...opt]]"))]


def test_same_specificity_as_an_optional_catch_all_at_the_root():
    table = table_of("/[[...opt]]", "/")
    assert errors(table) == [
        "You cannot define a route with the same specificity as an optional catch-all route "
        '("/" and "/[[...opt]]").'
    ]


def test_required_and_optional_catch_all_at_the_same_level():
    table = table_of("/e/[...req]", "/e/[[...opt]]")
    message = (
        "You cannot use both an required and optional catch-all route at the same level "
        '("[...req]" and "[[...opt]]" ).'
    )
    assert table.conflicts == [Conflict("error", message, ("/e/[...req]", "/e/[[...opt]]"))]


def test_a_static_route_beside_a_dynamic_one_is_information():
    table = table_of("/items/[slug]", "/items/new")
    assert errors(table) == []
    assert infos(table) == [
        '"/items/new" is matched before "/items/[slug]" (static segments win), '
        'so /items/new never reaches "/items/[slug]".'
    ]
    assert table.conflicts[0].routes == ("/items/new", "/items/[slug]")
    assert table.conflicts_for("/items/new") == []


def test_a_static_route_beside_a_catch_all_is_information():
    table = table_of("/docs/intro", "/docs/[...slug]")
    assert len(infos(table)) == 1


def test_no_information_when_the_static_route_does_not_end_there():
    assert table_of("/items/new/x", "/items/[slug]").conflicts == []


def test_errors_come_before_information():
    table = table_of("/items/[slug]", "/items/new", "/(a)/z", "/(b)/z")
    assert [c.level for c in table.conflicts] == ["error", "info"]


def test_conflicts_lift_when_a_route_is_removed():
    table = table_of("/(g1)/dup", "/(g2)/dup", "/a/[id]", "/a/[slug]/b", "/d", "/d/[[...o]]")
    table.add(parse_pattern("/e/[...r]"), "r")
    table.add(parse_pattern("/e/[[...o]]"), "o")
    table.add(parse_pattern("/x"), "page", kind="page")
    table.add(parse_pattern("/x"), "route")
    assert len(errors(table)) == 5
    for source in ("/(g2)/dup", "/a/[slug]/b", "/d/[[...o]]", "/e/[[...o]]"):
        table.remove(source)
        assert table.conflicts_for(source) == []
    table.remove("/x", kind="page")
    assert table.conflicts == []
    assert all(table.conflicts_for(s) == [] for s in table)


def test_a_rename_lifts_the_slug_name_conflict():
    table = table_of("/a/[id]", "/a/[slug]/b")
    table.remove("/a/[slug]/b")
    add(table, "/a/[id]/b")
    assert table.conflicts == []


def test_the_name_registered_first_is_named_first():
    table = table_of("/a/[slug]/b", "/a/[id]")
    assert "('slug' !== 'id')" in errors(table)[0]
    table.remove("/a/[slug]/b")
    add(table, "/a/[slug]/b")
    assert "('id' !== 'slug')" in errors(table)[0]


def test_information_lifts_when_the_dynamic_sibling_goes():
    table = table_of("/items/new", "/items/old", "/items/[slug]")
    assert len(infos(table)) == 2
    table.remove("/items/[slug]")
    assert table.conflicts == []


def test_conflicting_routes_still_match():
    table = table_of("/(g1)/dup", "/(g2)/dup")
    assert table.match("/dup").pattern == "/(g2)/dup"


# -- concurrency ----------------------------------------------------------------------------


def test_match_is_never_wrong_while_other_routes_are_added_and_removed():
    table = table_of("/stable/[slug]")
    stop = threading.Event()
    wrong: list[object] = []

    def reader() -> None:
        while not stop.is_set():
            m = table.match("/stable/x")
            if m is None or m.params != {"slug": "x"}:
                wrong.append(m)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(300):
            add(table, f"/stable/s{i}")
            add(table, f"/stable/[slug]/n{i}")
        for i in range(300):
            table.remove(f"/stable/s{i}")
            table.remove(f"/stable/[slug]/n{i}")
    finally:
        stop.set()
        thread.join()
    assert wrong == []
    assert list(table) == ["/stable/[slug]"]
