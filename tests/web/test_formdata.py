from __future__ import annotations

import asyncio

import pytest

from notebook_routes.web._formdata import (
    FormData,
    UploadedFile,
    parse_form,
    parse_header_params,
    parse_multipart,
)

BOUNDARY = "----form7MA4YWxkTrZu0gW"


def multipart(*parts: bytes) -> bytes:
    body = b"".join(b"--" + BOUNDARY.encode() + b"\r\n" + part + b"\r\n" for part in parts)
    return b"preamble\r\n" + body + b"--" + BOUNDARY.encode() + b"--\r\n"


def test_urlencoded_fields() -> None:
    form = parse_form(
        b"name=Ada+L&tag=a&tag=b&empty=&caf%C3%A9=%E2%9C%93", "application/x-www-form-urlencoded"
    )
    assert form.get("name") == "Ada L"
    assert form.get_all("tag") == ["a", "b"]
    assert form.get("empty") == ""
    assert form.get("café") == "✓"
    assert form.get("missing") is None
    assert form.has("tag") and not form.has("missing")
    assert form.keys() == ["name", "tag", "empty", "café"]
    assert list(form)[:2] == [("name", "Ada L"), ("tag", "a")]
    assert len(form) == 5


def test_multipart_fields_and_a_file_part() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\xff binary \r\n--not-the-boundary"
    body = multipart(
        b'Content-Disposition: form-data; name="title"\r\n\r\nHello\r\nWorld',
        b'Content-Disposition: form-data; name="pic"; filename="cat.png"\r\n'
        b"Content-Type: image/png\r\n\r\n" + png,
        b'Content-Disposition: form-data; name="title"\r\n\r\nsecond',
    )
    form = parse_form(body, f"multipart/form-data; boundary={BOUNDARY}")
    assert form.get_all("title") == ["Hello\r\nWorld", "second"]
    pic = form.get("pic")
    assert isinstance(pic, UploadedFile)
    assert (pic.filename, pic.content_type, pic.size) == ("cat.png", "image/png", len(png))
    assert pic.data == png
    assert asyncio.run(pic.bytes()) == png


def test_multipart_quoted_boundary_utf8_names_and_default_file_type() -> None:
    body = multipart(
        'Content-Disposition: form-data; name="naïve"; filename="résumé.txt"\r\n\r\nhi'.encode(),
        b'Content-Disposition: form-data; name="empty"; filename=""\r\n\r\n',
    )
    form = parse_form(body, f'multipart/form-data; boundary="{BOUNDARY}"')
    upload = form.get("naïve")
    assert isinstance(upload, UploadedFile)
    assert upload.filename == "résumé.txt"
    assert upload.content_type == "application/octet-stream"
    assert asyncio.run(upload.text()) == "hi"
    assert form.get("empty") == UploadedFile("", "application/octet-stream", b"")


def test_other_content_types_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="got Content-Type 'application/json'"):
        parse_form(b"{}", "application/json")
    with pytest.raises(ValueError, match="got no Content-Type"):
        parse_form(b"a=1", None)


def test_malformed_multipart_says_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="no boundary"):
        parse_form(b"", "multipart/form-data")
    with pytest.raises(ValueError, match="boundary from Content-Type never appears"):
        parse_multipart(b"nothing here", BOUNDARY)
    truncated = b"--" + BOUNDARY.encode() + b'\r\nContent-Disposition: form-data; name="a"\r\n\r\n1'
    with pytest.raises(ValueError, match="closing boundary is missing"):
        parse_multipart(truncated, BOUNDARY)
    nameless = multipart(b"Content-Type: text/plain\r\n\r\nx")
    with pytest.raises(ValueError, match="Content-Disposition: form-data; name="):
        parse_multipart(nameless, BOUNDARY)


def test_header_params() -> None:
    assert parse_header_params('Text/Plain; Charset="utf-8"; q=1') == (
        "text/plain",
        {"charset": "utf-8", "q": "1"},
    )
    assert parse_header_params('form-data; filename="a\\"b"; filename*=UTF-8\'\'%C3%A9.txt') == (
        "form-data",
        {"filename": "é.txt"},
    )


def test_reprs() -> None:
    assert repr(FormData([("a", "1")])) == "FormData([('a', '1')])"
    assert repr(UploadedFile("a.txt", "text/plain", b"hey")) == (
        "UploadedFile('a.txt', 'text/plain', <3 bytes>)"
    )
