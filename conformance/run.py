"""Differential conformance run: the same raw requests to `next start` and `notebook-routes serve`.

    .venv/bin/python conformance/run.py --seed 1 --count 3000

Installs and builds conformance/next-app (a Next.js 16.4.6 copy of notebooks/app/) when
needed, starts both servers on free loopback ports, sends a seeded stream of generated
requests byte for byte to each, and prints the differences grouped by cause: bugs and
unexplained groups first, documented deviations and Next.js internals apart. It is a
report: the exit status is 0 whatever it finds, non-zero only when it cannot run.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _compare import differences, explain  # noqa: E402
from _requests import Request, discover, generate  # noqa: E402
from _wire import Answer, exchange  # noqa: E402

ROOT = HERE.parent
NEXT_APP = HERE / "next-app"
APP_DIR = ROOT / "notebooks" / "app"
ORDER = {
    "bug": 0,
    "unexplained": 1,
    "known-bug": 2,
    "documented": 3,
    "next-internal": 4,
    "harmless": 5,
}


class CannotRun(Exception):
    """Something the run needs is missing; the message says what to do."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1, help="request stream seed (default 1)")
    parser.add_argument("--count", type=int, default=3000, help="requests (default 3000)")
    parser.add_argument(
        "--only-cause",
        metavar="TEXT",
        help="show only causes whose name contains TEXT, with all examples",
    )
    parser.add_argument(
        "--keep-servers",
        action="store_true",
        help="leave both servers running at the end (their PIDs are printed)",
    )
    parser.add_argument("--next-url", metavar="HOST:PORT", help="use a running next start")
    parser.add_argument("--ours-url", metavar="HOST:PORT", help="use a running serve")
    parser.add_argument("--examples", type=int, default=1, help="examples per cause (default 1)")
    parser.add_argument("--jobs", type=int, default=6, help="requests in flight (default 6)")
    parser.add_argument(
        "--timeout", type=float, default=6.0, help="seconds to wait for one answer (default 6)"
    )
    parser.add_argument("--rebuild", action="store_true", help="run next build even if built")
    args = parser.parse_args(argv)
    started: list[subprocess.Popen[bytes]] = []
    try:
        nxt = _address(args.next_url) if args.next_url else None
        ours = _address(args.ours_url) if args.ours_url else None
        if nxt is None:
            _install_and_build(args.rebuild)
            port = _free_port()
            started.append(
                _start(
                    [
                        str(NEXT_APP / "node_modules" / ".bin" / "next"),
                        "start",
                        "-H",
                        "127.0.0.1",
                        "-p",
                        str(port),
                    ],
                    NEXT_APP,
                    "next start",
                )
            )
            nxt = ("127.0.0.1", port)
        if ours is None:
            port = _free_port()
            started.append(
                _start(
                    [
                        sys.executable,
                        "-m",
                        "notebook_routes",
                        "serve",
                        str(APP_DIR),
                        "--port",
                        str(port),
                    ],
                    ROOT,
                    "notebook-routes serve",
                )
            )
            ours = ("127.0.0.1", port)
        for address, proc in zip((nxt, ours), started + [None, None], strict=False):
            _wait_ready(address, proc)
        print(
            f"next start at {nxt[0]}:{nxt[1]}, notebook-routes serve at {ours[0]}:{ours[1]}",
            flush=True,
        )
        _run(args, nxt, ours)
    except CannotRun as error:
        print(f"conformance: cannot run: {error}", file=sys.stderr)
        return 2
    finally:
        if args.keep_servers:
            for proc in started:
                print(f"left running: {' '.join(proc.args[:3])} ... (pid {proc.pid})")
        else:
            for proc in started:
                _stop(proc)
    return 0


# -- servers --------------------------------------------------------------------------


def _install_and_build(rebuild: bool) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise CannotRun("npm is not on PATH (Node.js 20.9+ is needed for Next.js 16)")
    installed = NEXT_APP / "node_modules" / "next" / "package.json"
    if not installed.exists():
        command = "ci" if (NEXT_APP / "package-lock.json").exists() else "install"
        print(f"npm {command} in {NEXT_APP} (a minute or two) ...", flush=True)
        _check([npm, command, "--no-audit", "--no-fund"], "npm " + command)
    build_id = NEXT_APP / ".next" / "BUILD_ID"
    sources = [p for p in (NEXT_APP / "app").rglob("*") if p.is_file()]
    sources.append(NEXT_APP / "package.json")
    newest = max(p.stat().st_mtime for p in sources)
    if rebuild or not build_id.exists() or build_id.stat().st_mtime < newest:
        print("next build (a minute or two on a busy machine) ...", flush=True)
        _check([str(NEXT_APP / "node_modules" / ".bin" / "next"), "build"], "next build")


def _check(command: list[str], what: str) -> None:
    env = dict(os.environ, NEXT_TELEMETRY_DISABLED="1")
    done = subprocess.run(command, cwd=NEXT_APP, env=env, capture_output=True, timeout=1800)
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).decode(errors="replace")[-2000:]
        raise CannotRun(f"{what} failed (exit {done.returncode}):\n{tail}")


