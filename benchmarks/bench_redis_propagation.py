"""Propagation delay of a revalidation between two processes sharing one Redis.

    python benchmarks/bench_redis_propagation.py [--rounds 200]

Starts Debian's redis-server on a free loopback port (no persistence). Process A (this one)
and process B (a child) each hold a `RedisCache` on it. Each round: A stores ``/p<i>``, B
reads it through into its local tier (its synchronous HIT path), then A calls
``invalidate([path_tag("/p<i>")])`` (what ``revalidate_path`` does) and B polls its local
tier until the entry is gone. The delay is from the start of A's call to B's first miss,
on the host's monotonic clock (shared by both processes). Also printed: how long A's call
itself takes, and a local-tier HIT against a read through Redis in B, as a ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from notebook_routes.cache import CacheEntry, RedisCache, path_tag  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402

PREFIX = "bench-propagation:"


def reader(url: str, conn) -> None:  # noqa: ANN001 - a multiprocessing Connection
    store = RedisCache(url, prefix=PREFIX, timeout_s=3.0)
    store.wait_subscribed(10)
    conn.send("subscribed")
    while True:
        command, key = conn.recv()
        if command == "stop":
            break
        if command == "time-reads":
            conn.send(time_reads(store, key))
            continue
        while asyncio.run(store.aget(key)) is None:  # read through into the local tier
            time.sleep(0.001)
        conn.send("loaded")
        while store.get(key) is not None:  # the synchronous HIT path, until the feed drops it
            time.sleep(0.00005)
        conn.send(time.monotonic())
    store.close()


def time_reads(store: RedisCache, key: str, n: int = 2000) -> tuple[float, float]:
    """Median seconds per local-tier HIT and per read through Redis (local tier bypassed)."""
    asyncio.run(store.aget(key))
    start = time.perf_counter()
    for _ in range(n):
        store.get(key)
    local = (time.perf_counter() - start) / n

    async def through() -> float:
        start = time.perf_counter()
        for _ in range(n // 10):
            store._local.clear()
            await store.aget(key)
        return (time.perf_counter() - start) / (n // 10)

    return local, asyncio.run(through())


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    with RedisServer() as server:
        ctx = multiprocessing.get_context("spawn")
        ours, theirs = ctx.Pipe()
        child = ctx.Process(target=reader, args=(server.url, theirs), daemon=True)
        child.start()
        assert ours.recv() == "subscribed"
        store = RedisCache(server.url, prefix=PREFIX, timeout_s=3.0)
        store.wait_subscribed(10)
        delays, calls = [], []
        for i in range(args.rounds):
            key = f"/p{i}"
            asyncio.run(store.aset(CacheEntry(key=key, kind="route", body=b"x" * 512)))
            ours.send(("load", key))
            assert ours.recv() == "loaded"
            time.sleep(0.002)
            start = time.monotonic()
            store.invalidate([path_tag(key)])
            calls.append(time.monotonic() - start)
            delays.append(ours.recv() - start)
        asyncio.run(store.aset(CacheEntry(key="/hit", kind="route", body=b"x" * 512)))
        ours.send(("time-reads", "/hit"))
        local, through = ours.recv()
        ours.send(("stop", ""))
        child.join(10)
        store.close()

    ms = 1000.0
    print(f"revalidation propagation between two processes, {args.rounds} rounds, one Redis")
    print(
        f"  delay until the other process misses: p50 {statistics.median(delays) * ms:.2f} ms"
        f"   p99 {percentile(delays, 99) * ms:.2f} ms   max {max(delays) * ms:.2f} ms"
    )
    print(
        f"  the invalidating call itself:         p50 {statistics.median(calls) * ms:.2f} ms"
        f"   p99 {percentile(calls, 99) * ms:.2f} ms"
    )
    print(
        f"  a read in the other process: local-tier HIT {local * 1e6:.1f} us, through Redis "
        f"{through * 1e6:.0f} us ({through / local:.0f}x)"
    )
    print(f"  machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
