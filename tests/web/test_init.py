from __future__ import annotations

import importlib
import inspect

import notebook_routes.web as web
from notebook_routes.web import _context as context

MODULES = (
    "_after",
    "_context",
    "_cookies",
    "_formdata",
    "_headers",
    "_request",
    "_response",
    "_scope",
)


def test_all_is_sorted_and_names_public_objects_of_the_web_modules() -> None:
    assert web.__all__ == sorted(web.__all__)
    defined = {}
    for module in MODULES:
        mod = importlib.import_module(f"notebook_routes.web.{module}")
        for name, value in vars(mod).items():
            if (
                inspect.isclass(value) or inspect.isfunction(value)
            ) and value.__module__ == mod.__name__:
                defined[name] = value
    for name in web.__all__:
        assert getattr(web, name) is defined[name], name


def test_cookies_and_headers_are_the_helpers_not_the_modules() -> None:
    assert web.cookies is context.cookies
    assert web.headers is context.headers
