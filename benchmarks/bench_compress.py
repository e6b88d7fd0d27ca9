"""What gzip (Next.js's ``compress: true``) costs per request, with and without Accept-Encoding.

    python benchmarks/bench_compress.py [--duration 5] [--rounds 3] [--connections 32]

Two servers in one process on core 0, serving the same `App`: ``Server(app)`` (compression
on, the default) and ``Server(app, compress=False)`` (the baseline: no negotiation at all).
Two dynamic routes: ``hello`` (``{"message": "Hello World"}``, 25 bytes) and ``catalog``
(a JSON list of 100 products, about 7 kB). Load (wrk, else the Python generator) runs on
core 1; each figure is the median round, the URLs measured in turns:

- compression on, no Accept-Encoding, against the baseline: what a client that does not ask
  pays (the negotiation and the Vary header only); the target is no regression (>= 0.95x);
- compression on, ``Accept-Encoding: gzip``, against the baseline: what gzip costs.

It also times the compression step alone in this process (negotiate + gzip of the body),
in microseconds per response, and prints the bytes on the wire.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import sys
import timeit
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

from notebook_routes import App, Response, Server
from notebook_routes._compress import compress, negotiate

GZIP = "Accept-Encoding: gzip, deflate, br"
NO_REGRESSION = 0.95


async def hello() -> Response:
    return Response.json({"message": "Hello World"})


async def catalog() -> Response:
    products = [
        {"id": i, "name": f"Product {i}", "price": round(9.99 + i * 1.25, 2), "tags": ["a", "b"]}
        for i in range(100)
    ]
    return Response.json({"products": products, "count": len(products)})


HANDLERS: dict[str, Any] = {"hello": hello, "catalog": catalog}
# (label, which server, request headers)
CASES = [("compress=False", "off", ()), ("no Accept-Encoding", "on", ()), ("gzip", "on", (GZIP,))]


def build_app() -> App:
    app = App()
    for name, handler in HANDLERS.items():
        app.add(f"/{name}", {"GET": handler, "dynamic": "force-dynamic"})
    return app


def step_us(body: bytes, accept: str | None) -> float:
    """Microseconds for the compression step of one response, measured in this process."""
    headers = [("Content-Type", "application/json")]

    def once() -> None:
        plan = negotiate("GET", 200, headers, accept)
        if plan.coding is not None:
            compress(plan.coding, body)

    runs, seconds = timeit.Timer(once).autorange()
    return 1e6 * seconds / runs


def main() -> int:
    args = load_options(__doc__, "URL")

    if SERVER_CORE is not None:  # the server threads (started below) inherit this
        os.sched_setaffinity(0, {SERVER_CORE})
    app = build_app()
    servers = {"on": Server(app).start(), "off": Server(app, compress=False).start()}
    load = Load()
    results: dict[tuple[str, str], list[LoadResult]] = {}
    try:
        turns = [(name, case) for name in HANDLERS for case in CASES]
        for name, (label, which, headers) in turns:
            url = f"{servers[which].url}/{name}"
            load.run(url, connections=args.connections, duration=1, headers=headers)  # warm-up
            results[(name, label)] = []
        for n in range(args.rounds):
            print(f"round {n + 1}/{args.rounds} ...", flush=True)
            shift = n % len(turns)
            for name, (label, which, headers) in turns[shift:] + turns[:shift]:
                url = f"{servers[which].url}/{name}"
                results[(name, label)].append(
                    load.run(
                        url, connections=args.connections, duration=args.duration, headers=headers
                    )
                )
    finally:
        for server in servers.values():
            server.stop()

    median = {
        key: sorted(runs, key=lambda r: r.rps)[len(runs) // 2] for key, runs in results.items()
    }
    print(
        f"\ncompression on vs off, {args.connections} keep-alive connections, {load.name}, "
        f"median of {args.rounds} x {args.duration:g} s\n"
    )
    rows = []
    targets: list[tuple[str, bool | None]] = []
    for name, handler in HANDLERS.items():
        body = asyncio.run(handler()).body
        base = median[(name, "compress=False")]
        wire = {"compress=False": len(body), "no Accept-Encoding": len(body)}
        wire["gzip"] = len(gzip.compress(body, 6))
        step = {
            "compress=False": 0.0,
            "no Accept-Encoding": step_us(body, None),
            "gzip": step_us(body, "gzip, deflate, br"),
        }
        for label, _, _ in CASES:
            result = median[(name, label)]
            rows.append(
                [
                    f"{name}, {label}",
                    result.rps,
                    result.p50_ms,
                    result.p99_ms,
                    result.errors,
                    f"{result.rps / base.rps:.2f}x",
                    wire[label],
                    f"{step[label]:.1f}",
                ]
            )
        ratio = median[(name, "no Accept-Encoding")].rps / base.rps
        targets.append(
            (
                f"{name}: a client without Accept-Encoding >= {NO_REGRESSION}x compress=False "
                f"({ratio:.2f}x)",
                ratio >= NO_REGRESSION,
            )
        )
    print_table(
        ["route, client", "req/s", "p50 ms", "p99 ms", "errors", "vs off", "body bytes", "step us"],
        rows,
    )
    print(
        "\nstep us: the compression step alone (negotiate, and gzip when accepted) per response,"
        "\ntimed in this process; 'vs off' compares with Server(compress=False) in the same run."
    )
    print(f"\n{machine_caveat()}")
    targets.append(("no errors", all(r.errors == 0 for r in median.values())))
    print_targets(targets)
    bar_chart(
        "compress",
        "compression on/off, req/s",
        [f"{name}\n{label}" for name, label in median],
        [result.rps for result in median.values()],
        ylabel="requests / s",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
