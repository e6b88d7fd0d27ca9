from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest

from notebook_routes.web._cookies import Cookie
from notebook_routes.web._formdata import UploadedFile
from notebook_routes.web._headers import Headers
from notebook_routes.web._request import (
    BadRequest,
    BodyStream,
    NextRequest,
    NextURL,
    Request,
    SearchParams,
)

T = TypeVar("T")
URL = "http://127.0.0.1:8123/api/search?query=hello&tag=a&tag=b"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def test_method_url_and_next_url() -> None:
    request = NextRequest("post", URL)
    assert request.method == "POST"
    assert request.url == URL
    url = request.next_url
    assert (url.protocol, url.host, url.hostname, url.port) == (
        "http:",
        "127.0.0.1:8123",
        "127.0.0.1",
        "8123",
    )
    assert url.pathname == "/api/search"
    assert url.search == "?query=hello&tag=a&tag=b"
    assert url.origin == "http://127.0.0.1:8123"
    assert url.href == str(url) == URL
    assert NextURL("http://h/").search == ""


def test_search_params() -> None:
    params = NextRequest("GET", URL).next_url.search_params
    assert params.get("query") == "hello"
    assert params.get_all("tag") == ["a", "b"]
    assert params.has("tag") and not params.has("nope")
    assert params.get("nope") is None
    assert list(params) == [("query", "hello"), ("tag", "a"), ("tag", "b")]
    assert params.keys() == ["query", "tag"]
    assert len(params) == 3
    assert str(SearchParams("?q=a+b%26c&x=%7E*")) == "q=a+b%26c&x=%7E*"


def test_url_must_be_absolute() -> None:
    with pytest.raises(
        ValueError, match="must be absolute, like 'http://127.0.0.1:8123/items/a'; got '/items/a'"
    ):
        Request("GET", "/items/a")
    with pytest.raises(ValueError, match="invalid port"):
        Request("GET", "http://h:99999999x/")
    with pytest.raises(ValueError, match="Invalid request method 'G T'"):
        Request("G T", "http://h/")


def test_headers_are_read_only_and_case_insensitive() -> None:
    request = Request("GET", URL, headers=[("X-Token", "abc"), ("Accept", "*/*")])
    assert request.headers.get("x-token") == "abc"
    assert "ACCEPT" in request.headers
    assert list(request.headers) == ["accept", "x-token"]  # sorted, as Fetch iterates
    with pytest.raises(TypeError, match="read-only"):
        request.headers.set("x-token", "other")
    copy = Headers(request.headers)
    copy.set("x-token", "other")
    assert request.headers.get("x-token") == "abc"


def test_cookies() -> None:
    request = NextRequest("GET", URL, headers=[("Cookie", "token=abc; theme=dark%20mode")])
    assert request.cookies.get("token") == Cookie("token", "abc")
    assert request.cookies.get("theme").value == "dark mode"  # type: ignore[union-attr]
    assert request.cookies.has("token")
    assert request.cookies.get("missing") is None
    assert [c.name for c in request.cookies.get_all()] == ["token", "theme"]
    assert NextRequest("GET", URL).cookies.get_all() == []


def test_body_readers_can_be_called_again_and_in_any_order() -> None:
    request = Request(
        "POST", URL, headers={"Content-Type": "application/json"}, body='{"a": [1, "é"]}'
    )

    async def read_all() -> tuple[object, ...]:
        return (
            await request.json(),
            await request.text(),
            await request.body(),
            await request.json(),
        )

    data, text, raw, again = run(read_all())
    assert data == again == {"a": [1, "é"]}
    assert text == '{"a": [1, "é"]}'
    assert raw == '{"a": [1, "é"]}'.encode()


def test_text_is_always_utf8_as_fetch_decodes_it() -> None:
    # The charset parameter is ignored, bad bytes become U+FFFD, one leading BOM goes.
    for content_type in ("text/plain; charset=latin-1", "text/plain; charset=klingon"):
        request = Request("POST", URL, headers={"Content-Type": content_type}, body="é".encode())
        assert run(request.text()) == "é"
    latin1 = Request("POST", URL, body="é".encode("latin-1"))
    assert run(latin1.text()) == "\ufffd"
    boms = Request("POST", URL, body=b"\xef\xbb\xbf\xef\xbb\xbfhi")
    assert run(boms.text()) == "\ufeffhi"


