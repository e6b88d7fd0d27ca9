"""Hot swap under load (issue 7, item 5): 2,000 requests at concurrency 20 while the route is
redefined 50 times from cells of a real kernel. Zero errors; every answer comes from the
handler that was live before the request went out, or from one defined while it was in flight.

The two sides are paced against each other so the overlap does not depend on speed:
requests 40k..40k+39 go out only once redefinition k has started, and redefinition k
starts only once half of the requests before that batch have been answered.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.timeout(300)

REQUESTS = 2_000
CONCURRENCY = 20
SWAPS = 50
BATCH = REQUESTS // SWAPS
WAIT_S = 60.0


def cell(version: int) -> str:
    """Alternate the body form and the module form (a sync handler) of the same route."""
    if version % 2:
        return f"%%route /swap\ndef GET():\n    return {{'version': {version}}}"
    return f"%%route GET /swap\nreturn Response.json({{'version': {version}}})"


@dataclass
class Progress:
    started: int = 0  # the newest redefinition sent to the kernel
    completed: int = 0  # the newest redefinition the kernel has finished
    issued: int = 0  # requests handed out
    answered: int = 0
    answers: list[tuple[int, int, int]] = field(default_factory=list)  # (lo, version, hi)
    errors: list[str] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, predicate: Callable[[], bool], what: str) -> None:
        with self.changed:
            if not self.changed.wait_for(predicate, timeout=WAIT_S):
                raise TimeoutError(f"waited {WAIT_S:.0f} s for {what}")


def send_requests(port: int, progress: Progress) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        while True:
            with progress.changed:
                n = progress.issued
                if n >= REQUESTS:
                    return
                progress.issued += 1
            batch = n // BATCH
            progress.wait_for(lambda b=batch: progress.started >= b, f"redefinition {batch}")
            lo = progress.completed
            try:
                connection.request("GET", "/swap")
                answer = connection.getresponse()
                body = answer.read()
                if answer.status != 200:
                    progress.errors.append(f"request {n}: {answer.status} {body[:200]!r}")
                    continue
                version = json.loads(body)["version"]
            except Exception as exc:  # any failure is an error of the swap, counted below
                progress.errors.append(f"request {n}: {exc!r}")
                connection.close()
                continue
            finally:
                with progress.changed:
                    progress.answered += 1
                    progress.changed.notify_all()
            progress.answers.append((lo, version, progress.started))
    finally:
        connection.close()


def test_redefining_a_route_50_times_under_load_loses_no_request(kernel):
    kernel.ok(cell(0))
    port = urlsplit(kernel.url).port
    assert port is not None
    progress = Progress()
    clients = [
        threading.Thread(target=send_requests, args=(port, progress), daemon=True)
        for _ in range(CONCURRENCY)
    ]
    for client in clients:
        client.start()
    try:
        for version in range(1, SWAPS + 1):
            progress.wait_for(
                lambda v=version: progress.answered >= BATCH * v - BATCH // 2,
                f"answers before redefinition {version}",
            )
            with progress.changed:
                progress.started = version
                progress.changed.notify_all()
            kernel.ok(cell(version))
            with progress.changed:
                progress.completed = version
                progress.changed.notify_all()
    finally:
        for client in clients:
            client.join(timeout=WAIT_S)

    assert progress.errors == []
    assert len(progress.answers) == REQUESTS
    wrong = [(lo, v, hi) for lo, v, hi in progress.answers if not lo <= v <= hi]
    assert wrong == [], f"answers from a handler that was not live: {wrong[:5]}"
    seen = {version for _, version, _ in progress.answers}
    assert len(seen) >= SWAPS // 2 + 1  # the load really overlapped the redefinitions
    assert kernel.http("GET", "/swap").json() == {"version": SWAPS}
