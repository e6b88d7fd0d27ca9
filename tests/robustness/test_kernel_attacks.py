"""Attacks that reach the Jupyter kernel itself (issue 19, items 1, 6, 8 and 9): a real
kernel through jupyter_client, or ``notebook-routes serve`` in a subprocess."""

from __future__ import annotations

import errno
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from notebook_routes._client import send
from tests.kernel import Kernel

pytestmark = pytest.mark.timeout(180)

KERNEL_FD_LIMIT = 256  # macOS's default soft limit; Linux's is often 1024
FLOOD = 400  # idle connections: more than the kernel has descriptors left


@pytest.fixture
def kernel() -> Iterator[Kernel]:
    k = Kernel()
    try:
        yield k
    finally:
        k.shutdown()


def flood(port: int, count: int) -> list[socket.socket]:
    """`count` connections that never send a byte (non-blocking: a full backlog waits)."""
    held = []
    for _ in range(count):
        sock = socket.socket()
        sock.setblocking(False)
        code = sock.connect_ex(("127.0.0.1", port))
        assert code in (0, errno.EINPROGRESS), os.strerror(code)
        held.append(sock)
    return held


def test_a_connection_flood_never_exhausts_the_kernels_file_descriptors(kernel):
    kernel.ok(
        "import resource\n"
        "_, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
        f"resource.setrlimit(resource.RLIMIT_NOFILE, ({KERNEL_FD_LIMIT}, hard))\n"
        "import notebook_routes as nr\n"
        "nr.default_app().add('/fast', {'GET': lambda: 'fast'})\n"
    )
    url = kernel.url
    port = int(url.rsplit(":", 1)[1])
    before = kernel.value("__import__('tests.robustness', fromlist=['x']).resident_bytes()")
    held = flood(port, FLOOD)
    try:
        time.sleep(2)  # let the server take what it will
        started = time.perf_counter()
        got = send(url, "GET", "/fast", timeout=20)  # before: timed out
        latency = (time.perf_counter() - started) * 1000
        assert (got.status, got.text) == (200, "fast")
        # A cell runs and its output arrives (before: IOPub died of EMFILE, for good).
        figures = kernel.ok(
            "import os\nfrom tests.robustness import resident_bytes\n"
            "srv = nr.server()\n"
            "print(len(os.listdir('/proc/self/fd')), srv.open_connections, srv.connection_cap,"
            " resident_bytes())",
            timeout=30,
        ).stdout.split()
        fds, connections, cap, rss = map(int, figures)
        print(
            f"\nflood of {FLOOD} at ulimit {KERNEL_FD_LIMIT}: kernel fds {fds}, connections "
            f"held {connections} (cap {cap}), RSS {before / 2**20:.0f} -> {rss / 2**20:.0f} MB,"
            f" fast route {latency:.0f} ms"
        )
        assert cap == KERNEL_FD_LIMIT // 2 and connections <= cap and fds < KERNEL_FD_LIMIT
        assert rss - before < 30 * 2**20
    finally:
        for sock in held:
            sock.close()
    got = send(url, "GET", "/fast", timeout=20)
    assert (got.status, got.text) == (200, "fast")
    assert kernel.ok("print(6 * 7)").stdout.strip() == "42"


def test_the_kernel_never_prints_the_token(kernel):
    # A network bind generates a token: the cell output (saved in the .ipynb) must not show it.
    shown = kernel.ok("import notebook_routes as nr\nsrv = nr.start(host='0.0.0.0', port=0)")
    token = kernel.value("srv.token")
    assert len(token) >= 20 and token not in shown.text
    assert "notebook_routes.server().token" in shown.text


def test_reload_ext_keeps_the_servers_port(kernel):
    kernel.ok("%load_ext notebook_routes")
    before = kernel.url
    kernel.ok("%reload_ext notebook_routes")
    kernel.forget_url()
    assert kernel.url == before  # before: a new port, every printed link broken
    kernel.ok("%reload_ext notebook_routes")
    kernel.forget_url()
    assert kernel.url == before


def test_serve_workers_share_one_token_printed_once_on_stderr(tmp_path: Path):
    route = tmp_path / "app" / "api" / "hello"
    route.mkdir(parents=True)
    (route / "route.py").write_text("def GET():\n    return {'ok': True}\n")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "notebook_routes", "serve", str(tmp_path / "app")]
    command += ["--host", "0.0.0.0", "--port", str(port), "--workers", "3", "--threads", "2"]
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        line = proc.stderr.readline()
        found = re.search(r"Bearer (\S+)'", line)
        assert found, line
        token = found.group(1)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                send(url, "GET", "/api/hello", token=token, timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        statuses = [send(url, "GET", "/api/hello", token=token).status for _ in range(60)]
        assert statuses == [200] * 60  # before: each worker had its own token (401s)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the parent and the workers it forked
        out, err = proc.communicate(timeout=20)
    assert token not in out and err.count(token) == 0  # shown once, the line read above