def test_json_of_an_empty_body_is_a_bad_request() -> None:
    with pytest.raises(
        BadRequest, match=r"^Request body is empty: request.json\(\) needs a JSON body$"
    ):
        run(Request("POST", URL).json())
    assert isinstance(BadRequest("x"), ValueError)


def test_invalid_json_is_a_one_line_bad_request_naming_the_position() -> None:
    request = Request("POST", URL, body='{"a": 1,\n "b": }')
    with pytest.raises(BadRequest) as caught:
        run(request.json())
    assert str(caught.value) == "Invalid JSON in request body: Expecting value at line 2 column 7"
    with pytest.raises(BadRequest, match="NaN is not a JSON value"):
        run(Request("POST", URL, body="[NaN]").json())


def test_form_data_urlencoded_and_multipart() -> None:
    form = run(
        Request(
            "POST",
            URL,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            body="name=Ada&email=ada%40example.com",
        ).form_data()
    )
    assert (form.get("name"), form.get("email")) == ("Ada", "ada@example.com")

    body = (
        b"--XX\r\n"
        b'Content-Disposition: form-data; name="doc"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nhello\r\n"
        b"--XX--\r\n"
    )
    request = Request(
        "POST", URL, headers={"Content-Type": "multipart/form-data; boundary=XX"}, body=body
    )
    upload = run(request.form_data()).get("doc")
    assert upload == UploadedFile("a.txt", "text/plain", b"hello")
    assert run(request.body()) == body  # still readable after form_data()


def test_form_data_of_another_content_type_is_a_bad_request() -> None:
    request = Request("POST", URL, headers={"Content-Type": "application/json"}, body="{}")
    with pytest.raises(BadRequest, match="got Content-Type 'application/json'"):
        run(request.form_data())


def test_body_stream_delivers_chunks_as_they_arrive_to_every_reader() -> None:
    async def scenario() -> tuple[list[bytes], list[bytes], bytes, list[bytes]]:
        stream = BodyStream()
        request = Request("POST", URL, body=stream)
        first: list[bytes] = []
        seen_before_finish: list[bytes] = []

        async def reader() -> None:
            async for chunk in request.stream():
                first.append(chunk)

        task = asyncio.ensure_future(reader())
        stream.feed(b"ab")
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        seen_before_finish.extend(first)
        stream.feed(b"cd")
        stream.finish()
        await task
        late = [chunk async for chunk in request.stream()]
        return first, seen_before_finish, await request.body(), late

    first, early, whole, late = run(scenario())
    assert early == [b"ab"]
    assert first == [b"ab", b"cd"]
    assert late == [b"ab", b"cd"]
    assert whole == b"abcd"


def test_body_stream_failure_reaches_the_readers() -> None:
    async def scenario() -> None:
        stream = BodyStream()
        stream.feed(b"partial")
        stream.fail(ConnectionError("client went away"))
        await stream.read()

    with pytest.raises(ConnectionError, match="client went away"):
        run(scenario())
    done = BodyStream(b"x")
    with pytest.raises(RuntimeError, match="after finish"):
        done.feed(b"more")


def test_bodies_of_each_kind() -> None:
    assert run(Request("POST", URL, body=b"\x00\x01").body()) == b"\x00\x01"
    assert run(Request("POST", URL, body="é").body()) == "é".encode()
    assert run(Request("GET", URL).body()) == b""
    with pytest.raises(TypeError, match="bytes, str, BodyStream or None; got dict"):
        Request("POST", URL, body={"a": 1})  # type: ignore[arg-type]
    assert json.loads(run(Request("POST", URL, body=b'{"x":1}').text())) == {"x": 1}


def test_reprs() -> None:
    assert repr(NextRequest("get", "http://h/a?b=1")) == "NextRequest('GET', 'http://h/a?b=1')"
    assert repr(NextURL("http://h/a")) == "NextURL('http://h/a')"
    assert repr(SearchParams("a=1")) == "SearchParams('a=1')"
