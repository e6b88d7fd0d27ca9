from __future__ import annotations

import re

import pytest

from notebook_routes.routing import RouteError, RoutePattern, Segment, parse_pattern


def test_static_and_dynamic_folders():
    pattern = parse_pattern("/shop/[tag]/[item]")
    assert pattern.source == "/shop/[tag]/[item]"
    assert pattern.segments == (
        Segment("static", "shop"),
        Segment("dynamic", "tag"),
        Segment("dynamic", "item"),
    )
    assert pattern.url_path == "/shop/[tag]/[item]"
    assert pattern.param_names == ("tag", "item")
    assert pattern.is_dynamic


def test_catch_all_and_optional_catch_all():
    assert parse_pattern("/blog/[...slug]").segments[-1] == Segment("catch_all", "slug")
    docs = parse_pattern("/docs/[[...slug]]")
    assert docs.segments[-1] == Segment("optional_catch_all", "slug")
    assert docs.param_names == ("slug",)


def test_route_groups_are_not_in_the_url():
    pattern = parse_pattern("/(shop)/items/[slug]")
    assert pattern.source == "/(shop)/items/[slug]"
    assert pattern.url_path == "/items/[slug]"
    assert pattern.segments == (Segment("static", "items"), Segment("dynamic", "slug"))


def test_a_group_alone_is_the_root():
    assert parse_pattern("/(marketing)").url_path == "/"
    assert parse_pattern("/(marketing)").segments == ()


def test_root():
    root = parse_pattern("/")
    assert (root.source, root.url_path, root.segments) == ("/", "/", ())
    assert root.param_names == ()
    assert not root.is_dynamic


def test_names_with_dots_are_static():
    pattern = parse_pattern("/rss.xml")
    assert pattern.segments == (Segment("static", "rss.xml"),)
    assert not pattern.is_dynamic


def test_a_trailing_slash_is_dropped_from_the_source():
    assert parse_pattern("/items/[slug]/").source == "/items/[slug]"
    assert parse_pattern("/").source == "/"


def test_percent_encoded_underscore_folder_is_routable():
    assert parse_pattern("/%5Fhidden").segments == (Segment("static", "%5Fhidden"),)


def test_segment_folder_spelling():
    assert [s.folder for s in parse_pattern("/a/[b]/[[...c]]").segments] == [
        "a",
        "[b]",
        "[[...c]]",
    ]
    assert Segment("catch_all", "rest").folder == "[...rest]"


def test_reprs_are_constructor_calls():
    pattern = parse_pattern("/items/[slug]")
    assert repr(pattern) == (
        "RoutePattern(source='/items/[slug]', segments=(Segment(kind='static', name='items'), "
        "Segment(kind='dynamic', name='slug')))"
    )
    assert eval(repr(pattern)) == pattern
    assert eval(repr(pattern)).url_path == "/items/[slug]"


def test_route_error_is_a_value_error():
    with pytest.raises(ValueError):
        parse_pattern("/i/[]")


# Next.js's own wording, observed on `next build` of 16.4.6.
@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            "/c/[...rest]/more",
            'Catch-all must be the last part of the URL in route "/c/[...rest]/more".',
        ),
        (
            "/c/[[...rest]]/more",
            'Catch-all must be the last part of the URL in route "/c/[[...rest]]/more".',
        ),
        (
            "/f/[id]/g/[id]",
            'You cannot have the same slug name "id" repeat within a single dynamic path '
            'in route "/f/[id]/g/[id]".',
        ),
        (
            "/f/[id]/[...id]",
            'You cannot have the same slug name "id" repeat within a single dynamic path '
            'in route "/f/[id]/[...id]".',
        ),
        (
            "/h/[[id]]",
            'Optional route parameters are not yet supported ("[[id]]") in route "/h/[[id]]".',
        ),
        ("/i/[...]", 'Parameter names cannot be empty in route "/i/[...]".'),
        ("/i/[]", 'Parameter names cannot be empty in route "/i/[]".'),
        ("/i/[[...]]", 'Parameter names cannot be empty in route "/i/[[...]]".'),
    ],
)
def test_next_js_pattern_errors_verbatim(path, message):
    with pytest.raises(RouteError, match=f"^{re.escape(message)}$"):
        parse_pattern(path)


