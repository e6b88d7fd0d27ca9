from __future__ import annotations

import pytest

from notebook_routes.web._headers import Headers


def test_names_are_case_insensitive() -> None:
    h = Headers({"Content-Type": "application/json"})
    assert h.get("content-type") == "application/json"
    assert h.get("CONTENT-TYPE") == "application/json"
    assert h["Content-type"] == "application/json"
    assert "content-TYPE" in h
    assert h.has("Content-Type")
    assert h.get("x-missing") is None
    assert "x-missing" not in h


def test_missing_header_item_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="x-missing"):
        Headers()["x-missing"]


def test_built_from_dict_list_of_pairs_or_headers() -> None:
    from_dict = Headers({"A": "1", "B": "2"})
    from_pairs = Headers([("A", "1"), ("B", "2")])
    copy = Headers(from_pairs)
    assert from_dict == from_pairs == copy
    assert Headers(None) == Headers()
    assert Headers({"Set-Cookie": ["a=1", "b=2"]}).get_set_cookie() == ["a=1", "b=2"]


def test_several_values_are_joined_like_fetch() -> None:
    h = Headers([("Vary", "Accept"), ("vary", "Cookie")])
    assert h.get("vary") == "Accept, Cookie"
    assert h.get_all("VARY") == ["Accept", "Cookie"]


def test_set_cookie_values_stay_separate() -> None:
    h = Headers(
        [("Set-Cookie", "a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT"), ("Set-Cookie", "b=2")]
    )
    assert h.get_set_cookie() == ["a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT", "b=2"]
    assert h.items() == [
        ("set-cookie", "a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT"),
        ("set-cookie", "b=2"),
    ]


def test_iteration_gives_unique_lower_case_names_sorted_as_fetch_does() -> None:
    h = Headers([("X-B", "1"), ("Content-Type", "text/plain"), ("x-b", "2")])
    assert list(h) == ["content-type", "x-b"]
    assert h.keys() == ["content-type", "x-b"]
    assert len(h) == 2
    assert h.items() == [("content-type", "text/plain"), ("x-b", "1, 2")]


def test_raw_items_keep_names_as_written_and_every_value() -> None:
    h = Headers([("X-B", "1"), ("x-b", "2")])
    assert h.raw_items() == [("X-B", "1"), ("x-b", "2")]


def test_set_replaces_every_value_in_the_first_ones_place() -> None:
    h = Headers([("A", "1"), ("B", "x"), ("a", "2")])
    h.set("a", "3")
    assert h.raw_items() == [("a", "3"), ("B", "x")]
    h["C"] = "new"
    assert h.raw_items()[-1] == ("C", "new")


def test_append_and_delete() -> None:
    h = Headers()
    h.append("Set-Cookie", "a=1")
    h.append("set-cookie", "b=2")
    assert h.get_set_cookie() == ["a=1", "b=2"]
    h.delete("SET-COOKIE")
    assert "set-cookie" not in h
    h.delete("absent")  # no error, as in Fetch
    h["X"] = "1"
    del h["x"]
    with pytest.raises(KeyError):
        del h["x"]


def test_values_are_trimmed_and_ints_become_strings() -> None:
    h = Headers({"X-Count": 3, "X-Pad": "  v \t"})
    assert h.get("x-count") == "3"
    assert h.get("x-pad") == "v"


def test_line_breaks_in_values_are_refused() -> None:
    with pytest.raises(ValueError, match="'X-Evil'.*line break"):
        Headers({"X-Evil": "a\r\nSet-Cookie: x=1"})
    h = Headers()
    with pytest.raises(ValueError, match="line break"):
        h.set("X", "a\nb")


def test_bad_names_are_refused() -> None:
    with pytest.raises(ValueError, match="Invalid header name 'Bad Name'"):
        Headers({"Bad Name": "1"})
    with pytest.raises(ValueError, match="Invalid header name"):
        Headers().append("X:Y", "1")
    with pytest.raises(TypeError, match="must be a str"):
        Headers({"X": None})


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(TypeError, match="dict, a list of"):
        Headers("Content-Type: text/plain")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"\(name, value\) pair; got \('a', 'b', 'c'\)"):
        Headers([("a", "b", "c")])  # type: ignore[list-item]


def test_readonly_headers_refuse_every_change_and_say_how_to_copy() -> None:
    h = Headers({"Accept": "*/*"}, readonly=True)
    message = r"request headers are read-only; build Headers\(request.headers\) to change a copy"
    for change in (
        lambda: h.set("A", "1"),
        lambda: h.append("A", "1"),
        lambda: h.delete("accept"),
        lambda: h.__setitem__("A", "1"),
        lambda: h.__delitem__("accept"),
    ):
        with pytest.raises(TypeError, match=message):
            change()
    copy = Headers(h)
    copy.set("Accept", "text/html")
    assert copy.get("accept") == "text/html"
    assert h.get("accept") == "*/*"


def test_repr_is_a_constructor_call() -> None:
    h = Headers({"Content-Type": "application/json"})
    assert repr(h) == "Headers([('content-type', 'application/json')])"
    assert eval(repr(h)) == h
    assert repr(Headers(readonly=True)) == "Headers([], readonly=True)"


def test_surrounding_line_breaks_are_trimmed_as_fetch_does() -> None:
    assert Headers({"X-Line": "from a file\r\n"}).get("x-line") == "from a file"
