"""The one reader of the `%%route` / `%%page` line and the one body-form template.

The magics, the kernel's cell compiler and the export all go through it; the kernel side
is covered in test_magics.py, the export side in test_export.py.
"""

from __future__ import annotations

import ast

import pytest

from notebook_routes._cell_source import (
    LineError,
    handler_module,
    handler_source,
    parse_line,
    route_line,
    split_cell,
)
from notebook_routes._cells import body_handler


@pytest.mark.parametrize(
    ("magic", "line", "expected"),
    [
        ("%%route", "GET /x", (("GET",), "/x", "body")),
        ("%%route", "get Post GET /x/[...slug]", (("GET", "POST"), "/x/[...slug]", "body")),
        ("%%route", "/x", ((), "/x", "module")),
        ("%%page", "/about", ((), "/about", "page")),
    ],
)
def test_a_line_gives_methods_path_and_form(magic, line, expected):
    parsed = parse_line(magic, line)
    assert (parsed.methods, parsed.path, parsed.form) == expected


@pytest.mark.parametrize(
    ("magic", "line", "message", "brief"),
    [
        (
            "%%route",
            "GRT /x",
            "Unknown HTTP method 'GRT' in %%route GRT /x: use one or more of "
            "GET HEAD POST PUT PATCH DELETE OPTIONS before the path.",
            "unknown HTTP method 'GRT'",
        ),
        (
            "%%route",
            "GET POST",
            "The PATH is missing in %%route GET POST: write it after the methods, "
            "as in %%route GET POST /api/hello.",
            "the PATH is missing: write it after the methods, as in %%route GET /x",
        ),
        (
            "%%route",
            "",
            "%%route needs a PATH, such as %%route GET /items/[slug]",
            "%%route needs a PATH, such as %%route GET /items/[slug]",
        ),
        (
            "%%page",
            "GET /about",
            "%%page takes one PATH and no methods: %%page /about",
            "%%page takes one PATH and no methods: %%page /about",
        ),
    ],
)
def test_a_bad_line_says_what_to_write(magic, line, message, brief):
    with pytest.raises(LineError) as caught:
        parse_line(magic, line)
    assert (str(caught.value), caught.value.brief) == (message, brief)


def test_the_magic_and_the_export_split_the_line_the_same_way():
    # The magic gets METHODs and PATH from argparse; the export from the words of the line.
    assert route_line(["get", "post"], "/x", line="get post /x") == parse_line(
        "%%route", "get post /x"
    )


def test_split_cell_finds_route_and_page_cells_only():
    assert split_cell("\n\n%%route GET /x\nreturn 1\n") == ("%%route", "GET /x", "return 1\n")
    assert split_cell("%%page /a\n<p>") == ("%%page", "/a", "<p>")
    assert split_cell("%%capture\nx = 1") is None
    assert split_cell("%routes") is None
    assert split_cell("") is None


def test_the_kernel_and_the_export_build_the_same_handler():
    body = "total = sum(len(p) for p in params['slug'])\nreturn {'total': total}"
    built = ast.unparse(handler_module("GET", ast.parse(body)))
    written = ast.unparse(ast.parse(handler_source("GET", body)))
    assert built == written
    assert "params = await context.params" in written


def test_a_body_error_points_at_the_cells_own_line():
    with pytest.raises(SyntaxError) as caught:
        compile(handler_module("GET", ast.parse("x = 1\nyield x\nreturn 2")), "<cell>", "exec")
    assert caught.value.lineno == 3


def test_a_body_form_handler_awaits_the_params():
    import asyncio

    from notebook_routes import Params, RouteContext

    handler = body_handler("return params", name="GET", notebook={})
    params = asyncio.run(handler(None, RouteContext(Params({"slug": ["a", "b"]}))))
    assert params == {"slug": ["a", "b"]} and type(params) is dict
