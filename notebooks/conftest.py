"""nbval runs each notebook on a fresh kernel: give those kernels any free port.

A kernel picks port 3000 when it is free and says ``port 3000 is in use, using 3001``
otherwise; that line depends on what else runs on the machine (another kernel, a
parallel test run), so the stored outputs are compared without it. The kernel starts
when the notebook's first cell is set up, so the variable is set just before.
"""

from __future__ import annotations

import os

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    os.environ.setdefault("NOTEBOOK_ROUTES_PORT", "0")
