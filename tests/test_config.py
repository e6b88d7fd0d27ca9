"""Segment config validation (SPEC §3, §10): bad values name the allowed ones."""

from __future__ import annotations

import pytest

from notebook_routes._config import SegmentConfig
from notebook_routes.routing import RouteError


def parse(**values):
    return SegmentConfig.from_namespace(values, route="/r")


def test_defaults_are_next_js_defaults():
    cfg = parse()
    assert (cfg.dynamic, cfg.revalidate, cfg.dynamic_params, cfg.runtime) == (
        "auto",
        None,
        True,
        "nodejs",
    )


def test_camel_case_spellings_are_accepted():
    cfg = SegmentConfig.from_namespace(
        {"dynamicParams": False, "fetchCache": "force-cache", "maxDuration": 5}, route="/r"
    )
    assert (cfg.dynamic_params, cfg.fetch_cache, cfg.max_duration) == (False, "force-cache", 5)


def test_both_spellings_at_once_are_refused():
    with pytest.raises(RouteError, match='exports segment config "dynamic_params" twice'):
        SegmentConfig.from_namespace({"dynamicParams": False, "dynamic_params": True}, route="/r")


@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [
        ("dynamic", "sometimes", '"auto", "force-dynamic", "error", "force-static"'),
        ("revalidate", -1, "False, 0 or a positive number of seconds"),
        ("revalidate", True, "False, 0 or a positive number of seconds"),
        ("dynamic_params", "yes", "True or False"),
        ("fetch_cache", "always", '"auto", "default-cache"'),
        ("runtime", "deno", '"nodejs", "edge"'),
        ("preferred_region", 3, '"auto", "global", "home"'),
        ("max_duration", 0, "a positive number of seconds"),
    ],
)
def test_invalid_values_name_the_allowed_ones(name, value, allowed):
    with pytest.raises(RouteError) as caught:
        parse(**{name: value})
    message = str(caught.value)
    assert message.startswith(f'Invalid segment config "{name}" in route /r: {value!r}')
    assert allowed in message


def test_exported_lists_what_differs_from_defaults():
    assert parse(revalidate=60, dynamic="force-static").exported == {
        "dynamic": "force-static",
        "revalidate": 60,
    }
