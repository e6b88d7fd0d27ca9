"""The developer loop's public functions, gathered for ``notebook_routes/__init__.py``."""

from __future__ import annotations

from notebook_routes._har import export_har
from notebook_routes._replay import replay
from notebook_routes._testgen import export_tests

__all__ = ["export_har", "export_tests", "replay"]
