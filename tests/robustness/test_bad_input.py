"""Bad input (issue 7, item 8): wrong types, bad patterns and bad config values get a clear
`TypeError`/`ValueError` (or, in a cell, a `UsageError`) that names the argument, never a
crash deep inside."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote, unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import notebook_routes as nr
from notebook_routes import App, NextResponse, Response, RouteError, Server
from notebook_routes.routing import Segment


def handler() -> str:
    return "ok"


API_CASES: list[tuple[str, Callable[[], object], type[Exception], str]] = [
    ("path not a str", lambda: App().add(123, {"GET": handler}), TypeError, "path must be a str"),
    ("namespace", lambda: App().add("/a", None), TypeError, "namespace must be a mapping"),
    ("no slash", lambda: App().add("a", {"GET": handler}), RouteError, 'PATH "a" does not start'),
    ("empty path", lambda: App().add("", {"GET": handler}), RouteError, "PATH '' is empty"),
    (
        "catch-all not last",
        lambda: App().add("/c/[...rest]/more", {"GET": handler}),
        RouteError,
        r'Catch-all must be the last part of the URL in route "/c/\[...rest\]/more"',
    ),
    ("handler", lambda: App().add("/a", {"GET": 5}), RouteError, "GET in route /a is a int"),
    (
        "handler signature",
        lambda: App().add("/a", {"GET": lambda a, b, c: 1}),
        RouteError,
        r"a handler takes \(\), \(request\) or \(request, context\)",
    ),
    ("no handler", lambda: App().add("/a", {"get": handler}), RouteError, "defines no handler"),
    (
        "dynamic",
        lambda: App().add("/a", {"GET": handler, "dynamic": "sometimes"}),
        RouteError,
        "Invalid segment config \"dynamic\" in route /a: 'sometimes' is not allowed; use one of",
    ),
    (
        "revalidate",
        lambda: App().add("/a", {"GET": handler, "revalidate": "60"}),
        RouteError,
        'Invalid segment config "revalidate"',
    ),
    (
        "maxDuration",
        lambda: App().add("/a", {"GET": handler, "maxDuration": True}),
        RouteError,
        'Invalid segment config "max_duration"',
    ),
    (
        "generate_static_params",
        lambda: App().add("/a/[x]", {"GET": handler, "generate_static_params": [1]}),
        RouteError,
        "generate_static_params in route /a/\\[x\\] must be a function",
    ),
    ("kind", lambda: App().add("/a", {"GET": handler}, kind="x"), ValueError, "kind must be"),
    ("log_size", lambda: App(log_size=0), ValueError, "maxlen must be a positive int"),
    ("remove", lambda: App().remove(5), RouteError, "PATH must be a string"),
    ("host", lambda: Server(App(), host=5), TypeError, "host must be a non-empty str"),
    ("port", lambda: Server(App(), port="80"), ValueError, "port must be an int"),
    ("token", lambda: Server(App(), token=5), ValueError, "token must be a non-empty str"),
    ("max_body_size", lambda: Server(App(), max_body_size=-1), ValueError, "max_body_size"),
    ("max_header_size", lambda: Server(App(), max_header_size=0), ValueError, "max_header_size"),
    ("idle_timeout", lambda: Server(App(), idle_timeout=0), ValueError, "idle_timeout"),
    ("start port", lambda: nr.start(port="x"), ValueError, "port must be an int"),
    ("body", lambda: Response(5), TypeError, "Response body must be str, bytes, None"),
    ("status", lambda: Response("x", status="200"), ValueError, "Response status must be an int"),
    ("headers", lambda: Response("x", headers=5), TypeError, "headers must be a dict"),
    (
        "header value",
        lambda: Response("x", headers={"X-A": "v\r\nSet-Cookie: evil=1"}),
        ValueError,
        "Invalid value for header 'X-A'",
    ),
    ("redirect", lambda: Response.redirect("/x", status=200), ValueError, "Redirect status"),
    ("cookie", lambda: NextResponse().cookies.set("a;b", "v"), ValueError, "Invalid cookie name"),
    ("request method", lambda: nr.request(5, "/"), TypeError, "method must be a str"),
    ("request path", lambda: nr.request("GET", "x"), ValueError, "path must be a str starting"),
    ("request body", lambda: nr.request("GET", "/", json={}, data="x"), TypeError, "at most one"),
]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [case[1:] for case in API_CASES],
    ids=[case[0] for case in API_CASES],
)
def test_bad_python_api_input_is_a_clear_error_naming_it(call, error, message):
    try:
        with pytest.raises(error, match=message):
            call()
    finally:
        nr.stop()  # request() starts the default server before it looks at its arguments


def test_match_refuses_a_path_that_is_not_a_str():
    with pytest.raises(TypeError, match="path"):
        App().match(None)


def test_server_refuses_an_app_that_is_not_an_app():
    with pytest.raises(TypeError, match="app"):
        Server(None)


def test_server_refuses_a_worker_count_below_one():
    with pytest.raises(ValueError, match="workers"):
        Server(App(), workers=0)


def test_request_refuses_a_path_with_a_space_naming_it():
    with pytest.raises(ValueError, match="path"):
        nr.request("GET", "/a b")


PATH_TEXT = st.text(alphabet="/[]._()-%aZ09 \\?#", max_size=20)
# Folders of every kind, so that dynamic segments and catch-alls are drawn often.
FOLDER = st.one_of(
    st.sampled_from(["a", "%5Fx", "a.b", "[id]", "[slug]", "[...rest]", "[[...opt]]", "(group)"]),
    PATH_TEXT,
)
PATH_OF_FOLDERS = st.lists(FOLDER, max_size=4).map(lambda folders: "/" + "/".join(folders))


@settings(max_examples=300, deadline=None)
@given(
    path=st.one_of(
        PATH_TEXT, PATH_TEXT.map(lambda p: "/" + p), st.text(max_size=20), PATH_OF_FOLDERS
    )
)
def test_any_path_text_is_registered_or_refused_with_a_route_error(path):
    app = App()
    try:
        route = app.add(path, {"GET": handler})
    except RouteError as exc:
        assert str(exc)  # a message, not an empty error
        assert app.routes == []  # and nothing half-registered
    else:
        assert app.get(path) is route
        # A registered route answers at a URL its pattern describes, with those params.
        url, params = example_request(route.pattern.segments)
        found = app.match(url)
        assert found is not None, f"{path!r} registered but {url!r} reaches nothing"
        assert (found.value, found.params) == (route, params)
    app.match(path)  # and matching any text answers (a match or None), never raises


# What a browser leaves unescaped in a path segment (the URL standard's path set, minus "/").
BROWSER_SAFE = "!$&'()*+,;=:@[]|-._~"


def example_request(segments: tuple[Segment, ...]) -> tuple[str, dict[str, str | list[str]]]:
    """A request path that reaches a route of these segments (params filled in), and its params.

    >>> from notebook_routes.routing import parse_pattern
    >>> example_request(parse_pattern("/a%20b/[id]/[...rest]").segments)
    ('/a%20b/V1/a/b', {'id': 'V1', 'rest': ['a', 'b']})
    """
    parts: list[str] = []
    params: dict[str, str | list[str]] = {}
    for i, segment in enumerate(segments):
        if segment.kind == "static":  # the folder text as a browser sends it (URL standard)
            parts.append(quote(unquote(segment.name), safe=BROWSER_SAFE))
        elif segment.kind == "dynamic":
            parts.append(f"V{i}")
            params[segment.name] = f"V{i}"
        elif segment.kind == "catch_all":
            parts += ["a", "b"]
            params[segment.name] = ["a", "b"]
        # an optional catch-all left empty is absent from the params
    return "/" + "/".join(parts), params


CONFIG_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8), st.lists(st.text())
)


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(
        ["dynamic", "revalidate", "dynamicParams", "fetch_cache", "runtime", "preferredRegion"]
        + ["max_duration"]
    ),
    value=CONFIG_VALUES,
)
def test_any_config_value_is_accepted_or_refused_naming_the_option(name, value):
    try:
        App().add("/a", {"GET": handler, name: value})
    except RouteError as exc:
        assert "Invalid segment config" in str(exc) and "use " in str(exc)


# -- magics, in a real kernel -----------------------------------------------------------------


KERNEL_SETUP = ["%%route GET /kept\nreturn 'kept'"]  # the shared `kernel` runs it first


ROUTES = "sorted(r.source for r in __import__('notebook_routes').default_app().routes)"


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("%%route\nreturn 1", "the following arguments are required: PATH"),
        ("%%route FETCH /x\nreturn 1", "Unknown HTTP method 'FETCH'"),
        ("%%route GET items\nreturn 1", 'PATH "items" does not start with "/"'),
        ("%%route GET /a/[...x]/b\nreturn 1", "Catch-all must be the last part of the URL"),
        ("%%route --bogus GET /x\nreturn 1", "unrecognized arguments: --bogus"),
        ("%%route /x\nGET = 5", "GET in route /x is a int, not a function"),
        ("%%route /x\ndef GET(a, b, c):\n    return 1", "a handler takes (), (request)"),
        ("%%route /x\nx = 1", "Route /x defines no handler"),
        ("%%route /x\ndef GET():\n    return 1\nrevalidate = -5", 'segment config "revalidate"'),
        ("%%route /x\ndef GET():\n    return 1\nmax_duration = 'soon'", '"max_duration"'),
        ("%%route /x\ndef GET():\n    return 1\ndynamicParams = 'no'", '"dynamic_params"'),
        (
            "%%route /x/[id]\ndef GET():\n    return 1\ndef generate_static_params():\n"
            "    return 5",
            "generate_static_params() for route /x/[id] must return a list of param dicts",
        ),
        ("%%page about\n<p>", 'PATH "about" does not start with "/"'),
        ("%route_remove /nope", 'No route with PATH "/nope" is registered'),
        ("%route_remove nope", 'PATH "nope" does not start with "/"'),
        ("%request GET", "the following arguments are required: path"),
        ("%request GET nopath", "path must be a str starting with '/'"),
        ("%request GET /kept -H 'NoColon'", "-H takes 'Name: value'"),
    ],
)
def test_bad_magic_input_is_a_usage_error_and_changes_nothing(kernel, cell, message):
    before = kernel.value(ROUTES)
    out = kernel.run(cell)
    assert out.stderr.startswith("UsageError: ") and message in out.stderr
    assert "Traceback" not in out.stderr
    assert kernel.value(ROUTES) == before
    assert kernel.http("GET", "/kept").text == "kept"


@pytest.mark.timeout(120)
def test_generate_static_params_that_raises_is_a_usage_error(kernel):
    out = kernel.run(
        "%%route /y/[id]\ndef GET():\n    return 1\n"
        "def generate_static_params():\n    raise RuntimeError('no params today')"
    )
    assert "UsageError: " in out.stderr and "no params today" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.timeout(120)
def test_a_route_cell_without_a_path_says_the_path_is_missing(kernel):
    out = kernel.run("%%route GET\nreturn 1")
    assert "UsageError: " in out.stderr and "PATH" in out.stderr
