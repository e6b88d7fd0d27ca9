"""Dispatch rules of SPEC §5-§9, each as a request and what came back over real HTTP."""

from __future__ import annotations

import asyncio
import time

import pytest

from notebook_routes import (
    NextResponse,
    Response,
    cookies,
    forbidden,
    headers,
    not_found,
    permanent_redirect,
    redirect,
    unauthorized,
)

ALL = ("GET", "POST", "PUT", "PATCH", "DELETE")


def answering(method):
    def handler():
        return {"method": method}

    return handler


def handlers(*methods):
    return {m: answering(m) for m in methods}


# -- §7 methods ------------------------------------------------------------------------


def test_head_without_its_own_handler_is_get_without_a_body(served):
    served.app.add("/h", {"GET": lambda: Response("hello", headers={"X-From": "GET"})})
    got = served.request("HEAD", "/h")
    assert got.status == 200
    assert got.headers.get("x-from") == "GET"
    assert got.headers.get("content-type") == "text/plain; charset=utf-8"
    assert got.headers.get("content-length") == "5"
    assert got.content == b""


def test_automatic_options_is_204_with_sorted_allow(served):
    served.app.add("/all", handlers(*ALL))
    got = served.request("OPTIONS", "/all")
    assert got.status == 204
    assert got.headers.get("allow") == "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"
    assert got.content == b""


def test_own_options_handler_wins(served):
    served.app.add("/o", {"GET": lambda: "g", "OPTIONS": lambda: Response("mine", status=200)})
    got = served.request("OPTIONS", "/o")
    assert (got.status, got.text) == (200, "mine")


def test_unhandled_method_is_405_with_allow_and_empty_body(served):
    served.app.add("/g", handlers("GET"))
    got = served.request("POST", "/g")
    assert got.status == 405
    assert got.headers.get("allow") == "GET, HEAD, OPTIONS"
    assert got.content == b""


def test_unknown_method_token_is_405_with_allow(served):
    if served.server.__class__.__name__ == "UvicornServer":
        pytest.skip("uvicorn's httptools parser answers 400 to a method it does not know")
    served.app.add("/p", handlers("POST"))
    got = served.request("BREW", "/p")
    assert got.status == 405
    assert got.headers.get("allow") == "OPTIONS, POST"


def test_no_route_is_404(served):
    served.app.add("/there", handlers("GET"))
    got = served.request("GET", "/not-there")
    assert got.status == 404


def test_every_method_reaches_its_own_handler(served):
    served.app.add("/all", handlers(*ALL))
    for method in ALL:
        got = served.request(method, "/all")
        assert (got.status, got.json()) == (200, {"method": method})


# -- §8 matching -----------------------------------------------------------------------


def test_trailing_slash_redirects_308_to_the_normalized_path_keeping_the_query(served):
    served.app.add("/api/hello", handlers("GET"))
    got = served.request("GET", "/api/hello/?a=1")
    assert got.status == 308
    assert got.headers.get("location") == "/api/hello?a=1"


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/api//hello", "/api/hello"),
        ("/api/./hello", "/api/hello"),
        ("/x/../api/hello", "/api/hello"),
    ],
)
def test_empty_and_dot_segments_redirect_308(served, path, location):
    served.app.add("/api/hello", handlers("GET"))
    got = served.request("GET", path)
    assert (got.status, got.headers.get("location")) == (308, location)


def test_segments_are_decoded_one_at_a_time(served):
    served.app.add("/items/[slug]", {"GET": lambda request, context: dict(context.params)})
    assert served.request("GET", "/items/a%2Fb").json() == {"slug": "a/b"}


def test_matching_is_case_sensitive(served):
    served.app.add("/api/hello", handlers("GET"))
    assert served.request("GET", "/API/hello").status == 404


def test_static_beats_dynamic_beats_catch_all_beats_optional(served):
    def echo(name):
        return lambda request, context: {"route": name, **context.params}

    served.app.add("/s/new", {"GET": echo("static")})
    served.app.add("/s/[id]", {"GET": echo("dynamic")})
    served.app.add("/s/[...rest]", {"GET": echo("catch-all")})
    served.app.add("/t/[[...opt]]", {"GET": echo("optional")})
    assert served.request("GET", "/s/new").json() == {"route": "static"}
    assert served.request("GET", "/s/7").json() == {"route": "dynamic", "id": "7"}
    assert served.request("GET", "/s/7/8").json() == {"route": "catch-all", "rest": ["7", "8"]}
    assert served.request("GET", "/s").status == 404  # a catch-all needs one segment
    assert served.request("GET", "/t").json() == {"route": "optional"}  # empty: absent
    assert served.request("GET", "/t/a/b").json() == {"route": "optional", "opt": ["a", "b"]}


