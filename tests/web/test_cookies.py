from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from notebook_routes.web._cookies import (
    EPOCH,
    Cookie,
    MutableRequestCookies,
    RequestCookies,
    ResponseCookies,
    make_cookie,
    merge_cookie_mutations,
    parse_set_cookie,
    serialize_cookie,
)
from notebook_routes.web._headers import Headers

HTTP_DATE = r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT"


def set_cookie_headers(name: str, value: str, **attrs: object) -> list[str]:
    h = Headers()
    ResponseCookies(h).set(name, value, **attrs)
    return h.get_set_cookie()


# -- serialization -------------------------------------------------------------


def test_a_plain_set_is_name_value_and_root_path() -> None:  # observed
    assert set_cookie_headers("b", "1") == ["b=1; Path=/"]


def test_a_delete_is_an_empty_value_that_expired_in_1970() -> None:  # observed
    h = Headers()
    ResponseCookies(h).delete("c")
    assert h.get_set_cookie() == ["c=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"]


def test_attributes_come_in_next_js_order() -> None:
    cookie = Cookie(
        "id",
        "v",
        path="/app",
        domain="example.com",
        expires=datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
        max_age=60,
        http_only=True,
        secure=True,
        same_site="lax",
        partitioned=True,
        priority="high",
    )
    assert serialize_cookie(cookie) == (
        "id=v; Path=/app; Expires=Wed, 02 Jan 2030 03:04:05 GMT; Max-Age=60; "
        "Domain=example.com; Secure; HttpOnly; SameSite=lax; Partitioned; Priority=high"
    )


def test_values_are_encoded_like_encode_uri_component() -> None:
    assert serialize_cookie(Cookie("q", "a b;c=d/é!*'()~")) == "q=a%20b%3Bc%3Dd%2F%C3%A9!*'()~"


def test_max_age_also_sets_expires() -> None:
    [header] = set_cookie_headers("s", "1", max_age=3600)
    assert re.fullmatch(rf"s=1; Path=/; Expires={HTTP_DATE}; Max-Age=3600", header)


def test_max_age_zero_is_written_without_expires() -> None:
    assert set_cookie_headers("s", "1", max_age=0) == ["s=1; Path=/; Max-Age=0"]


def test_expires_accepts_a_datetime_or_epoch_seconds() -> None:
    when = datetime(2030, 1, 2, tzinfo=timezone.utc)
    expected = ["e=1; Path=/; Expires=Wed, 02 Jan 2030 00:00:00 GMT"]
    assert set_cookie_headers("e", "1", expires=when) == expected
    assert set_cookie_headers("e", "1", expires=when.timestamp()) == expected
    assert set_cookie_headers("e", "1", expires=datetime(2030, 1, 2)) == expected  # naive is UTC


def test_camel_case_attribute_spellings_are_accepted() -> None:
    assert set_cookie_headers("t", "x", httpOnly=True, sameSite="Strict", path="/a") == [
        "t=x; Path=/a; HttpOnly; SameSite=strict"
    ]
    assert make_cookie("t", "x", maxAge=0) == make_cookie("t", "x", max_age=0)


def test_unknown_attribute_is_a_type_error_naming_it() -> None:
    with pytest.raises(TypeError, match="Unknown cookie attribute 'httponly'"):
        ResponseCookies(Headers()).set("t", "x", httponly=True)


def test_bad_attribute_values_are_refused() -> None:
    with pytest.raises(
        ValueError, match="same_site must be 'strict', 'lax' or 'none'; got 'sometimes'"
    ):
        make_cookie("t", "x", same_site="sometimes")
    with pytest.raises(ValueError, match="priority must be"):
        make_cookie("t", "x", priority="urgent")
    with pytest.raises(ValueError, match="path must be a str without ';'"):
        make_cookie("t", "x", path="/; Domain=evil")
    with pytest.raises(TypeError, match="expires must be a datetime or epoch seconds"):
        make_cookie("t", "x", expires="tomorrow")


def test_bad_names_and_values_are_refused() -> None:
    with pytest.raises(ValueError, match="Invalid cookie name 'a b'"):
        make_cookie("a b", "1")
    with pytest.raises(TypeError, match=r"value of cookie 'n' must be a str; got int 3. Convert"):
        make_cookie("n", 3)  # type: ignore[arg-type]


def test_cookie_repr_shows_the_fields_that_are_set() -> None:
    assert repr(Cookie("b", "1", path="/")) == "Cookie(name='b', value='1', path='/')"


# -- parsing -------------------------------------------------------------------


def test_parse_set_cookie_reads_attributes_case_insensitively() -> None:
    cookie = parse_set_cookie(
        "id=a%3Db; path=/x; DOMAIN=example.com; Max-Age=60; Secure; httponly; "
        "SameSite=Lax; Partitioned; Priority=HIGH; Expires=Wed, 02 Jan 2030 00:00:00 GMT"
    )
    assert cookie == Cookie(
        "id",
        "a=b",
        path="/x",
        domain="example.com",
        expires=datetime(2030, 1, 2, tzinfo=timezone.utc),
        max_age=60,
        http_only=True,
        secure=True,
        same_site="lax",
        partitioned=True,
        priority="high",
    )


