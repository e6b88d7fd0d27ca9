"""Try it's request building: a pattern's params filled in, header lines parsed."""

from __future__ import annotations

import pytest

from notebook_routes._inspector.try_panel import fill_path, parse_headers


@pytest.mark.parametrize(
    ("pattern", "values", "path"),
    [
        ("/items/[slug]", {"slug": "a"}, "/items/a"),
        ("/items/[slug]", {"slug": "a/b"}, "/items/a%2Fb"),  # one segment: the slash is data
        ("/shop/[tag]/[item]", {"tag": "t", "item": "i"}, "/shop/t/i"),
        ("/blog/[...slug]", {"slug": "2024/hello world"}, "/blog/2024/hello%20world"),
        ("/docs/[[...slug]]", {"slug": ""}, "/docs"),
        ("/docs/[[...slug]]", {"slug": "a/b"}, "/docs/a/b"),
        ("/shop/[tag]/[item]", {"tag": "t"}, "/shop/t/[item]"),  # still to fill in
        ("/", {}, "/"),
    ],
)
def test_fill_path(pattern, values, path):
    assert fill_path(pattern, values) == path


def test_parse_headers_skips_blank_lines_and_keeps_colons_in_values():
    assert parse_headers("\nAuthorization: Bearer a:b\n\n") == [("Authorization", "Bearer a:b")]


@pytest.mark.parametrize("line", ["no colon here", ": no name"])
def test_parse_headers_names_the_bad_line(line):
    with pytest.raises(ValueError, match=f"header line {line!r} is not 'Name: value'"):
        parse_headers(f"X-Ok: 1\n{line}")