def test_route_groups_are_not_in_the_url(served):
    served.app.add("/(shop)/catalog", {"GET": lambda: "catalog"})
    assert served.request("GET", "/catalog").text == "catalog"
    assert served.request("GET", "/(shop)/catalog").status == 404


# -- §9 conflicts ----------------------------------------------------------------------


def test_conflicting_routes_answer_500_with_the_message_until_resolved(served):
    served.app.add("/(g1)/dup", {"GET": lambda: "one"})
    served.app.add("/(g2)/dup", {"GET": lambda: "two"})
    got = served.request("GET", "/dup")
    assert got.status == 500
    assert got.text == (
        "Conflicting routes at /dup: route at /(g2)/dup/route and route at /(g1)/dup/route"
    )
    served.app.remove("/(g1)/dup")
    assert served.request("GET", "/dup").text == "two"


def test_route_and_page_conflict(served):
    served.app.add("/x", {"GET": lambda: "<h1>page</h1>"}, kind="page")
    served.app.add("/x", {"POST": lambda: "route"})
    got = served.request("GET", "/x")
    assert got.status == 500
    assert got.text == "Conflicting route and page at /x: route at /x/route and page at /x/page"


def test_different_slug_names_conflict(served):
    served.app.add("/u/[id]", handlers("GET"))
    served.app.add("/u/[slug]/posts", handlers("GET"))
    got = served.request("GET", "/u/1")
    assert got.status == 500
    assert got.text == (
        "You cannot use different slug names for the same dynamic path ('id' !== 'slug')."
    )


def test_static_beside_dynamic_is_information_not_an_error(served):
    served.app.add("/items/new", {"GET": lambda: "new"})
    served.app.add("/items/[slug]", {"GET": lambda request, context: context.params["slug"]})
    assert [c.level for c in served.app.conflicts] == ["info"]
    assert served.request("GET", "/items/new").text == "new"
    assert served.request("GET", "/items/a").text == "a"


def test_page_answers_html_on_get_only(served):
    served.app.add("/about", {"GET": lambda: "<h1>About</h1>"}, kind="page")
    got = served.request("GET", "/about")
    assert (got.status, got.text) == (200, "<h1>About</h1>")
    assert got.headers.get("content-type") == "text/html; charset=utf-8"
    assert served.request("POST", "/about").status == 405


# -- §5 responses ----------------------------------------------------------------------


def test_content_types_as_observed(served):
    served.app.add("/json", {"GET": lambda: Response.json({"a": 1})})
    served.app.add("/text", {"GET": lambda: Response("hi")})
    served.app.add("/bytes", {"GET": lambda: Response(b"\x00\x01")})
    served.app.add("/empty", {"GET": lambda: Response()})
    json_answer = served.request("GET", "/json")
    assert json_answer.headers.get("content-type") == "application/json"
    assert json_answer.content == b'{"a":1}'
    assert served.request("GET", "/text").headers.get("content-type") == "text/plain; charset=utf-8"
    assert served.request("GET", "/bytes").headers.get("content-type") is None
    assert served.request("GET", "/empty").headers.get("content-type") is None


def test_returned_plain_values_become_responses(served):
    served.app.add("/d", {"GET": lambda: {"a": [1, 2]}})
    served.app.add("/l", {"GET": lambda: [1, "x"]})
    served.app.add("/s", {"GET": lambda: "plain"})
    served.app.add("/b", {"GET": lambda: b"raw"})
    assert served.request("GET", "/d").json() == {"a": [1, 2]}
    assert served.request("GET", "/l").headers.get("content-type") == "application/json"
    assert served.request("GET", "/s").headers.get("content-type") == "text/plain; charset=utf-8"
    raw = served.request("GET", "/b")
    assert (raw.content, raw.headers.get("content-type")) == (b"raw", "application/octet-stream")


