"""Shared helpers for the HTTP benchmarks: load, processes on their own core, tables, charts.

Load comes from wrk (Debian's package, installed with apt-get when missing and we are root)
or, when wrk cannot be had, from the small keep-alive generator below, run as its own
process so it never shares a core or a GIL with the server it measures::

    python benchmarks/_load.py http://127.0.0.1:8000/hello --connections 32 --duration 5

prints one JSON object: requests, seconds, errors, p50_ms, p99_ms.

With two or more cores the server runs on core 0 and the load generator on core 1
(`SERVER_CORE`, `LOAD_CORE`); with one core nothing is pinned and the tables say so.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
PYTHON = sys.executable
CORES = sorted(os.sched_getaffinity(0))
SERVER_CORE: int | None = CORES[0] if len(CORES) >= 2 else None
LOAD_CORE: int | None = CORES[1] if len(CORES) >= 2 else None
CONNECTIONS = 32
DURATION_S = 5.0

if str(ROOT) not in sys.path:  # so `tests.kernel` and `benchmarks.bench_match` import
    sys.path.insert(0, str(ROOT))


@dataclass
class LoadResult:
    """What one load run measured."""

    tool: str  # "wrk" or "python"
    requests: int
    seconds: float
    errors: int  # socket errors, timeouts and non-2xx/3xx answers
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


# -- environment ----------------------------------------------------------------------------


def machine_caveat() -> str:
    """One line on where the numbers come from, printed under every table."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    if SERVER_CORE is None:
        where = "one core: server and load generator share it (nothing pinned)"
    else:
        where = f"server pinned to core {SERVER_CORE}, load generator to core {LOAD_CORE}"
    return (
        f"machine: {len(CORES)} cores ({model}), Python {sys.version.split()[0]}; {where}. "
        f"A shared VM: absolute figures move between runs, ratios from one run are what count."
    )


def load_options(doc: str | None, each: str) -> argparse.Namespace:
    """The options every HTTP benchmark takes: --duration, --rounds (median kept), --connections.

    `each` names what a round measures once ("URL", "server", ...), for the help text.
    """
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per run")
    parser.add_argument("--rounds", type=int, default=3, help=f"runs per {each} (median kept)")
    parser.add_argument("--connections", type=int, default=32)
    return parser.parse_args()


def ensure_module(module: str, package: str) -> bool:
    """Import `module`, pip-installing `package` into this venv first if it is missing."""
    import importlib
    import importlib.util

    if importlib.util.find_spec(module) is None:
        print(f"[{package} is missing: pip install {package}]", flush=True)
        done = subprocess.run(
            [PYTHON, "-m", "pip", "install", "--quiet", package], capture_output=True, text=True
        )
        if done.returncode != 0:
            print(f"[pip install {package} failed: {done.stderr.strip()[-300:]}]", flush=True)
            return False
        importlib.invalidate_caches()
    return importlib.util.find_spec(module) is not None


