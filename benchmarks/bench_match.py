"""How fast RouteTable matches, next to werkzeug's Map on the same rules, 10 to 10,000 routes.

    python benchmarks/bench_match.py

Prints µs per match for the first, middle and last registered route and for a path that
matches nothing; the time to build a 10,000-route table from PATHs; the time to add one
route to it; the time `App.add` takes for 10,000 routes; and which targets hold. Every
figure is the minimum over repeats (``timeit``), the usual way to read through scheduler
noise. Always exits 0.
"""

from __future__ import annotations

import re
import statistics
import timeit
from pathlib import Path

from werkzeug.exceptions import NotFound
from werkzeug.routing import Map, Rule

from notebook_routes import App
from notebook_routes.routing import RouteTable, parse_pattern


async def GET(request: object, context: object) -> dict[str, str]:
    return {}


def app_add_seconds(repeat: int = 5) -> list[float]:
    """Seconds `App.add` takes for 10,000 routes, `repeat` times, each in a fresh process with
    the garbage collector on, as a user's process runs (timeit turns it off, and in this
    process the tables built above would make every collection slower)."""
    import subprocess
    import sys

    code = (
        "import gc, time, bench_match as b\n"
        "sources = [b.route_source(i) for i in range(10_000)]\n"
        "gc.collect(); t = time.perf_counter(); b.build_app(sources)\n"
        "print(time.perf_counter() - t)\n"
    )
    here = str(Path(__file__).resolve().parent)
    return [
        float(
            subprocess.run(
                [sys.executable, "-c", code], cwd=here, capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(repeat)
    ]


def build_app(sources: list[str]) -> App:
    """An `App` with one route per PATH, each a route.py-like namespace with its own GET."""
    app = App()
    for source in sources:
        app.add(source, {"GET": GET, "revalidate": False})
    return app


SIZES = (10, 100, 1_000, 10_000)
MISSING = "/nope/x/y"
NUMBER, REPEAT = 10_000, 15


def route_source(i: int) -> str:
    """The i-th route: static, dynamic, two-param and catch-all routes, eight per folder."""
    group, shape = i // 8, i % 4
    if shape == 0:
        return f"/shop{group}/items{i}"
    if shape == 1:
        return f"/shop{group}/items{i}/[slug]"
    if shape == 2:
        return f"/blog{group}/p{i}/[year]/[slug]"
    return f"/docs{group}/d{i}/[...rest]"


def werkzeug_rule(source: str) -> str:
    rule = re.sub(r"\[\.\.\.(\w+)\]", r"<path:\1>", source)
    return re.sub(r"\[(\w+)\]", r"<\1>", rule)


def request_path(source: str) -> str:
    path = re.sub(r"\[\.\.\.\w+\]", "a/b/c", source)
    return re.sub(r"\[\w+\]", "value", path)


def per_call_us(stmt: str, **names: object) -> float:
    best = min(timeit.repeat(stmt, globals=names, number=NUMBER, repeat=REPEAT))
    return best / NUMBER * 1e6


def build(sources: list[str]) -> RouteTable[str]:
    table: RouteTable[str] = RouteTable()
    for source in sources:
        table.add(parse_pattern(source), source)
    return table


def main() -> int:
    print(
        f"RouteTable.match vs werkzeug Map.bind('localhost').match, µs per call "
        f"(min of {REPEAT} x {NUMBER:,})\n"
    )
    print(f"{'routes':>7}  {'path':<7} {'ours':>7} {'werkzeug':>9} {'ratio':>7}")
    ours: dict[tuple[int, str], float] = {}
    always_faster = True
    for size in SIZES:
        sources = [route_source(i) for i in range(size)]
        table = build(sources)
        adapter = Map([Rule(werkzeug_rule(s), endpoint=s) for s in sources]).bind("localhost")
        cases = {
            "first": request_path(sources[0]),
            "middle": request_path(sources[size // 2]),
            "last": request_path(sources[-1]),
            "missing": MISSING,
        }
        for label, path in cases.items():
            found = table.match(path)
            try:
                theirs = adapter.match(path)[0]
            except NotFound:
                theirs = None
            if (found.source if found else None) != theirs:
                print(f"  !! {path}: ours {found and found.source}, werkzeug {theirs}")
            mine = per_call_us("match(path)", match=table.match, path=path)
            wz = per_call_us(
                "try:\n    match(path)\nexcept NotFound:\n    pass",
                match=adapter.match,
                path=path,
                NotFound=NotFound,
            )
            ours[(size, label)] = mine
            always_faster &= mine < wz
            print(f"{size:>7,}  {label:<7} {mine:>7.2f} {wz:>9.2f} {wz / mine:>6.1f}x")

    sources = [route_source(i) for i in range(10_000)]
    build_s = min(timeit.repeat(lambda: build(sources), number=1, repeat=3))
    table = build(sources)
    extra = iter([parse_pattern(route_source(i)) for i in range(10_000, 10_500)])
    adds = timeit.repeat(lambda: table.add(next(extra), "new"), number=1, repeat=500)
    add_ms, add_median_ms = min(adds) * 1e3, statistics.median(adds) * 1e3
    app_adds = app_add_seconds()
    app_s = min(app_adds)
    print(f"\nbuild 10,000 routes from PATHs (parse + add): {build_s * 1e3:.0f} ms")
    print(
        f"App.add for 10,000 routes (handler signatures, config, table): {app_s * 1e3:.0f} ms "
        f"(fresh process, GC on; min of 5; spread "
        f"{min(app_adds) * 1e3:.0f}-{max(app_adds) * 1e3:.0f} ms)"
    )
    print(
        f"add one route to a 10,000-route table: {add_ms * 1e3:.1f} µs "
        f"(median of 500: {add_median_ms * 1e3:.1f} µs)"
    )

    flat = all(
        ours[(10_000, label)] <= 2 * ours[(10, label)]
        for label in ("first", "middle", "last", "missing")
    )
    targets = [
        ("faster than werkzeug at every size and path", always_faster),
        ("10,000-route figures within 2x of the 10-route figures", flat),
        ("build 10,000 routes < 0.5 s", build_s < 0.5),
        ("App.add for 10,000 routes < 0.5 s", app_s < 0.5),
        ("add one route to 10,000 < 1 ms", add_ms < 1.0),
    ]
    print("\ntargets:")
    for name, held in targets:
        print(f"  {'HOLDS ' if held else 'MISSED'}  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
