"""The ASGI path: our hello route on uvicorn against Starlette's and Next.js's, in one run.

    python benchmarks/bench_asgi.py [--duration 5] [--rounds 3] [--connections 32]

Every server answers ``GET /api/hello`` with ``{"message": "Hello World"}``:

- notebook-routes through `notebook_routes.asgi` on uvicorn + httptools (one worker);
- a bare Starlette app with the same route, on the same uvicorn + httptools (the baseline);
- ``notebook-routes serve`` on its embedded tornado server (for reference);
- Next.js 16 ``next start`` on the same route, when node is present: a built Next.js app
  (``NEXT_APP``, default the conformance harness's) is copied to a temporary folder
  (``node_modules`` linked) and started there; the column is n/a without it;
- ``serve --server uvicorn --workers 1`` and ``--workers 2``: these two are not pinned
  (two workers on one core would measure nothing), so on a 2-core machine they share the
  cores with the load generator; their ratio is what this machine allows, not a scaling law.

wrk (else `_load`'s generator) runs on core 1 with keep-alive connections; the pinned
servers run on core 0. Servers are measured in turns, round after round; each figure is
the median round, and the spread (min-max across rounds) is printed beside it.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from _load import (
    PYTHON,
    SERVER_CORE,
    Load,
    LoadResult,
    free_port,
    load_options,
    machine_caveat,
    print_table,
    print_targets,
    start_process,
    stop_process,
    wait_for_http,
)

HELLO = {"message": "Hello World"}
PATH = "/api/hello"
NEXT_APP = Path(os.environ.get("NEXT_APP", "/work/wt/conf12/conformance/next-app"))

ROUTE_PY = """\
from notebook_routes import Response


async def GET():
    return Response.json({"message": "Hello World"})
"""

STARLETTE_APP = """\
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route


async def hello(request):
    return JSONResponse({"message": "Hello World"})


