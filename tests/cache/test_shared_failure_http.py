"""Redis killed, paused and restarted under load: every request still answered, in bounded time.

Two real `serve` processes on one redis-server of the test's own. A load of HITs, cold
renders and dynamic requests runs throughout; the bound is a hang detector (a request
must not wait on Redis for more than a few of the store's 0.5 s timeouts), not a speed
measurement. A revalidation that cannot be recorded answers 500 and says why in the log.
"""

from __future__ import annotations

import itertools
import json
import threading
import time

from notebook_routes._client import send
from tests.cache.serving import renders
from tests.cache.test_shared_http import Shared, until

HANG_S = 5.0


class Load:
    """Requests in a loop from a few threads until stopped; every failure is kept."""

    def __init__(self, urls: list[str], threads: int = 6) -> None:
        self.urls = urls
        self.failures: list[str] = []
        self.slowest = 0.0
        self.count = 0
        self._stop = threading.Event()
        self._slugs = itertools.count()
        self._threads = [threading.Thread(target=self._run, args=(i,)) for i in range(threads)]

    def _run(self, n: int) -> None:
        paths = ["/data", "/pid", "/boot", None]
        i = 0
        while not self._stop.is_set():
            url = self.urls[i % len(self.urls)]
            path = paths[(i + n) % len(paths)] or f"/cold/s{next(self._slugs)}"
            i += 1
            started = time.monotonic()
            try:
                status = send(url, "GET", path, timeout=HANG_S * 2).status
            except OSError as exc:
                self.failures.append(f"{path}: {type(exc).__name__}: {exc}")
                continue
            took = time.monotonic() - started
            self.slowest = max(self.slowest, took)
            self.count += 1
            if status != 200:
                self.failures.append(f"{path}: status {status}")

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)


def test_redis_killed_and_restarted_under_load_fails_no_request(tmp_path, own_redis):
    shared = Shared(tmp_path, own_redis.url)
    with shared.serve() as a, shared.serve() as b:
        assert a.get("/data").status == b.get("/data").status == 200
        with Load([a.url, b.url]) as load:
            time.sleep(1.0)
            own_redis.kill()
            time.sleep(3.0)
            # Down: a revalidation is not recorded, and the handler's request says so.
            refused = a.post("/revalidate")
            assert refused.status == 500
            own_redis.start()
            time.sleep(1.0)
            own_redis.pause()  # accepts connections, answers nothing
            time.sleep(2.0)
            own_redis.resume()
            time.sleep(3.0)
        print(f"\nRedis killed 3 s, restarted, paused 2 s: {load.count} requests, "
              f"{len(load.failures)} failed, slowest {load.slowest * 1000:.0f} ms")  # fmt: skip
        assert load.failures == []
        assert load.count > 50
        assert load.slowest < HANG_S

        # Back: a revalidation is recorded again and seen on the other server.
        shared.value.write_text("after")
        assert until(lambda: a.post("/revalidate").status == 200, 15)
        assert until(lambda: json.loads(b.get("/data").text)["value"] == "after", 15)
        assert renders(shared.log, "data")


def test_an_unrecorded_revalidation_is_a_500_with_the_reason_in_the_log(tmp_path, own_redis):
    """In process: the log entry of the refused request names the cause."""
    import asyncio

    from notebook_routes import App, NextRequest
    from tests.cache.serving import ROUTES

    app = App(cache_handler=own_redis.url, cache_prefix="t500:")
    namespace: dict = {}
    exec(ROUTES["revalidate"], namespace)  # noqa: S102 - the same route file serve loads
    app.add("/revalidate", {"POST": namespace["POST"]})
    try:
        ok = asyncio.run(app.handle(NextRequest("POST", "http://localhost/revalidate")))
        assert ok.status == 200
        own_redis.kill()
        refused = asyncio.run(app.handle(NextRequest("POST", "http://localhost/revalidate")))
        assert refused.status == 500
        entry = list(app.log)[-1]
        assert entry.status == 500
        assert "CacheUnavailable" in entry.error and "could not be recorded" in entry.error
        assert "'_N_T_/data'" in entry.error
    finally:
        app.cache.close()
