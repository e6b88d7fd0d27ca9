"""nbval hooks for the demo notebooks.

Each notebook runs on a fresh kernel, given any free port: a kernel picks port 3000 when
it is free and says ``port 3000 is in use, using 3001`` otherwise; that line depends on
what else runs on the machine (another kernel, a parallel test run), so the stored outputs
are compared without it. The kernel starts when the notebook's first cell is set up, so
the variable is set just before.

Cells tagged ``needs-redis-server`` (in 06-caching) start a throwaway redis-server to show
two processes sharing one cache. Where it (or redis-py) is missing they print that they skip, which
differs from the stored output: only there, and only for them, the output comparison is
turned off (the cells still run and must not fail).
"""

from __future__ import annotations

import os
import shutil
from importlib.util import find_spec

import pytest

TAG = "needs-redis-server"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    os.environ.setdefault("NOTEBOOK_ROUTES_PORT", "0")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if shutil.which("redis-server") is not None and find_spec("redis") is not None:
        return
    for item in items:
        cell = getattr(item, "cell", None)
        options = getattr(item, "options", None)
        if cell is None or options is None:
            continue
        if TAG in cell.get("metadata", {}).get("tags", []):
            options["check"] = False
