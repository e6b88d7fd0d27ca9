"""`Handler.wrap` reads a plain function's code object (fast) and anything else through
inspect.signature: both must agree on what a handler is given and whether it is async."""

from __future__ import annotations

import functools

import pytest

from notebook_routes._handlers import Handler
from notebook_routes.routing import RouteError


def none():
    return 1


def one(request):
    return 1


def two(request, context):
    return 1


def three_with_default(request, context, extra=None):
    return 1


def varargs(*args):
    return 1


def keyword_default(request, *, flag=False):
    return 1


async def async_two(request, context):
    return 1


def decorated(inner):
    @functools.wraps(inner)
    def wrapper(*args, **kwargs):
        return inner(*args, **kwargs)

    return wrapper


@pytest.mark.parametrize(
    ("fn", "arity", "is_async"),
    [
        (none, 0, False),
        (one, 1, False),
        (two, 2, False),
        (three_with_default, 2, False),
        (varargs, 2, False),
        (keyword_default, 1, False),
        (async_two, 2, True),
        (decorated(none), 0, False),  # follows __wrapped__: the wrapper would pass nothing
        (decorated(one), 1, False),
        (lambda: 1, 0, False),
        (functools.partial(two, "request"), 1, False),
    ],
)
def test_what_a_handler_is_given(fn, arity, is_async):
    handler = Handler.wrap(fn, method="GET", route="/x")
    assert (handler.arity, handler.is_async) == (arity, is_async)


def too_many(a, b, c):
    return 1


def keyword_only(request, *, needed):
    return 1


@pytest.mark.parametrize("fn", [too_many, keyword_only])
def test_a_handler_that_needs_more_is_refused_with_its_signature(fn):
    with pytest.raises(RouteError, match=r"takes \(.*\); a handler takes \(\), \(request\)"):
        Handler.wrap(fn, method="GET", route="/x")
