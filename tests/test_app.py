"""`App`: registering routes like route.py files (SPEC §3, §14)."""

from __future__ import annotations

import pytest

from notebook_routes import App, RouteError


async def GET(request, context):
    return {"slug": context.params["slug"]}


def test_add_match_remove():
    app = App()
    route = app.add("/items/[slug]", {"GET": GET, "revalidate": 60})
    assert repr(route) == "Route(pattern='/items/[slug]', methods=['GET'])"
    m = app.match("/items/a")
    assert (m.pattern, m.params) == ("/items/[slug]", {"slug": "a"})
    assert m.value is route
    app.remove("/items/[slug]")
    assert app.match("/items/a") is None


def test_match_ignores_the_query():
    app = App()
    app.add("/a", {"GET": GET})
    assert app.match("/a?x=1").pattern == "/a"


def test_re_adding_a_path_replaces_the_route():
    app = App()
    app.add("/a", {"GET": GET})
    replacement = app.add("/a", {"POST": GET})
    assert app.match("/a").value is replacement
    assert [r.methods for r in app.routes] == [["POST"]]


def test_a_bad_path_leaves_the_table_as_it_was():
    app = App()
    app.add("/a", {"GET": GET})
    with pytest.raises(RouteError, match="Catch-all must be the last part"):
        app.add("/c/[...rest]/more", {"GET": GET})
    assert [r.source for r in app.routes] == ["/a"]


def test_default_export_is_refused():
    with pytest.raises(RouteError, match="exports `default`"):
        App().add("/a", {"default": GET})


def test_no_handler_is_refused():
    with pytest.raises(RouteError, match="defines no handler: export at least one of GET"):
        App().add("/a", {"revalidate": 10})


def test_non_callable_handler_is_refused():
    with pytest.raises(RouteError, match="GET in route /a is a str, not a function"):
        App().add("/a", {"GET": "hello"})


def test_handler_with_too_many_arguments_is_refused():
    with pytest.raises(RouteError, match=r"takes \(\), \(request\) or \(request, context\)"):
        App().add("/a", {"GET": lambda a, b, c: None})


def test_invalid_config_is_refused_and_names_the_allowed_values():
    with pytest.raises(RouteError, match='"dynamic" in route /a: .* "auto", "force-dynamic"'):
        App().add("/a", {"GET": GET, "dynamic": "sometimes"})


def test_wrong_types_are_clear():
    with pytest.raises(TypeError, match="path must be a str"):
        App().add(42, {"GET": GET})
    with pytest.raises(TypeError, match="namespace must be a mapping"):
        App().add("/a", [GET])


def test_page_answers_get_only():
    with pytest.raises(RouteError, match="answers GET only"):
        App().add("/p", {"GET": GET, "POST": GET}, kind="page")


def test_allow_lists_own_methods_plus_head_and_options():
    app = App()
    assert app.add("/a", {"GET": GET, "POST": GET}).allow == "GET, HEAD, OPTIONS, POST"
    assert app.add("/b", {"DELETE": GET}).allow == "DELETE, OPTIONS"


def test_conflicts_are_data():
    app = App()
    app.add("/(g1)/dup", {"GET": GET})
    app.add("/(g2)/dup", {"GET": GET})
    (conflict,) = app.conflicts
    assert conflict.level == "error"
    assert set(conflict.routes) == {"/(g1)/dup", "/(g2)/dup"}


def test_a_page_and_a_route_at_one_path_are_both_listed_and_removable():
    app = App()
    app.add("/x", {"GET": GET}, kind="page")
    app.add("/x", {"POST": GET})
    assert [(r.source, r.kind) for r in app.routes] == [("/x", "route"), ("/x", "page")]
    app.remove("/x", kind="page")
    assert [(r.source, r.kind) for r in app.routes] == [("/x", "route")]
    assert app.conflicts == []
