from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from notebook_routes.web._context import (
    NavigationSignal,
    cookies,
    forbidden,
    headers,
    not_found,
    permanent_redirect,
    redirect,
    unauthorized,
)
from notebook_routes.web._headers import Headers
from notebook_routes.web._request import NextRequest
from notebook_routes.web._scope import current_scope, note_dynamic_usage, request_scope

URL = "http://127.0.0.1:8123/items/a?x=1"


def make_request(**headers: str) -> NextRequest:
    return NextRequest("GET", URL, headers={k.replace("_", "-"): v for k, v in headers.items()})


@pytest.mark.parametrize(
    "helper",
    [
        cookies,
        headers,
        lambda: redirect("/a"),
        lambda: permanent_redirect("/a"),
        not_found,
        forbidden,
        unauthorized,
    ],
)
def test_helpers_outside_a_handler_raise_runtime_error(helper: Callable[[], object]) -> None:
    with pytest.raises(
        RuntimeError,
        match="called outside a route handler; it must be called while a request is being handled",
    ):
        helper()


def test_outside_a_handler_there_is_no_scope_and_noting_is_harmless() -> None:
    assert current_scope() is None
    note_dynamic_usage("request.headers")  # no error


def test_cookies_reads_the_request_and_records_changes() -> None:
    with request_scope(make_request(Cookie="a=1; c=3"), route="/items/[slug]") as scope:
        assert current_scope() is scope
        assert scope.route == "/items/[slug]"
        store = cookies()
        assert store.get("a").value == "1"  # type: ignore[union-attr]
        store.set("b", "1")
        cookies().delete("c")
        assert cookies().has("b") and not cookies().has("c")
    assert [c.name for c in scope.cookies.mutations] == ["b", "c"]
    assert current_scope() is None


def test_headers_are_the_read_only_request_headers() -> None:
    with request_scope(make_request(X_Token="abc")):
        assert headers().get("x-token") == "abc"
        assert isinstance(headers(), Headers)
        with pytest.raises(TypeError, match="read-only"):
            headers().set("x-token", "other")


def test_redirects_carry_location_and_keep_cookies() -> None:
    with request_scope(make_request()):
        with pytest.raises(NavigationSignal) as temporary:
            redirect("/login")
        with pytest.raises(NavigationSignal) as permanent:
            permanent_redirect("https://example.com/")
    assert (temporary.value.status, temporary.value.location, temporary.value.keeps_cookies) == (
        307,
        "/login",
        True,
    )
    assert (permanent.value.status, permanent.value.location, permanent.value.keeps_cookies) == (
        308,
        "https://example.com/",
        True,
    )


@pytest.mark.parametrize(
    "helper, status", [(not_found, 404), (forbidden, 403), (unauthorized, 401)]
)
def test_error_signals_drop_cookies_and_have_no_location(
    helper: Callable[[], object], status: int
) -> None:
    with request_scope(make_request()), pytest.raises(NavigationSignal) as caught:
        helper()
    assert (caught.value.status, caught.value.location, caught.value.keeps_cookies) == (
        status,
        None,
        False,
    )
    response = caught.value.to_response()
    assert (response.status, response.body) == (status, None)


def test_signals_get_past_except_exception() -> None:
    def handler() -> str:
        try:
            not_found()
        except Exception:  # what a careless handler writes
            return "swallowed"
        return "unreachable"

    with request_scope(make_request()), pytest.raises(NavigationSignal):
        handler()


def test_redirect_refuses_a_bad_url() -> None:
    with request_scope(make_request()):
        with pytest.raises(ValueError, match="line break"):
            redirect("/a\r\nSet-Cookie: x=1")
        with pytest.raises(TypeError, match="non-empty URL"):
            redirect("")


def test_redirect_signal_becomes_a_response() -> None:
    response = NavigationSignal(308, "/b", keeps_cookies=True).to_response()
    assert (response.status, response.headers.get("location")) == (308, "/b")


def test_dynamic_usage_is_noted_once_per_api_in_first_use_order() -> None:
    request = make_request(Cookie="a=1")
    with request_scope(request) as scope:
        _ = request.method, request.next_url.pathname
        assert scope.dynamic_usage == []
        _ = request.headers, request.headers
        _ = request.cookies
        _ = request.url
        _ = request.next_url.search_params
        _ = request.next_url.search
        cookies()
        headers()
    assert scope.dynamic_usage == [
        "request.headers",
        "request.cookies",
        "request.url",
        "request.next_url.search_params",
        "request.next_url.search",
        "cookies()",
        "headers()",
    ]


def test_scope_reaches_an_async_handler() -> None:
    async def handler() -> str:
        await asyncio.sleep(0)
        cookies().set("from", "async")
        return headers().get("x-who") or ""

    async def dispatch() -> tuple[str, list[str]]:
        with request_scope(make_request(X_Who="loop")) as scope:
            result = await handler()
        return result, [c.value for c in scope.cookies.mutations]

    assert asyncio.run(dispatch()) == ("loop", ["async"])


def test_scope_reaches_a_plain_handler_in_a_worker_thread() -> None:
    def handler() -> str:
        cookies().set("from", "thread")
        return headers().get("x-who") or ""

    with ThreadPoolExecutor(max_workers=1) as pool:
        with request_scope(make_request(X_Who="worker")) as scope:
            context = contextvars.copy_context()
            result = pool.submit(context.run, handler).result()
        # a thread without the copied context sees no request
        with pytest.raises(RuntimeError, match="outside a route handler"):
            pool.submit(cookies).result()
    assert result == "worker"
    assert [c.value for c in scope.cookies.mutations] == ["thread"]


def test_scopes_nest_and_restore() -> None:
    with request_scope(make_request(X_N="outer")) as outer:
        with request_scope(make_request(X_N="inner")):
            assert headers().get("x-n") == "inner"
        assert current_scope() is outer
        assert headers().get("x-n") == "outer"


def test_signal_repr() -> None:
    assert (
        repr(NavigationSignal(404)) == "NavigationSignal(404, location=None, keeps_cookies=False)"
    )