def test_returning_none_is_500_and_the_log_says_why(served):
    served.app.add("/none", {"GET": lambda: None})
    assert served.request("GET", "/none").status == 500
    entry = list(served.app.log)[-1]
    assert entry.error == (
        "No response is returned from route handler '/none'. Ensure you return a `Response` "
        "or a `NextResponse` in all branches of your handler."
    )


@pytest.mark.parametrize("make", [NextResponse.next, lambda: NextResponse.rewrite("/x")])
def test_middleware_only_responses_are_500_with_a_log_entry(served, make):
    served.app.add("/mw", {"GET": make})
    assert served.request("GET", "/mw").status == 500
    assert "only works in middleware" in list(served.app.log)[-1].error


def test_a_crashing_handler_is_500_with_its_traceback_logged(served):
    def GET():
        raise KeyError("missing")

    served.app.add("/crash", {"GET": GET})
    served.app.add("/fine", {"GET": lambda: "fine"})
    got = served.request("GET", "/crash")
    assert got.status == 500
    entry = list(served.app.log)[-1]
    assert entry.error == "KeyError: 'missing'"
    assert 'raise KeyError("missing")' in entry.traceback
    assert served.request("GET", "/fine").text == "fine"
    assert served.app.get("/crash").errors == 1


def test_redirect_response_helper(served):
    served.app.add("/go", {"GET": lambda: Response.redirect("https://nextjs.org/")})
    got = served.request("GET", "/go")
    assert (got.status, got.headers.get("location")) == (307, "https://nextjs.org/")


def test_several_set_cookie_headers_from_a_list_of_pairs(served):
    pairs = [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]
    served.app.add("/two", {"GET": lambda: Response("ok", headers=pairs)})
    assert served.request("GET", "/two").headers.get_set_cookie() == ["a=1", "b=2"]


# -- §4 requests -----------------------------------------------------------------------


def test_invalid_json_is_400_with_a_one_line_reason(served):
    async def POST(request):
        return {"got": await request.json()}

    served.app.add("/items", {"POST": POST})
    bad = served.request(
        "POST", "/items", body="{nope", headers={"Content-Type": "application/json"}
    )
    assert bad.status == 400
    assert "\n" not in bad.text and "JSON" in bad.text
    empty = served.request("POST", "/items")
    assert empty.status == 400
    assert served.request("POST", "/items", json={"a": 1}).json() == {"got": {"a": 1}}


def test_body_readers_can_be_called_twice(served):
    async def POST(request):
        first = await request.text()
        return {"text": first, "again": await request.text(), "json": await request.json()}

    served.app.add("/twice", {"POST": POST})
    got = served.request("POST", "/twice", json=[1])
    assert got.json() == {"text": "[1]", "again": "[1]", "json": [1]}


