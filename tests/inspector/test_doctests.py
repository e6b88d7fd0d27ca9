"""The worked examples in the inspector's docstrings run, and say what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "notebook_routes.inspector.cache_panel",
    "notebook_routes.inspector.chart",
    "notebook_routes.inspector.conflicts_panel",
    "notebook_routes.inspector.format",
    "notebook_routes.inspector.live",
    "notebook_routes.inspector.panel",
    "notebook_routes.inspector.request_table",
    "notebook_routes.inspector.requests_panel",
    "notebook_routes.inspector.routes_panel",
    "notebook_routes.inspector.rows",
    "notebook_routes.inspector.snapshot",
    "notebook_routes.inspector.state",
    "notebook_routes.inspector.try_panel",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
