"""Every inspector module shows its parts as worked examples in its docstrings.

pytest runs them (``--doctest-modules`` in pyproject.toml, with ``ELLIPSIS``); this keeps a
module from losing its examples unnoticed.
"""

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
    "notebook_routes._inspector.replay_view",
    "notebook_routes._inspector.request_table",
    "notebook_routes._inspector.requests_panel",
    "notebook_routes._inspector.routes_panel",
    "notebook_routes._inspector.rows",
    "notebook_routes._inspector.snapshot",
    "notebook_routes._inspector.state",
    "notebook_routes._inspector.try_panel",
]


@pytest.mark.parametrize("name", MODULES)
def test_the_module_has_worked_examples(name):
    tests = doctest.DocTestFinder().find(importlib.import_module(name))
    assert sum(len(t.examples) for t in tests) > 0, f"{name} has no examples"
