"""Scaling with the number of routes: match time, memory per route, and HTTP throughput.

    python benchmarks/bench_scaling.py [--duration 5] [--rounds 3] [--connections 32]

- match time at 10 / 1,000 / 10,000 routes, with `bench_match`'s route mix and timer
  (`RouteTable.match` for the first, middle and last route and a miss);
- memory per route (tracemalloc): the route table alone, and a whole `App` whose routes
  share one handler;
- requests/s against a server whose `App` holds 10 routes and one holding 10,000, both
  running in this process on core 0, asked for a route of the same shape
  (``/shopN/itemsM/[slug]``) in turns, round after round; the load generator is on core 1.
  Target: the 10,000-route figure within 10% of the 10-route one.

Prints the tables and writes results/scaling_{match,memory,http}.png.
"""

from __future__ import annotations

import gc
import os
import sys
import tracemalloc
from collections.abc import Callable
from typing import Any

from _load import (
    SERVER_CORE,
    Load,
    LoadResult,
    bar_chart,
    load_options,
    machine_caveat,
    print_table,
    print_targets,
)
from bench_match import MISSING, build, per_call_us, request_path, route_source

from notebook_routes import App, Response, Server

SIZES = (10, 1_000, 10_000)


async def GET(request: Any, context: Any) -> Response:
    return Response.json({"slug": context.params["slug"]})


def build_app(sources: list[str]) -> App:
    app = App()
    for source in sources:
        app.add(source, {"GET": GET})
    return app


def traced_bytes(make: Callable[[], object]) -> int:
    """Bytes still allocated by what `make()` returns (tracemalloc, after a collection)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = make()
        gc.collect()
        used = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    del kept
    return used


def match_times() -> dict[int, dict[str, float]]:
    times: dict[int, dict[str, float]] = {}
    for size in SIZES:
        sources = [route_source(i) for i in range(size)]
        table = build(sources)
        cases = {
            "first": request_path(sources[0]),
            "middle": request_path(sources[size // 2]),
            "last": request_path(sources[-1]),
            "missing": MISSING,
        }
        times[size] = {
            label: per_call_us("match(path)", match=table.match, path=path)
            for label, path in cases.items()
        }
    return times


def probe_path(size: int) -> str:
    """A ``/shopN/itemsM/[slug]`` route from the middle of a table of `size` routes."""
    middle = size // 2
    return request_path(route_source(middle - middle % 4 + 1))  # i % 4 == 1: that shape


def main() -> int:
    args = load_options(__doc__, "size")

    print("RouteTable.match, µs per call (bench_match's routes and timer)\n")
    times = match_times()
    labels = ("first", "middle", "last", "missing")
    print_table(["routes", *labels], [[f"{s:,}", *(times[s][k] for k in labels)] for s in SIZES])

    print("\nmemory per route (tracemalloc)\n")
    memory = {}
    for size in SIZES:
        sources = [route_source(i) for i in range(size)]
        table_b = traced_bytes(lambda sources=sources: build(sources)) / size
        app_b = traced_bytes(lambda sources=sources: build_app(sources)) / size
        memory[size] = (table_b, app_b)
    print_table(
        ["routes", "RouteTable B/route", "App B/route", "App total MB"],
        [[f"{s:,}", memory[s][0], memory[s][1], memory[s][1] * s / 1e6] for s in SIZES],
    )

    if SERVER_CORE is not None:  # the server threads (started below) inherit this
        os.sched_setaffinity(0, {SERVER_CORE})
    small, large = SIZES[0], SIZES[-1]
    servers = {
        size: Server(build_app([route_source(i) for i in range(size)])).start()
        for size in (small, large)
    }
    load = Load()
    urls = {size: servers[size].url + probe_path(size) for size in servers}
    runs: dict[int, list[LoadResult]] = {size: [] for size in servers}
    try:
        for url in urls.values():
            load.run(url, connections=args.connections, duration=1)  # warm-up
        for n in range(args.rounds):
            print(f"\nround {n + 1}/{args.rounds} ...", end="", flush=True)
            for size, url in urls.items():
                runs[size].append(
                    load.run(url, connections=args.connections, duration=args.duration)
                )
    finally:
        for server in servers.values():
            server.stop()
    median = {size: sorted(r, key=lambda x: x.rps)[len(r) // 2] for size, r in runs.items()}
    ratio = median[large].rps / median[small].rps
    print(
        f"\n\nGET {probe_path(small)} (10 routes) vs {probe_path(large)} (10,000 routes), "
        f"{args.connections} keep-alive connections, {load.name}, "
        f"median of {args.rounds} x {args.duration:g} s\n"
    )
    print_table(
        ["routes registered", "req/s", "p50 ms", "p99 ms", "errors", "vs 10 routes"],
        [
            [f"{size:,}", r.rps, r.p50_ms, r.p99_ms, r.errors, f"{r.rps / median[small].rps:.2f}x"]
            for size, r in median.items()
        ],
    )
    print(f"\n{machine_caveat()}")
    print_targets(
        [
            (
                "10,000-route match within 2x of 10-route match (every path)",
                all(times[large][k] <= 2 * times[small][k] for k in labels),
            ),
            (
                f"req/s with 10,000 routes no more than 10% below 10 routes ({ratio:.2f}x)",
                ratio >= 0.9,
            ),
            ("no HTTP errors", all(r.errors == 0 for r in median.values())),
        ]
    )
    bar_chart(
        "scaling_match",
        "RouteTable.match, µs per call (last registered route)",
        [f"{s:,} routes" for s in SIZES],
        [times[s]["last"] for s in SIZES],
        ylabel="µs per match",
        notes=[f"{times[s]['last']:.2f} µs" for s in SIZES],
    )
    bar_chart(
        "scaling_memory",
        "memory per route (tracemalloc): whole App",
        [f"{s:,} routes" for s in SIZES],
        [memory[s][1] for s in SIZES],
        ylabel="bytes per route",
    )
    bar_chart(
        "scaling_http",
        "req/s with 10 vs 10,000 routes registered",
        [f"{s:,} routes" for s in median],
        [r.rps for r in median.values()],
        ylabel="requests / s",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