def test_multipart_form_with_a_file(served):
    async def POST(request):
        form = await request.form_data()
        upload = form.get("file")
        return {
            "name": form.get("name"),
            "filename": upload.filename,
            "type": upload.content_type,
            "size": upload.size,
            "bytes": upload.data.decode(),
        }

    served.app.add("/upload", {"POST": POST})
    boundary = "XyZ"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nAda\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="n.txt"\r\n'
        f"Content-Type: text/plain\r\n\r\nhello file\r\n--{boundary}--\r\n"
    )
    got = served.request(
        "POST",
        "/upload",
        body=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert got.json() == {
        "name": "Ada",
        "filename": "n.txt",
        "type": "text/plain",
        "size": 10,
        "bytes": "hello file",
    }


def test_request_url_and_next_url(served):
    def GET(request):
        url = request.next_url
        return {
            "url": request.url,
            "pathname": url.pathname,
            "search": url.search,
            "tags": url.search_params.get_all("tag"),
        }

    served.app.add("/api/search", {"GET": GET})
    got = served.request("GET", "/api/search?tag=a&tag=b").json()
    assert got == {
        "url": f"http://127.0.0.1:{served.server.port}/api/search?tag=a&tag=b",
        "pathname": "/api/search",
        "search": "?tag=a&tag=b",
        "tags": ["a", "b"],
    }


def test_params_can_be_awaited_or_read(served):
    async def GET(request, context):
        return {"awaited": await context.params, "read": context.params["team"]}

    served.app.add("/dashboard/[team]", {"GET": GET})
    assert served.request("GET", "/dashboard/1").json() == {"awaited": {"team": "1"}, "read": "1"}


def test_handlers_with_no_arguments_or_only_request(served):
    served.app.add("/zero", {"GET": lambda: "zero"})
    served.app.add("/one", {"GET": lambda request: request.method})
    assert served.request("GET", "/zero").text == "zero"
    assert served.request("GET", "/one").text == "GET"


# -- §6 request-scoped helpers ---------------------------------------------------------


def test_cookies_set_and_delete_as_observed(served):
    def GET():
        store = cookies()
        store.set("b", "1")
        store.delete("c")
        return {"a": store.get("a").value}

    served.app.add("/c", {"GET": GET})
    got = served.request("GET", "/c", cookies={"a": "x", "c": "old"})
    assert got.json() == {"a": "x"}
    assert got.headers.get_set_cookie() == [
        "b=1; Path=/",
        "c=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
    ]


def test_response_cookie_wins_and_is_serialized_once_cookies_changed(served):
    def GET():
        cookies().set("same", "from-cookies")
        cookies().set("other", "1")
        return Response("ok", headers=[("Set-Cookie", "same=from-response")])

    served.app.add("/merge", {"GET": GET})
    got = served.request("GET", "/merge")
    assert got.headers.get_set_cookie() == ["same=from-response; Path=/", "other=1; Path=/"]


def test_response_cookies_pass_through_when_cookies_unchanged(served):
    served.app.add(
        "/raw", {"GET": lambda: Response("ok", headers={"Set-Cookie": "raw=1; HttpOnly"})}
    )
    assert served.request("GET", "/raw").headers.get_set_cookie() == ["raw=1; HttpOnly"]


def test_headers_helper_reads_request_headers(served):
    served.app.add("/ref", {"GET": lambda: headers().get("referer")})
    assert served.request("GET", "/ref", headers={"Referer": "https://a.example/"}).text == (
        "https://a.example/"
    )


def test_redirect_helpers_keep_cookies(served):
    def GET():
        cookies().set("b", "1")
        redirect("https://nextjs.org/")

    served.app.add("/r", {"GET": GET})
    served.app.add("/pr", {"GET": lambda: permanent_redirect("/new")})
    got = served.request("GET", "/r")
    assert (got.status, got.headers.get("location")) == (307, "https://nextjs.org/")
    assert got.headers.get_set_cookie() == ["b=1; Path=/"]
    moved = served.request("GET", "/pr")
    assert (moved.status, moved.headers.get("location")) == (308, "/new")


@pytest.mark.parametrize(
    ("helper", "status"), [(not_found, 404), (forbidden, 403), (unauthorized, 401)]
)
def test_access_helpers_answer_empty_and_drop_cookies(served, helper, status):
    def GET():
        cookies().set("b", "1")
        helper()

    served.app.add("/deny", {"GET": GET})
    got = served.request("GET", "/deny")
    assert (got.status, got.content) == (status, b"")
    assert got.headers.get_set_cookie() == []


def test_redirect_is_not_swallowed_by_except_exception(served):
    def GET():
        try:
            redirect("/elsewhere")
        except Exception:
            return "swallowed"

    served.app.add("/r", {"GET": GET})
    assert served.request("GET", "/r").status == 307


def test_cookies_helper_works_in_def_handlers_on_worker_threads(served):
    def GET():
        cookies().set("from", "thread")
        return "ok"

    served.app.add("/t", {"GET": GET})
    assert served.request("GET", "/t").headers.get_set_cookie() == ["from=thread; Path=/"]


# -- max_duration ----------------------------------------------------------------------


def test_max_duration_cancels_a_slow_handler_with_504(served):
    async def GET():
        await asyncio.sleep(30)

    served.app.add("/slow", {"GET": GET, "max_duration": 0.2})
    started = time.monotonic()
    got = served.request("GET", "/slow")
    assert got.status == 504
    assert time.monotonic() - started < 20
    assert list(served.app.log)[-1].error == (
        "Route /slow ran longer than max_duration = 0.2 s and was cancelled."
    )


def test_the_log_records_each_request(served):
    served.app.add("/items/[slug]", {"GET": lambda request, context: "x"})
    served.request("GET", "/items/a")
    entry = list(served.app.log)[-1]
    assert (entry.method, entry.path, entry.route, entry.params, entry.status) == (
        "GET",
        "/items/a",
        "/items/[slug]",
        {"slug": "a"},
        200,
    )
    assert entry.duration_ms >= 0