def test_catch_all_followed_by_a_group_is_still_last():
    assert parse_pattern("/c/[...rest]/(g)").url_path == "/c/[...rest]"


def test_private_folder_is_refused_with_the_reason_and_the_fix():
    with pytest.raises(RouteError) as caught:
        parse_pattern("/api/_internal/x")
    message = str(caught.value)
    assert '"_internal"' in message
    assert "private" in message
    assert "not routable in the App Router" in message
    assert '"%5Finternal"' in message


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("/a//b", 'Empty folder in route "/a//b"'),
        ("//", 'Empty folder in route "//"'),
        ("/a/./b", 'Folder "." in route "/a/./b" is a dot segment'),
        ("/a/../b", 'Folder ".." in route "/a/../b" is a dot segment'),
        ("/a/%2E%2e", 'Folder "%2E%2e" in route "/a/%2E%2e" is a dot segment'),
        ("/x/[[slug]", 'Folder "[[slug]" in route "/x/[[slug]" has unbalanced brackets'),
        ("/x/[slug", 'Folder "[slug" in route "/x/[slug" has unbalanced brackets'),
        ("/x/slug]", 'Folder "slug]" in route "/x/slug]" has unbalanced brackets'),
        ("/x/[slug]]", 'Folder "[slug]]" in route "/x/[slug]]" has unbalanced brackets'),
        ("/x/a[b]", 'Folder "a[b]" in route "/x/a[b]" has unbalanced brackets'),
        ("/x/[.slug]", 'Parameter name ".slug" in route "/x/[.slug]" starts with "."'),
        ("/x/[....slug]", 'Did you mean "[...slug]"?'),
        ("/x/[\u2026slug]", "Detected a three-dot character ('\u2026')"),
        ("/(shop", 'Folder "(shop" in route "/(shop" has unbalanced parentheses'),
        ("/()/x", 'Route group "()" in route "/()/x" has no name'),
        ("/(.)photo", 'Folder "(.)photo" in route "/(.)photo" is an intercepting route'),
        ("/@modal/x", 'Folder "@modal" in route "/@modal/x" is a parallel route slot'),
        ("/%FF", 'Folder "%FF" in route "/%FF" is not valid percent-encoded UTF-8'),
        ("/a b", "PATH '/a b' contains whitespace"),
        ("/a\nb", "PATH '/a\\nb' contains whitespace or a control character"),
    ],
)
def test_malformed_folders_are_refused_by_name(path, fragment):
    with pytest.raises(RouteError, match=re.escape(fragment)):
        parse_pattern(path)


@pytest.mark.parametrize("path", ["", "   ", "\t"])
def test_empty_path_is_refused(path):
    with pytest.raises(RouteError, match=re.escape(f"PATH {path!r} is empty")):
        parse_pattern(path)


def test_path_without_leading_slash_names_the_value_and_the_rule():
    with pytest.raises(
        RouteError,
        match=re.escape('PATH "items/[slug]" does not start with "/": PATHs start with "/"'),
    ):
        parse_pattern("items/[slug]")


def test_non_string_path_is_refused():
    with pytest.raises(RouteError, match=re.escape('PATH must be a string starting with "/", got')):
        parse_pattern(None)  # type: ignore[arg-type]


def test_pattern_is_immutable_and_hashable():
    pattern = parse_pattern("/items/[slug]")
    with pytest.raises(AttributeError):
        pattern.source = "/x"  # type: ignore[misc]
    assert {pattern: 1}[parse_pattern("/items/[slug]/")] == 1


def test_route_pattern_derives_its_fields_from_segments():
    built = RoutePattern("/(g)/a/[b]", (Segment("static", "a"), Segment("dynamic", "b")))
    assert built == parse_pattern("/(g)/a/[b]")
    assert (built.url_path, built.param_names) == ("/a/[b]", ("b",))
