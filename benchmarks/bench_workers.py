"""``notebook-routes serve --workers N``: throughput as processes are added, on this machine.

    python benchmarks/bench_workers.py [--duration 5] [--rounds 3] [--connections 32]

Serves an ``app/`` folder with ``/hello`` (JSON) and ``/pid`` (which process answered)
with 1, 2 and 4 workers, one server at a time, measured in turns round after round (the
median round is kept). Nothing is pinned: the workers and the load generator share the
machine's cores, as they would in production, so on a 2-core machine the load generator
takes a share of the second core. If ``serve`` has no ``--workers`` yet the script says so.
Prints a table and writes results/workers.png.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from _load import (
    CORES,
    PYTHON,
    Load,
    LoadResult,
    bar_chart,
    free_port,
    load_options,
    print_table,
    print_targets,
    start_process,
    stop_process,
    wait_for_http,
)

WORKERS = (1, 2, 4)

HELLO_PY = """\
from notebook_routes import Response


async def GET():
    return Response.json({"message": "Hello World"})
"""

PID_PY = """\
import os


async def GET():
    return {"pid": os.getpid()}
"""


def has_workers_option() -> bool:
    done = subprocess.run(
        [PYTHON, "-m", "notebook_routes", "serve", "--help"], capture_output=True, text=True
    )
    return "--workers" in done.stdout


def answering_processes(url: str, requests: int = 200) -> int:
    """How many processes answer `requests` new connections (each urlopen is one)."""
    import urllib.request

    pids = set()
    for _ in range(requests):
        with urllib.request.urlopen(url + "/pid", timeout=10) as answer:
            pids.add(json.loads(answer.read())["pid"])
    return len(pids)


def main() -> int:
    args = load_options(__doc__, "worker count")

    if not has_workers_option():
        print("serve --workers does not exist yet: nothing measured (no figures are invented).")
        return 0
    load = Load(core=None)
    runs: dict[int, list[LoadResult]] = {n: [] for n in WORKERS}
    processes: dict[int, int] = {}
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as tmp:
        app = Path(tmp) / "app"
        (app / "hello").mkdir(parents=True)
        (app / "pid").mkdir()
        (app / "hello" / "route.py").write_text(HELLO_PY)
        (app / "pid" / "route.py").write_text(PID_PY)
        for n in range(args.rounds + 1):  # round 0 is the warm-up and the process count
            if n:
                print(f"round {n}/{args.rounds} ...", flush=True)
            for workers in WORKERS:
                port = free_port()
                command = [PYTHON, "-m", "notebook_routes", "serve", str(app)]
                server = start_process(
                    [*command, f"--port={port}", f"--workers={workers}"],
                    core=None,
                    log=Path(tmp) / f"serve-{workers}.log",
                )
                url = f"http://127.0.0.1:{port}"
                try:
                    wait_for_http(url + "/hello", timeout=60, process=server)
                    if n == 0:
                        processes[workers] = answering_processes(url)
                        load.run(url + "/hello", connections=args.connections, duration=1)
                    else:
                        runs[workers].append(
                            load.run(
                                url + "/hello",
                                connections=args.connections,
                                duration=args.duration,
                            )
                        )
                finally:
                    stop_process(server)

    median = {n: sorted(r, key=lambda x: x.rps)[len(r) // 2] for n, r in runs.items()}
    one = median[1].rps
    print(
        f"\nserve --workers N, GET /hello, {args.connections} keep-alive connections, "
        f"{load.name} (unpinned), median of {args.rounds} x {args.duration:g} s\n"
    )
    print_table(
        ["workers", "processes answering", "req/s", "p50 ms", "p99 ms", "errors", "vs 1 worker"],
        [
            [n, processes[n], r.rps, r.p50_ms, r.p99_ms, r.errors, f"{r.rps / one:.2f}x"]
            for n, r in median.items()
        ],
    )
    print(
        f"\nmachine: {len(CORES)} cores shared by the workers and the load generator; "
        f"scaling past {len(CORES)} workers is not expected here. A shared VM: absolute "
        f"figures move between runs."
    )
    print_targets(
        [(f"--workers {n}: {n} processes answer", processes[n] == n) for n in WORKERS]
        + [
            ("--workers 2 faster than 1 (2 cores, load generator included)", median[2].rps > one),
            ("no errors", all(r.errors == 0 for r in median.values())),
        ]
    )
    bar_chart(
        "workers",
        f"serve --workers N on {len(CORES)} cores, req/s",
        [f"{n} worker{'s' if n > 1 else ''}" for n in median],
        [r.rps for r in median.values()],
        ylabel="requests / s",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