def test_parse_set_cookie_defaults_path_to_root() -> None:
    assert parse_set_cookie("same=from-response") == Cookie("same", "from-response", path="/")


def test_parse_set_cookie_refuses_a_header_without_name_value() -> None:
    with pytest.raises(ValueError, match="does not start with name=value"):
        parse_set_cookie("Secure")


def test_serialize_then_parse_round_trips() -> None:
    cookie = make_cookie("c", "x y", domain="a.test", secure=True, same_site="none")
    assert parse_set_cookie(serialize_cookie(cookie)) == cookie


# -- request cookies -----------------------------------------------------------


def test_request_cookies_are_parsed_and_percent_decoded() -> None:
    jar = RequestCookies("a=1; theme=dark%20blue;flag; bad=%E0%A4%A")
    assert jar.get("a") == Cookie("a", "1")
    assert jar.get("theme").value == "dark blue"  # type: ignore[union-attr]
    assert jar.get("flag").value == "true"  # type: ignore[union-attr]
    assert jar.get("bad") is None  # a value that does not decode is skipped
    assert jar.has("a") and "theme" in jar and not jar.has("nope")
    assert len(jar) == 3
    assert [c.name for c in jar] == ["a", "theme", "flag"]
    assert jar.to_dict() == {"a": "1", "theme": "dark blue", "flag": "true"}


def test_request_cookies_get_all() -> None:
    jar = RequestCookies("a=1; b=2; a=3")
    assert jar.get_all() == [Cookie("a", "3"), Cookie("b", "2")]
    assert jar.get_all("b") == [Cookie("b", "2")]
    assert jar.get_all("nope") == []
    assert RequestCookies(None).get_all() == []


# -- response cookies ----------------------------------------------------------


def test_response_cookies_read_the_headers_and_rewrite_them() -> None:
    h = Headers([("Content-Type", "text/plain"), ("Set-Cookie", "a=1")])
    jar = ResponseCookies(h)
    assert jar.get("a") == Cookie("a", "1", path="/")
    jar.set("b", "2")
    jar.set("a", "9")
    assert h.get_set_cookie() == ["a=9; Path=/", "b=2; Path=/"]
    # and the other way round: headers changed directly are what the cookies read
    h.append("Set-Cookie", "c=3")
    assert [c.name for c in jar.get_all()] == ["a", "b", "c"]
    assert jar.has("c") and not jar.has("zzz")
    assert jar.get_all("b") == [Cookie("b", "2", path="/")]


def test_response_cookies_set_takes_a_cookie() -> None:
    h = Headers()
    ResponseCookies(h).set(Cookie("k", "v", secure=True))
    assert h.get_set_cookie() == ["k=v; Path=/; Secure"]


def test_response_cookies_delete_with_path_and_domain() -> None:
    h = Headers()
    ResponseCookies(h).delete("c", path="/app", domain="a.test")
    assert h.get_set_cookie() == [
        "c=; Path=/app; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Domain=a.test"
    ]


# -- cookies() store and the merge rule ----------------------------------------


def test_store_reads_request_cookies_overlaid_with_changes() -> None:
    store = MutableRequestCookies(RequestCookies("a=1; c=3"))
    assert store.get("a") == Cookie("a", "1")
    assert not store.changed
    store.set("a", "2")
    store.set("b", "1")
    store.delete("c")
    assert store.get("a").value == "2"  # type: ignore[union-attr]
    assert store.get("c") is None and not store.has("c")
    assert [c.name for c in store.get_all()] == ["a", "b"]
    assert store.changed
    assert [serialize_cookie(c) for c in store.mutations] == [
        "a=2; Path=/",
        "b=1; Path=/",
        "c=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
    ]


def test_merge_leaves_the_response_alone_when_cookies_changed_nothing() -> None:
    h = Headers([("Set-Cookie", "same=from-response"), ("X", "1")])
    merge_cookie_mutations(h, MutableRequestCookies(RequestCookies("a=1")))
    assert h.raw_items() == [("Set-Cookie", "same=from-response"), ("X", "1")]


def test_merge_adds_the_changes_and_the_response_wins_for_a_name() -> None:
    h = Headers([("Set-Cookie", "same=from-response")])
    store = MutableRequestCookies()
    store.set("b", "1")
    store.set("same", "from-cookies")
    store.delete("c")
    merge_cookie_mutations(h, store)
    assert h.get_set_cookie() == [
        "same=from-response; Path=/",  # observed: re-serialized once cookies() changed something
        "b=1; Path=/",
        "c=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
    ]


def test_merge_keeps_the_last_change_of_a_name() -> None:
    h = Headers()
    store = MutableRequestCookies()
    store.set("b", "1")
    store.set("b", "2")
    merge_cookie_mutations(h, store)
    assert h.get_set_cookie() == ["b=2; Path=/"]


def test_epoch_constant_is_the_deletion_date() -> None:
    assert serialize_cookie(Cookie("x", "", expires=EPOCH)) == (
        "x=; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
    )
