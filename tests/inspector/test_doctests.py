"""The worked examples in the inspector's docstrings run, and say what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "notebook_routes._inspector.cache_panel",
    "notebook_routes._inspector.chart",
    "notebook_routes._inspector.conflicts_panel",
    "notebook_routes._inspector.format",
    "notebook_routes._inspector.live",
    "notebook_routes._inspector.panel",
    "notebook_routes._inspector.request_table",
    "notebook_routes._inspector.requests_panel",
    "notebook_routes._inspector.routes_panel",
    "notebook_routes._inspector.rows",
    "notebook_routes._inspector.snapshot",
    "notebook_routes._inspector.state",
    "notebook_routes._inspector.try_panel",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
