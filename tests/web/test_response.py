from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from notebook_routes.web._headers import Headers
from notebook_routes.web._response import NextResponse, NoResponse, Response, coerce_response


def test_json_is_compact_utf8_with_exactly_application_json() -> None:  # observed content type
    response = Response.json({"name": "Zoë", "tags": ["a", "b"], "n": None})
    assert response.status == 200
    assert response.headers.get("content-type") == "application/json"
    assert response.body == '{"name":"Zoë","tags":["a","b"],"n":null}'.encode()
    assert response.ok and not response.is_stream


def test_json_keeps_a_content_type_the_caller_set() -> None:
    response = Response.json([1], status=201, headers={"Content-Type": "application/problem+json"})
    assert response.status == 201
    assert response.headers.get_all("content-type") == ["application/problem+json"]


def test_json_refuses_what_json_cannot_say() -> None:
    with pytest.raises(ValueError, match="not JSON compliant"):
        Response.json({"x": float("nan")})
    with pytest.raises(TypeError, match="not JSON serializable"):
        Response.json({"x": object()})


def test_str_body_gets_text_plain_utf8() -> None:  # observed
    response = Response("héllo")
    assert response.headers.get("content-type") == "text/plain; charset=utf-8"
    assert response.body == "héllo".encode()
    custom = Response("<p>", headers={"Content-Type": "text/html"})
    assert custom.headers.get_all("content-type") == ["text/html"]


def test_bytes_streamed_and_empty_bodies_get_no_content_type() -> None:  # observed
    def chunks() -> Iterator[str | bytes]:
        yield "a"
        yield b"b"

    async def achunks() -> AsyncIterator[bytes]:
        yield b"c"

    for body in (b"\x00", chunks(), achunks(), None):
        response = Response(body)
        assert "content-type" not in response.headers, body
    assert Response(chunks()).is_stream and Response(achunks()).is_stream
    assert Response(None).body is None


def test_headers_as_dict_pairs_or_headers() -> None:
    pairs = Response("x", headers=[("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
    assert pairs.headers.get_set_cookie() == ["a=1", "b=2"]
    given = Headers({"X-A": "1"})
    response = Response(headers=given)
    response.headers.set("X-A", "2")
    assert given.get("x-a") == "1"  # the response keeps its own copy
    with pytest.raises(TypeError, match="dict, a list of"):
        Response(headers="X-A: 1")  # type: ignore[arg-type]


def test_status_is_validated() -> None:
    for bad in (199, 600, "200", True):
        with pytest.raises(ValueError, match=f"status must be an int from 200 to 599; got {bad!r}"):
            Response(status=bad)  # type: ignore[arg-type]
    assert not Response(status=404).ok
    with pytest.raises(ValueError, match="status 204 cannot have a body"):
        Response("content", status=204)
    assert Response("", status=204).body is None
    assert "content-type" not in Response("", status=304).headers


def test_body_of_a_wrong_type_says_what_to_use() -> None:
    with pytest.raises(TypeError, match=r"cannot be a dict; use Response.json\(data\)"):
        Response({"a": 1})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="got int"):
        Response(3)  # type: ignore[arg-type]


def test_redirect() -> None:
    response = Response.redirect("https://nextjs.org/")
    assert response.status == 307
    assert response.headers.get("location") == "https://nextjs.org/"
    assert response.body is None
    assert Response.redirect("/a", 308).status == 308
    with pytest.raises(ValueError, match="301, 302, 303, 307, 308; got 200"):
        Response.redirect("/a", 200)


def test_next_response_cookies_are_its_set_cookie_headers() -> None:
    response = NextResponse.json({"ok": True})
    assert isinstance(response, NextResponse)
    response.cookies.set("b", "1")
    response.cookies.delete("c")
    assert response.headers.get_set_cookie() == [
        "b=1; Path=/",
        "c=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
    ]
    assert response.cookies.get("b").value == "1"  # type: ignore[union-attr]
    assert isinstance(NextResponse.redirect("/x"), NextResponse)


def test_next_and_rewrite_are_marked_middleware_only() -> None:
    assert NextResponse.next().middleware_only == "NextResponse.next()"
    assert NextResponse.rewrite("/other").middleware_only == "NextResponse.rewrite()"
    assert NextResponse("x").middleware_only is None
    assert Response("x").middleware_only is None


def test_coerce_response() -> None:
    response = Response("x")
    assert coerce_response(response) is response
    as_json = coerce_response({"a": [1]})
    assert (as_json.body, as_json.headers.get("content-type")) == (b'{"a":[1]}', "application/json")
    assert coerce_response([1, 2]).body == b"[1,2]"
    text = coerce_response("hi")
    assert text.headers.get("content-type") == "text/plain; charset=utf-8"
    raw = coerce_response(b"\x00")
    assert (raw.body, raw.headers.get("content-type")) == (b"\x00", "application/octet-stream")
    assert coerce_response(bytearray(b"z")).body == b"z"


def test_coerce_none_raises_no_response_with_the_next_js_message() -> None:
    with pytest.raises(NoResponse) as caught:
        coerce_response(None, route="/items/[slug]")
    assert str(caught.value) == (
        "No response is returned from route handler '/items/[slug]'. Ensure you return a "
        "`Response` or a `NextResponse` in all branches of your handler."
    )


def test_coerce_anything_else_names_the_type_and_the_choices() -> None:
    with pytest.raises(
        TypeError, match=r"returned tuple; return a Response or NextResponse, a dict or list"
    ):
        coerce_response(("body", 200))


def test_repr_is_a_constructor_call() -> None:
    assert repr(Response.json({"a": 1})) == (
        "Response(b'{\"a\":1}', status=200, "
        "headers=Headers([('content-type', 'application/json')]))"
    )