def _start(command: list[str], cwd: Path, what: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, NEXT_TELEMETRY_DISABLED="1", NODE_ENV="production")
    log = open(f"/tmp/conformance-{what.split()[0]}-{os.getpid()}.log", "wb")  # noqa: SIM115
    try:
        proc = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    except OSError as error:
        raise CannotRun(f"{what} did not start: {error}") from error
    proc.log_path = log.name  # type: ignore[attr-defined]
    return proc


def _wait_ready(address: tuple[str, int], proc: subprocess.Popen[bytes] | None) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            log = Path(proc.log_path).read_text(errors="replace")[-2000:]  # type: ignore[attr-defined]
            raise CannotRun(f"{proc.args[0]} exited ({proc.returncode}):\n{log}")
        try:
            answer = exchange(
                address,
                b"GET /api/hello HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                head=False,
                pipeline=False,
                timeout=5,
            )
        except OSError:
            time.sleep(0.3)
            continue
        if answer.status == 200:
            return
        time.sleep(0.3)
    raise CannotRun(f"nothing answered GET /api/hello at {address[0]}:{address[1]} in 90 s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # its own session: next start's workers too
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if host not in ("127.0.0.1", "localhost", "[::1]"):
        raise CannotRun(f"{text}: only loopback servers are compared")
    return host.strip("[]"), int(port)


# -- the run --------------------------------------------------------------------------


def _run(args: argparse.Namespace, nxt: tuple[str, int], ours: tuple[str, int]) -> None:
    routes = discover(APP_DIR)
    requests = list(generate(routes, seed=args.seed, count=args.count))
    print(
        f"{len(routes)} routes from {APP_DIR.relative_to(ROOT)}; {len(requests)} requests, "
        f"seed {args.seed}",
        flush=True,
    )

    def both(req: Request) -> tuple[Request, Answer, Answer]:
        pair = []
        for address in (nxt, ours):
            try:
                pair.append(
                    exchange(
                        address, req.raw, head=req.head, pipeline=req.pipeline, timeout=args.timeout
                    )
                )
            except OSError as error:
                pair.append(Answer(problems=[f"connect failed: {error}"]))
        return req, pair[0], pair[1]

    groups: dict[tuple[str, str], list[tuple[Request, Answer, Answer]]] = collections.defaultdict(
        list
    )
    same = 0
    begun = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for done, (req, a, b) in enumerate(pool.map(both, requests), 1):
            aspects = differences(a, b)
            if not aspects:
                same += 1
            for cause in explain(req, a, b, aspects):
                groups[(cause.name, cause.verdict)].append((req, a, b))
            if done % 500 == 0:
                print(f"  {done} sent ({time.monotonic() - begun:.0f} s)", flush=True)
    _report(args, groups, same, len(requests))


def _report(args: argparse.Namespace, groups: dict, same: int, total: int) -> None:
    print(
        f"\n{total} requests, seed {args.seed}: {same} answered the same, "
        f"{total - same} differ in at least one way\n"
    )
    keys = sorted(groups, key=lambda k: (ORDER.get(k[1], 9), -len(groups[k]), k[0]))
    if args.only_cause:
        keys = [k for k in keys if args.only_cause.lower() in k[0].lower()]
    verdict = None
    for name, kind in keys:
        if kind != verdict:
            verdict = kind
            title = {
                "bug": "BUGS",
                "unexplained": "UNEXPLAINED (no rule yet; read them)",
                "known-bug": "KNOWN BUGS (issue 12 items 1-7)",
                "documented": "DOCUMENTED DEVIATIONS",
                "next-internal": "NEXT.JS INTERNALS",
                "harmless": "HARMLESS (ours at least as correct; no change proposed)",
            }[kind]
            print(f"=== {title}")
        hits = groups[(name, kind)]
        print(f"\n[{len(hits)}] {name}")
        shown = sorted(hits, key=lambda h: len(h[0].raw))
        limit = len(shown) if args.only_cause else args.examples
        for req, a, b in shown[:limit]:
            _example(req, a, b)
    print(
        "\ncauses: "
        + ", ".join(
            f"{k[1]}={sum(1 for x in keys if x[1] == k[1])}"
            for k in dict.fromkeys((None, k[1]) for k in keys)
        )
    )


def _example(req: Request, nxt: Answer, ours: Answer) -> None:
    raw = (
        req.raw
        if len(req.raw) < 600
        else req.raw[:500] + b"...(" + str(len(req.raw)).encode() + b" bytes)"
    )
    print(f"  request #{req.index} tags={','.join(req.tags) or '-'}")
    print("    " + repr(raw)[2:-1].replace("\\r\\n", "\\r\\n\n    "))
    for label, answer in (("next", nxt), ("ours", ours)):
        print(f"  {label}: {_describe(answer)}")
    for aspect in differences(nxt, ours):
        print(f"    ~ {aspect}")


def _describe(answer: Answer) -> str:
    if answer.status is None:
        return "no answer: " + "; ".join(answer.problems)
    from _compare import headers

    shown = ", ".join(f"{k}: {v}" for k, v in headers(answer).items())
    body = answer.body if len(answer.body) <= 160 else answer.body[:150] + b"..."
    extra = f" problems={answer.problems}" if answer.problems else ""
    follow = f" followup={answer.followup}" if answer.followup is not None else ""
    return f"{answer.status} [{shown}] body={body!r}{extra}{follow}"


if __name__ == "__main__":
    sys.exit(main())