app = Starlette(routes=[Route("/api/hello", hello)])
"""

OURS = "notebook-routes ASGI, uvicorn"
STARLETTE = "Starlette, uvicorn"
TORNADO = "notebook-routes serve (tornado)"
NEXT = "Next.js 16 next start"
WORKERS_1 = "serve --server uvicorn -w 1"
WORKERS_2 = "serve --server uvicorn -w 2"
UVICORN = ["-m", "uvicorn", "--http", "httptools", "--loop", "asyncio", "--no-access-log"]


@dataclass
class Running:
    label: str
    url: str
    stop: Callable[[], None]
    results: list[LoadResult] = field(default_factory=list)

    @property
    def median(self) -> LoadResult:
        ordered = sorted(self.results, key=lambda r: r.rps)
        return ordered[len(ordered) // 2]

    @property
    def spread(self) -> str:
        rates = [r.rps for r in self.results]
        return f"{min(rates):,.0f}-{max(rates):,.0f}"


def start(
    label: str,
    command: list[str],
    workdir: Path,
    *,
    pin: bool = True,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> Running:
    port = free_port()
    old = dict(os.environ)
    os.environ.update(env or {})  # start_process passes the environment on
    try:
        process = start_process(
            [part.format(port=port) for part in command],
            core=SERVER_CORE if pin else None,
            cwd=cwd or workdir,
            log=workdir / f"{label.split()[0].strip(',')}-{port}.log",
        )
    finally:
        os.environ.clear()
        os.environ.update(old)
    url = f"http://127.0.0.1:{port}{PATH}"
    try:
        wait_for_http(url, timeout=90, process=process)
    except Exception:
        stop_process(process)
        raise
    return Running(label, url, lambda: stop_process(process))


def start_next(workdir: Path) -> Running | None:
    if not shutil.which("node") or not (NEXT_APP / ".next").is_dir():
        print(f"[no node or no built Next.js app at {NEXT_APP}: the Next.js column is n/a]")
        return None
    copy = workdir / "next-app"
    copy.mkdir()
    for name in ("app", ".next", "package.json"):
        source = NEXT_APP / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, copy / name)
    (copy / "node_modules").symlink_to(NEXT_APP / "node_modules")  # read only
    next_bin = str(copy / "node_modules" / ".bin" / "next")
    try:
        return start(
            NEXT, [next_bin, "start", "-p", "{port}", "-H", "127.0.0.1"], workdir, cwd=copy
        )
    except Exception as exc:
        print(f"[next start failed: {exc}]")
        return None


def start_all(workdir: Path) -> list[Running]:
    app = workdir / "app" / "api" / "hello"
    app.mkdir(parents=True)
    (app / "route.py").write_text(ROUTE_PY)
    (workdir / "starlette_app.py").write_text(STARLETTE_APP)
    folder = str(workdir / "app")
    factory = [*UVICORN, "--factory", "notebook_routes.asgi:create_app", "--port", "{port}"]
    running = [
        start(OURS, [PYTHON, *factory], workdir, env={"NOTEBOOK_ROUTES_DIR": folder}),
        start(STARLETTE, [PYTHON, *UVICORN, "starlette_app:app", "--port", "{port}"], workdir),
        start(
            TORNADO, [PYTHON, "-m", "notebook_routes", "serve", folder, "--port={port}"], workdir
        ),
    ]
    if (next_app := start_next(workdir)) is not None:
        running.append(next_app)
    serve = [PYTHON, "-m", "notebook_routes", "serve", folder, "--port={port}"]
    for label, workers in ((WORKERS_1, "1"), (WORKERS_2, "2")):
        command = [*serve, "--server", "uvicorn", "--workers", workers]
        running.append(start(label, command, workdir, pin=False))
    return running


def main() -> int:
    args = load_options(__doc__, "server")
    load = Load()
    with tempfile.TemporaryDirectory(prefix="bench-asgi-") as tmp:
        running: list[Running] = []
        try:
            running = start_all(Path(tmp))
            for server in running:
                body = json.loads(wait_for_http(server.url))
                if body != HELLO:
                    raise RuntimeError(f"{server.label} answered {body!r}, not {HELLO!r}")
                load.run(server.url, connections=args.connections, duration=1)  # warm-up
            for n in range(args.rounds):
                print(f"round {n + 1}/{args.rounds} ...", flush=True)
                shift = n % len(running)
                for server in running[shift:] + running[:shift]:
                    server.results.append(
                        load.run(server.url, connections=args.connections, duration=args.duration)
                    )
        finally:
            for server in running:
                server.stop()

    by_label = {server.label: server for server in running}
    starlette = by_label[STARLETTE].median.rps
    next_rps = by_label[NEXT].median.rps if NEXT in by_label else None
    print(
        f"\nGET {PATH}, {args.connections} keep-alive connections, {load.name}, "
        f"median of {args.rounds} x {args.duration:g} s (spread: min-max req/s of the rounds)\n"
    )
    rows = []
    for label, server in by_label.items():
        result = server.median
        rows.append(
            [
                label,
                result.rps,
                server.spread,
                result.p50_ms,
                result.p99_ms,
                result.errors,
                f"{result.rps / starlette:.2f}x",
                f"{result.rps / next_rps:.1f}x" if next_rps else "n/a",
            ]
        )
    print_table(
        ["server", "req/s", "spread", "p50 ms", "p99 ms", "errors", "vs Starlette", "vs Next.js"],
        rows,
    )
    print(f"\n{machine_caveat()}")
    ours = by_label[OURS].median.rps
    workers = by_label[WORKERS_2].median.rps / by_label[WORKERS_1].median.rps
    print(f"serve --server uvicorn: 2 workers / 1 worker = {workers:.2f}x (unpinned, see above)")
    print_targets(
        [
            (f"{OURS} >= 1.0x Starlette on the same uvicorn", ours >= starlette),
            (f"{OURS} >= 10x Next.js next start", ours >= 10 * next_rps if next_rps else None),
            (
                "no errors from notebook-routes",
                all(
                    by_label[label].median.errors == 0
                    for label in (OURS, TORNADO, WORKERS_1, WORKERS_2)
                ),
            ),
        ]
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
