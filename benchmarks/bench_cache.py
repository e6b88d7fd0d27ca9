"""The response cache: a static HIT against the same route rendered on every request.

    python benchmarks/bench_cache.py [--duration 5] [--rounds 3] [--connections 32]

One `App`, one server on core 0, two handlers each registered twice:
``{"GET": h, "dynamic": "force-static"}`` (answered from the cache, ``x-nextjs-cache: HIT``)
and ``{"GET": h, "dynamic": "force-dynamic"}`` (the handler runs every time):

- ``hello``: ``Response.json({"message": "Hello World"})``, the least a cache can save;
- ``catalog``: a JSON list of 100 products built per request, a small but real render.

Load (wrk, else the Python generator) runs on core 1; the four URLs are measured in turns
and each figure is the median round. If the static route does not answer with
``x-nextjs-cache: HIT`` the script says "caching not available yet" instead of a ratio.
"""

from __future__ import annotations

import os
import sys
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
from notebook_routes._client import send

TARGET = 1.3


async def hello() -> Response:
    return Response.json({"message": "Hello World"})


async def catalog() -> Response:
    products = [
        {"id": i, "name": f"Product {i}", "price": round(9.99 + i * 1.25, 2), "tags": ["a", "b"]}
        for i in range(100)
    ]
    return Response.json({"products": products, "count": len(products)})


HANDLERS: dict[str, Any] = {"hello": hello, "catalog": catalog}


def build_app() -> App:
    app = App()
    for name, handler in HANDLERS.items():
        app.add(f"/{name}/static", {"GET": handler, "dynamic": "force-static"})
        app.add(f"/{name}/dynamic", {"GET": handler, "dynamic": "force-dynamic"})
    return app


def cache_header(url: str, path: str) -> str | None:
    send(url, "GET", path)  # the first answer may be a MISS that fills the cache
    return send(url, "GET", path).headers.get("x-nextjs-cache")


def main() -> int:
    args = load_options(__doc__, "URL")

    if SERVER_CORE is not None:  # the server thread (started below) inherits this
        os.sched_setaffinity(0, {SERVER_CORE})
    server = Server(build_app()).start()
    try:
        states = {name: cache_header(server.url, f"/{name}/static") for name in HANDLERS}
        if any(state != "HIT" for state in states.values()):
            print(
                "caching not available yet: force-static routes answered x-nextjs-cache "
                f"{states} after a warm-up request, not HIT; no ratio printed."
            )
            return 0
        paths = [f"/{name}/{kind}" for name in HANDLERS for kind in ("static", "dynamic")]
        load = Load()
        results: dict[str, list[LoadResult]] = {path: [] for path in paths}
        for path in paths:
            load.run(server.url + path, connections=args.connections, duration=1)  # warm-up
        for n in range(args.rounds):
            print(f"round {n + 1}/{args.rounds} ...", flush=True)
            for path in paths:
                results[path].append(
                    load.run(
                        server.url + path, connections=args.connections, duration=args.duration
                    )
                )
    finally:
        server.stop()

    median = {
        path: sorted(runs, key=lambda r: r.rps)[len(runs) // 2] for path, runs in results.items()
    }
    print(
        f"\nforce-static (cache HIT) vs force-dynamic, same handler, {args.connections} "
        f"keep-alive connections, {load.name}, median of {args.rounds} x {args.duration:g} s\n"
    )
    rows = []
    targets: list[tuple[str, bool | None]] = []
    for name in HANDLERS:
        static, dynamic = median[f"/{name}/static"], median[f"/{name}/dynamic"]
        ratio = static.rps / dynamic.rps
        for kind, result in (("static HIT", static), ("dynamic", dynamic)):
            rows.append(
                [
                    f"{name} {kind}",
                    result.rps,
                    result.p50_ms,
                    result.p99_ms,
                    result.errors,
                    f"{ratio:.2f}x" if kind == "static HIT" else "1.00x",
                ]
            )
        targets.append((f"{name}: static HIT >= {TARGET}x dynamic ({ratio:.2f}x)", ratio >= TARGET))
    print_table(["route", "req/s", "p50 ms", "p99 ms", "errors", "vs dynamic"], rows)
    print(f"\n{machine_caveat()}")
    targets.append(("no errors", all(r.errors == 0 for r in median.values())))
    print_targets(targets)
    bar_chart(
        "cache",
        "force-static (HIT) vs force-dynamic, req/s",
        [path.strip("/").replace("/", "\n") for path in paths],
        [median[path].rps for path in paths],
        ylabel="requests / s",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
