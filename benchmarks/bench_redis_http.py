"""A shared Redis cache over HTTP: what a HIT costs, how fast a revalidation spreads, workers.

    python benchmarks/bench_redis_http.py [--duration 5] [--rounds 3] [--connections 32]
                                          [--propagation 100]

Starts Debian's redis-server on a free loopback port (no persistence) and real
``notebook-routes serve`` processes on one ``app/`` folder, measured in turns, round after
round (the median round is kept):

1. **One route, four ways, same run.** ``GET /data`` (ISR, ``revalidate = 3600``) from a
   server with the in-memory cache (HIT from memory); from a server on Redis (HIT from its
   local tier, kept coherent by pub/sub); from a server on Redis with
   ``--cache-max-memory-size 0`` (every HIT read from Redis); and the same handler as
   ``force-dynamic`` (runs on every request). Ratios against the memory HIT.
2. **Propagation delay over HTTP.** Two servers on Redis. Each round rewrites the data,
   POSTs ``/revalidate`` to A (``revalidate_path("/data")`` in an async handler), then
   polls B with ``GET /data`` on a keep-alive connection until B answers the new value.
   The delay is from sending the POST to B's first new answer: p50 and p99.
3. **Workers.** ``serve --workers 2`` vs one worker, both on Redis, ``GET /data`` (HIT).

Prints tables and which targets hold; writes results/redis_http.png.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _load import (
    CORES,
    PYTHON,
    Load,
    LoadResult,
    bar_chart,
    free_port,
    print_table,
    print_targets,
    start_process,
    stop_process,
    wait_for_http,
)

from tests.redis_server import RedisServer, redis_server_binary

DATA_PY = """\
import os
from pathlib import Path
from notebook_routes import Response

revalidate = 3600

def GET():
    value = Path(os.environ["VALUE_FILE"]).read_text()
    return Response.json({"value": value, "items": list(range(20))})
"""
DYNAMIC_PY = DATA_PY.replace("revalidate = 3600", 'dynamic = "force-dynamic"')
REVALIDATE_PY = """\
from notebook_routes import Response, revalidate_path

async def POST(request):
    revalidate_path("/data")
    return Response.json({"revalidated": "/data"})
