"""nbval: cells tagged ``needs-redis-server`` are compared only where redis-server is installed.

Those cells (in 06-caching) start a throwaway redis-server to show two processes sharing one
cache. Where it is missing they print that they skip, which differs from the stored output:
only there, and only for them, the output comparison is turned off (the cells still run and
must not fail).
"""

from __future__ import annotations

import shutil

import pytest

TAG = "needs-redis-server"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if shutil.which("redis-server") is not None:
        return
    for item in items:
        cell = getattr(item, "cell", None)
        options = getattr(item, "options", None)
        if cell is None or options is None:
            continue
        if TAG in cell.get("metadata", {}).get("tags", []):
            options["check"] = False