def ensure_wrk() -> str | None:
    """wrk's path, apt-get installing it when missing and we are root; None if not to be had."""
    if os.environ.get("BENCH_NO_WRK"):  # to exercise the fallback on a machine with wrk
        return None
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None
    print("[wrk is missing: apt-get install wrk]", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
        if subprocess.run(command, capture_output=True, env=env).returncode != 0:
            return None
    return shutil.which("wrk")


# -- processes ------------------------------------------------------------------------------


def pinned(command: Sequence[str], core: int | None) -> list[str]:
    """`command` run on `core` only (via taskset), or as it is when nothing is pinned."""
    if core is None or not shutil.which("taskset"):
        return list(command)
    return ["taskset", "-c", str(core), *command]


def pin_process(pid: int, core: int | None) -> None:
    """Pin every thread of a running process (threads it starts later inherit it)."""
    if core is None:
        return
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            os.sched_setaffinity(int(tid), {core})
        except OSError:
            pass  # a thread that just ended


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_process(
    command: Sequence[str], *, core: int | None, cwd: Path | None = None, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start a server process in its own session (so `stop_process` ends all it forks)."""
    if log is None:
        return subprocess.Popen(
            pinned(command, core),
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    with open(log, "wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            pinned(command, core),
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """End a process started by `start_process` and everything in its session."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(timeout=10)


def wait_for_http(url: str, *, timeout: float = 60.0, process: Any = None) -> str:
    """Poll `url` until it answers 200; returns the body. Raises if it never does."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server for {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                if answer.status == 200:
                    return answer.read().decode()
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer 200 within {timeout:.0f} s (last: {last!r})")


# -- load -----------------------------------------------------------------------------------

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if found is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(found.group(1)) * _UNITS[found.group(2)]


def parse_wrk(output: str) -> LoadResult:
    """Read wrk's ``--latency`` report.

    >>> r = parse_wrk('''  Latency Distribution
    ...      50%    1.50ms
    ...      99%  850.00us
    ...   26543 requests in 5.00s, 4.12MB read
    ...   Non-2xx or 3xx responses: 12
    ...   Socket errors: connect 0, read 1, write 0, timeout 2
    ... ''')
    >>> r.requests, r.seconds, r.errors, r.p50_ms, r.p99_ms
    (26543, 5.0, 15, 1.5, 0.85)
    """
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output)
    if done is None:
        raise ValueError(f"not a wrk report:\n{output}")
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors += int(bad.group(1)) if bad else 0
    p50 = re.search(r"50%\s+([\d.]+\w+)", output)
    p99 = re.search(r"99%\s+([\d.]+\w+)", output)
    return LoadResult(
        tool="wrk",
        requests=int(done.group(1)),
        seconds=_ms(done.group(2) + done.group(3)) / 1e3,
        errors=errors,
        p50_ms=_ms(p50.group(1)) if p50 else float("nan"),
        p99_ms=_ms(p99.group(1)) if p99 else float("nan"),
    )


def run_wrk(
    wrk: str,
    url: str,
    *,
    connections: int,
    duration: float,
    core: int | None,
    headers: Sequence[str] = (),
) -> LoadResult:
    command = [wrk, "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    done = subprocess.run(
        pinned([*command, "--timeout", "10s", url], core),
        capture_output=True,
        text=True,
        timeout=duration + 60,
    )
    return parse_wrk(done.stdout)


def run_python_load(
    url: str, *, connections: int, duration: float, core: int | None, headers: Sequence[str] = ()
) -> LoadResult:
    command = [PYTHON, __file__, url, f"--connections={connections}", f"--duration={duration}"]
    command += [f"--header={header}" for header in headers]
    done = subprocess.run(
        pinned(command, core), capture_output=True, text=True, timeout=duration + 60
    )
    if done.returncode != 0:
        raise RuntimeError(f"the load generator failed:\n{done.stderr}")
    return LoadResult(**json.loads(done.stdout))


class Load:
    """The load generator this run uses: wrk when it can be had, else the Python one."""

    def __init__(self, *, core: int | None = LOAD_CORE) -> None:
        self.wrk = ensure_wrk()
        self.core = core

    @property
    def name(self) -> str:
        return "wrk 1 thread" if self.wrk else "Python keep-alive generator (wrk not available)"

    def run(
        self,
        url: str,
        *,
        connections: int = CONNECTIONS,
        duration: float = DURATION_S,
        headers: Sequence[str] = (),
    ) -> LoadResult:
        """Load `url`; `headers` are extra request header lines (``"Accept-Encoding: gzip"``)."""
        if self.wrk:
            return run_wrk(
                self.wrk,
                url,
                connections=connections,
                duration=duration,
                core=self.core,
                headers=headers,
            )
        return run_python_load(
            url, connections=connections, duration=duration, core=self.core, headers=headers
        )

    def best_of(
        self,
        url: str,
        rounds: int = 1,
        *,
        connections: int = CONNECTIONS,
        duration: float = DURATION_S,
    ) -> LoadResult:
        """The median run (by throughput) of `rounds`, after a one-second warm-up."""
        self.run(url, connections=connections, duration=1)
        results = sorted(
            (self.run(url, connections=connections, duration=duration) for _ in range(rounds)),
            key=lambda r: r.rps,
        )
        return results[len(results) // 2]


def python_load(
    url: str, *, connections: int, duration: float, headers: Sequence[str] = ()
) -> LoadResult:
    """Keep `connections` keep-alive connections busy with GET `url` for `duration` seconds.

    One thread and a selector: each connection sends a request, reads the whole answer
    (Content-Length or chunked) and sends the next. Latency is per request.
    """
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host = parts.hostname or "127.0.0.1"
    extra = "".join(f"{header}\r\n" for header in headers)
    request = f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n{extra}\r\n".encode()
    selector = selectors.DefaultSelector()
    latencies: list[float] = []
    errors = 0
    state: dict[socket.socket, list[Any]] = {}  # sock -> [buffer, sent_at]

    def connect() -> None:
        sock = socket.create_connection((host, parts.port or 80))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        state[sock] = [b"", time.perf_counter()]
        sock.send(request)
        selector.register(sock, selectors.EVENT_READ)

    for _ in range(connections):
        connect()
    started = time.perf_counter()
    deadline = started + duration
    while True:
        now = time.perf_counter()
        if now >= deadline:
            break
        for key, _ in selector.select(timeout=deadline - now):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            entry = state[sock]
            try:
                chunk = sock.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:  # the server closed the connection: count it, open another
                errors += 1
                selector.unregister(sock)
                sock.close()
                del state[sock]
                connect()
                continue
            entry[0] += chunk
            complete = _complete(entry[0])
            if complete is None:
                continue
            status, used = complete
            done = time.perf_counter()
            latencies.append(done - entry[1])
            if not 200 <= status < 400:
                errors += 1
            entry[0] = entry[0][used:]
            entry[1] = done
            sock.send(request)
    elapsed = time.perf_counter() - started
    for sock in state:
        sock.close()
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1e3 if latencies else 0

    return LoadResult("python", len(latencies), elapsed, errors, pct(0.50), pct(0.99))


def _complete(buffer: bytes) -> tuple[int, int] | None:
    """(status, bytes used) when `buffer` holds a whole response, else None."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = buffer[:end].decode("latin-1")
    status = int(head[9:12])
    lowered = head.lower()
    length = re.search(r"\r\ncontent-length:\s*(\d+)", lowered)
    if length:
        total = end + 4 + int(length.group(1))
        return (status, total) if len(buffer) >= total else None
    if "transfer-encoding: chunked" in lowered:
        tail = buffer.find(b"\r\n0\r\n\r\n", end)
        return (status, tail + 7) if tail >= 0 else None
    return status, end + 4  # no body (204, 304, ...)


# -- output ---------------------------------------------------------------------------------


def print_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain fixed-width table: the first column left-aligned, the rest right-aligned."""
    cells = [[str(c) for c in header]] + [[_cell(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for n, row in enumerate(cells):
        padded = [c.rjust(w) for c, w in zip(row, widths, strict=True)]
        padded[0] = row[0].ljust(widths[0])
        line = "  ".join(padded)
        print(line.rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def print_targets(targets: Sequence[tuple[str, bool | None]]) -> None:
    """``HOLDS``/``MISSED`` per target; None means it could not be measured in this run."""
    print("\ntargets:")
    for name, held in targets:
        mark = "n/a   " if held is None else ("HOLDS " if held else "MISSED")
        print(f"  {mark}  {name}")


def bar_chart(
    name: str,
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    ylabel: str,
    log: bool = False,
    notes: Sequence[str] | None = None,
) -> Path | None:
    """Write benchmarks/results/<name>.png (matplotlib, installed on demand); its path or None."""
    if not ensure_module("matplotlib", "matplotlib"):
        print("[matplotlib could not be installed: no chart written]")
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    RESULTS.mkdir(parents=True, exist_ok=True)
    figure, axes = plt.subplots(figsize=(max(6.0, 1.6 * len(labels)), 4.5))
    bars = axes.bar(labels, values, color="#3b6ea8")
    for bar, note in zip(bars, notes or [f"{v:,.0f}" for v in values], strict=True):
        axes.annotate(
            note,
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    top = max(values, default=1.0) or 1.0
    if log:
        axes.set_yscale("log")
    axes.set_ylim(top=top * (5 if log else 1.3))  # room for the notes above the bars
    axes.set_ylabel(ylabel)
    axes.set_title(title, fontsize=10)
    axes.tick_params(axis="x", labelsize=8)
    figure.tight_layout()
    path = RESULTS / f"{name}.png"
    figure.savefig(path, dpi=120)
    plt.close(figure)
    print(f"\nchart: {path.relative_to(ROOT)}")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A small keep-alive HTTP load generator.")
    parser.add_argument("url")
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    parser.add_argument("--duration", type=float, default=DURATION_S)
    parser.add_argument("--header", action="append", default=[], help="an extra header line")
    args = parser.parse_args(argv)
    result = python_load(
        args.url, connections=args.connections, duration=args.duration, headers=args.header
    )
    print(json.dumps(asdict(result)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
