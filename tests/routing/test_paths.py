from __future__ import annotations

import pytest

from notebook_routes.routing import normalize_request_path


@pytest.mark.parametrize(
    "path", ["/", "/api/hello", "/items/a%2Fb", "/rss.xml", "/a/.b/c..", "/%2Fx", "/%252e"]
)
def test_normal_paths_are_unchanged(path):
    assert normalize_request_path(path) == path


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("/api/hello/", "/api/hello"),
        ("/api/hello///", "/api/hello"),
        ("//api//hello", "/api/hello"),
        ("/a/./b", "/a/b"),
        ("/a/b/.", "/a/b"),
        ("/a/b/..", "/a"),
        ("/a/b/../c", "/a/c"),
        ("/..", "/"),
        ("/../../a", "/a"),
        ("/a/%2e/b", "/a/b"),
        ("/a/%2E/b", "/a/b"),
        ("/a/b/%2e%2e", "/a"),
        ("/a/b/.%2E/c", "/a/c"),
        ("/a/b/%2e./c", "/a/c"),
        ("/a/b/%2E%2e/c", "/a/c"),
        ("/a\\b", "/a/b"),
        ("", "/"),
        ("//", "/"),
    ],
)
def test_paths_are_normalised_like_the_url_parser(raw, normalized):
    assert normalize_request_path(raw) == normalized


def test_segments_stay_percent_encoded():
    assert normalize_request_path("/items/a%2Fb/") == "/items/a%2Fb"
    assert normalize_request_path("/caf%C3%A9//x") == "/caf%C3%A9/x"


def test_three_dots_are_not_a_dot_segment():
    assert normalize_request_path("/a/.../b") == "/a/.../b"


def test_normalising_twice_changes_nothing():
    once = normalize_request_path("/a//b/./../c/")
    assert normalize_request_path(once) == once == "/a/c"
