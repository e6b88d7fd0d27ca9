"""Robustness checks (issue 7): load, faults and bad input, on loopback only, bounded in count
and time. The helpers below measure the process that runs the server and speak raw HTTP.

>>> resident_bytes() > 0 and open_fds() > 0
True
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Callable

WORKER_PREFIX = "notebook-routes-worker"


def resident_bytes(pid: int | None = None) -> int:
    """VmRSS of a process (this one by default), from /proc/<pid>/status."""
    with open(f"/proc/{pid or os.getpid()}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc status")


def open_fds(pid: int | None = None) -> int:
    return len(os.listdir(f"/proc/{pid or os.getpid()}/fd"))


def threads_besides_workers() -> list[str]:
    """Names of live threads, leaving out the server's worker pool (it grows to its bound)."""
    return sorted(t.name for t in threading.enumerate() if not t.name.startswith(WORKER_PREFIX))


def worker_threads() -> int:
    return sum(t.name.startswith(WORKER_PREFIX) for t in threading.enumerate())


def settles(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Whether `check()` becomes true within `timeout` s (closing sockets takes a moment)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def response_end(data: bytes, *, head: bool = False) -> int | None:
    """Where the first response in `data` ends, if it is complete (Content-Length framing).

    An answer to HEAD (`head`), a 204 and a 304 end with their headers.
    """
    head_end = data.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    if head or status_of(data) in (204, 304):
        return head_end + 4
    length = re.search(rb"\r\ncontent-length:\s*(\d+)", data[:head_end].lower())
    end = head_end + 4 + (int(length.group(1)) if length else 0)
    return end if len(data) >= end else None


def exchange(
    port: int, data: bytes, *, wait: float = 5.0, first_byte: float | None = None
) -> bytes:
    """Send raw bytes on a new connection; return what came back.

    Reading stops when one whole response is in, when the server closes, after `wait` s,
    or after `first_byte` s if nothing at all has arrived by then (a request the server
    is still waiting to complete).
    """
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(data)
        received = b""
        deadline = time.monotonic() + wait
        head = data.startswith(b"HEAD ")
        while response_end(received, head=head) is None:
            left = deadline - time.monotonic()
            if not received and first_byte is not None:
                left = min(left, first_byte)
            if left <= 0:
                break
            sock.settimeout(left)
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                if not received and first_byte is not None:
                    break
                continue
            except ConnectionError:
                break
            if not chunk:
                break
            received += chunk
        return received


def status_of(response: bytes) -> int | None:
    """The status code of a raw response, None for no (or no well-formed) status line."""
    found = re.match(rb"HTTP/1\.[01] (\d{3}) ", response)
    return int(found.group(1)) if found else None