"""


def write_app(root: Path) -> Path:
    app = root / "app"
    for path, source in {"data": DATA_PY, "dyn": DYNAMIC_PY, "revalidate": REVALIDATE_PY}.items():
        (app / path).mkdir(parents=True)
        (app / path / "route.py").write_text(source)
    return app


class Servers:
    """Start and stop ``serve`` processes on one app folder, with their environment."""

    def __init__(self, root: Path, redis_url: str) -> None:
        self.root = root
        self.app = write_app(root)
        self.value = root / "value.txt"
        self.value.write_text("0")
        self.redis_url = redis_url
        self.started: list = []

    def start(self, name: str, *args: str) -> str:
        port = free_port()
        os.environ["VALUE_FILE"] = str(self.value)
        command = [PYTHON, "-m", "notebook_routes", "serve", str(self.app), f"--port={port}"]
        process = start_process([*command, *args], core=None, log=self.root / f"{name}.log")
        self.started.append(process)
        url = f"http://127.0.0.1:{port}"
        wait_for_http(url + "/data", timeout=60, process=process)
        return url

    def stop_all(self) -> None:
        for process in self.started:
            stop_process(process)
        self.started.clear()


def median_run(runs: list[LoadResult]) -> LoadResult:
    return sorted(runs, key=lambda r: r.rps)[len(runs) // 2]


def hit_costs(servers: Servers, load: Load, args: argparse.Namespace) -> dict[str, LoadResult]:
    cache = ["--cache", servers.redis_url]
    urls = {
        "HIT from memory": servers.start("memory") + "/data",
        "HIT, Redis (local tier)": servers.start("redis", *cache) + "/data",
        "HIT read from Redis": servers.start("through", *cache, "--cache-max-memory-size=0")
        + "/data",
    }
    urls["dynamic (handler runs)"] = urls["HIT from memory"].replace("/data", "/dyn")
    for url in urls.values():  # warm-up, and check each answers as it should
        load.run(url, connections=args.connections, duration=1)
    runs: dict[str, list[LoadResult]] = {name: [] for name in urls}
    names = list(urls)
    for n in range(args.rounds):
        print(f"HIT costs, round {n + 1}/{args.rounds} ...", flush=True)
        for name in names[n % len(names) :] + names[: n % len(names)]:
            runs[name].append(
                load.run(urls[name], connections=args.connections, duration=args.duration)
            )
    servers.stop_all()
    return {name: median_run(r) for name, r in runs.items()}


def propagation(servers: Servers, rounds: int) -> tuple[list[float], list[float]]:
    cache = ["--cache", servers.redis_url]
    a = servers.start("prop-a", *cache)
    b = servers.start("prop-b", *cache)
    conn_a = http.client.HTTPConnection("127.0.0.1", int(a.rsplit(":", 1)[1]), timeout=10)
    conn_b = http.client.HTTPConnection("127.0.0.1", int(b.rsplit(":", 1)[1]), timeout=10)

    def get_b() -> str:
        conn_b.request("GET", "/data")
        answer = conn_b.getresponse()
        return json.loads(answer.read())["value"]

    delays, posts = [], []
    for n in range(1, rounds + 1):
        get_b()  # B holds the current entry in its local tier
        servers.value.write_text(str(n))
        started = time.perf_counter()
        conn_a.request("POST", "/revalidate")
        answer = conn_a.getresponse()
        answer.read()
        posts.append((time.perf_counter() - started) * 1000)
        assert answer.status == 200, answer.status
        while get_b() != str(n):
            pass
        delays.append((time.perf_counter() - started) * 1000)
    servers.stop_all()
    return delays, posts


def workers(servers: Servers, load: Load, args: argparse.Namespace) -> dict[int, LoadResult]:
    cache = ["--cache", servers.redis_url]
    runs: dict[int, list[LoadResult]] = {1: [], 2: []}
    for n in range(args.rounds):
        print(f"workers, round {n + 1}/{args.rounds} ...", flush=True)
        for count in (1, 2) if n % 2 == 0 else (2, 1):
            url = servers.start(f"workers-{count}", *cache, f"--workers={count}")
            load.run(url + "/data", connections=args.connections, duration=1)
            runs[count].append(
                load.run(url + "/data", connections=args.connections, duration=args.duration)
            )
            servers.stop_all()
    return {count: median_run(r) for count, r in runs.items()}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--propagation", type=int, default=100, help="revalidation rounds")
    args = parser.parse_args()
    if redis_server_binary() is None:
        print("redis-server is not installed (apt-get install redis-server): nothing measured.")
        return 0
    load = Load(core=None)
    with RedisServer() as redis, tempfile.TemporaryDirectory(prefix="bench-redis-") as tmp:
        servers = Servers(Path(tmp), redis.url)
        try:
            costs = hit_costs(servers, load, args)
            delays, posts = propagation(servers, args.propagation)
            scaled = workers(servers, load, args)
        finally:
            servers.stop_all()

    memory = costs["HIT from memory"].rps
    print(
        f"\nGET /data, the same ISR route, {args.connections} keep-alive connections, "
        f"{load.name} (unpinned), median of {args.rounds} x {args.duration:g} s\n"
    )
    print_table(
        ["answered as", "req/s", "p50 ms", "p99 ms", "errors", "vs memory HIT"],
        [
            [name, r.rps, r.p50_ms, r.p99_ms, r.errors, f"{r.rps / memory:.2f}x"]
            for name, r in costs.items()
        ],
    )
    print(
        f"\nrevalidate_path on server A, seen by server B (over HTTP, {len(delays)} rounds): "
        f"p50 {statistics.median(delays):.2f} ms, p99 {pct(delays, 99):.2f} ms "
        f"(the POST itself: p50 {statistics.median(posts):.2f} ms, p99 {pct(posts, 99):.2f} ms)"
    )
    one = scaled[1].rps
    print(f"\nserve --workers N --cache redis://..., GET /data (HIT), {load.name}\n")
    print_table(
        ["workers", "req/s", "p50 ms", "p99 ms", "errors", "vs 1 worker"],
        [
            [n, r.rps, r.p50_ms, r.p99_ms, r.errors, f"{r.rps / one:.2f}x"]
            for n, r in scaled.items()
        ],
    )
    print(
        f"\nmachine: {len(CORES)} cores shared by the servers, redis-server and the load "
        f"generator; a shared VM: absolute figures move between runs, ratios less."
    )
    bar_chart(
        "redis_http",
        "GET /data: the same ISR route answered four ways (req/s)",
        list(costs),
        [r.rps for r in costs.values()],
        ylabel="req/s",
    )
    print_targets(
        [
            (
                "HIT from the Redis store's local tier within 20% of a memory HIT",
                costs["HIT, Redis (local tier)"].rps >= 0.8 * memory,
            ),
            (
                "HIT read from Redis faster than running this (trivial) handler",
                costs["HIT read from Redis"].rps > costs["dynamic (handler runs)"].rps,
            ),
            ("revalidation seen on the other server: p99 under 50 ms", pct(delays, 99) < 50),
            ("--workers 2 faster than 1 (2 cores, load generator included)", scaled[2].rps > one),
            ("no errors", all(r.errors == 0 for r in [*costs.values(), *scaled.values()])),
        ]
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
