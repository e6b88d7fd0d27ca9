"""Raw HTTP/1.1 over a socket: send bytes exactly as given, read and parse what comes back.

No client library sits in between, so a request can carry what curl or a browser would
send unnormalised (lower-case methods, raw UTF-8 in the target, odd header bytes), and a
response whose framing is wrong shows up as such instead of being repaired.

    >>> answer = parse(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nhi", head=False)
    >>> answer.status, answer.body, answer.framing
    (200, b'hi', 'length')
"""

from __future__ import annotations

import gzip
import socket
import time
import zlib
from dataclasses import dataclass, field


@dataclass
class Answer:
    """One parsed response (or the reason there is none)."""

    status: int | None = None  # None: no status line came back
    reason: str = ""
    version: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)  # names lower-cased
    body: bytes = b""  # after chunked decoding and Content-Encoding
    framing: str = ""  # "length", "chunked", "close", "none" (HEAD/1xx/204/304)
    problems: list[str] = field(default_factory=list)  # framing errors, hangs
    interim: list[int] = field(default_factory=list)  # 1xx status codes seen first
    followup: int | None = None  # status of the pipelined follow-up request, if sent
    elapsed: float = 0.0

    def get(self, name: str) -> str | None:
        values = self.all(name)
        return ", ".join(values) if values else None

    def all(self, name: str) -> list[str]:
        return [v for n, v in self.headers if n == name]


FOLLOWUP = b"GET /api/hello HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def exchange(
    address: tuple[str, int], raw: bytes, *, head: bool, pipeline: bool, timeout: float
) -> Answer:
    """Send ``raw`` (and a follow-up GET when ``pipeline``), read until close or ``timeout``.

    ``head`` says the response carries no body whatever its headers say (an exact ``HEAD``).
    """
    started = time.monotonic()
    data = bytearray()
    timed_out = False
    with socket.create_connection(address, timeout=timeout) as sock:
        try:
            sock.sendall(raw + (FOLLOWUP if pipeline else b""))
        except OSError as error:  # the server closed early (an oversized request, say)
            pending = f"send failed: {error.__class__.__name__}"
        else:
            pending = ""
        deadline = started + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            sock.settimeout(remaining)
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                timed_out = True
                break
            except OSError:  # reset by peer: keep what arrived
                break
            if not chunk:
                break
            data.extend(chunk)
    answer = parse(bytes(data), head=head, pipeline=pipeline)
    if pending and answer.status is None:
        answer.problems.append(pending)
    if timed_out:
        answer.problems.append(f"connection still open after {timeout:g}s")
    answer.elapsed = time.monotonic() - started
    return answer


def parse(data: bytes, *, head: bool, pipeline: bool = False) -> Answer:
    """Parse one response (skipping 1xx), then the pipelined follow-up's status line."""
    answer = Answer()
    rest = data
    while True:
        end = rest.find(b"\r\n\r\n")
        if end < 0:
            if rest:
                answer.problems.append(f"incomplete head: {rest[:60]!r}")
            else:
                answer.problems.append("no bytes")
            return answer
        head_block, rest = rest[:end], rest[end + 4 :]
        lines = head_block.split(b"\r\n")
        version, _, status_reason = lines[0].decode("latin-1").partition(" ")
        status_text, _, reason = status_reason.partition(" ")
        try:
            status = int(status_text)
        except ValueError:
            answer.problems.append(f"bad status line: {lines[0][:60]!r}")
            return answer
        if 100 <= status < 200 and status != 101:
            answer.interim.append(status)
            continue
        break
    answer.status, answer.reason, answer.version = status, reason, version
    for line in lines[1:]:
        name, sep, value = line.decode("latin-1").partition(":")
        if not sep:
            answer.problems.append(f"bad header line: {line[:60]!r}")
            continue
        answer.headers.append((name.strip().lower(), value.strip()))
    length = answer.get("content-length")
    chunked = "chunked" in (answer.get("transfer-encoding") or "").lower()
    if head or status in (204, 304):
        answer.framing = "none"
        body, rest = b"", rest
    elif chunked:
        answer.framing = "chunked"
        body, rest = _dechunk(rest, answer.problems)
    elif length is not None:
        answer.framing = "length"
        try:
            size = int(length)
        except ValueError:
            answer.problems.append(f"bad Content-Length {length!r}")
            size = len(rest)
        body, rest = rest[:size], rest[size:]
        if len(body) < size:
            answer.problems.append(f"Content-Length {size} but {len(body)} body bytes")
    else:
        answer.framing = "close"
        body, rest = rest, b""
    answer.body = _decode(body, answer.get("content-encoding"), answer.problems)
    if pipeline:
        if rest.startswith(b"HTTP/"):
            try:
                answer.followup = int(rest.split(b" ", 2)[1])
            except (IndexError, ValueError):
                answer.problems.append("pipelined answer unreadable")
        elif rest:
            answer.problems.append(f"bytes after the body: {rest[:40]!r}")
    elif rest:
        answer.problems.append(f"bytes after the body: {rest[:40]!r}")
    return answer


def _dechunk(data: bytes, problems: list[str]) -> tuple[bytes, bytes]:
    body = bytearray()
    while True:
        end = data.find(b"\r\n")
        if end < 0:
            problems.append("chunked body cut short")
            return bytes(body), b""
        size_text = data[:end].split(b";")[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            problems.append(f"bad chunk size {size_text[:20]!r}")
            return bytes(body), b""
        data = data[end + 2 :]
        if size == 0:
            trailer_end = data.find(b"\r\n")
            while trailer_end > 0:  # skip trailer fields
                data = data[trailer_end + 2 :]
                trailer_end = data.find(b"\r\n")
            return bytes(body), data[2:] if trailer_end == 0 else b""
        if len(data) < size + 2:
            problems.append("chunked body cut short")
            return bytes(body) + data[:size], b""
        body.extend(data[:size])
        data = data[size + 2 :]


def _decode(body: bytes, encoding: str | None, problems: list[str]) -> bytes:
    if not encoding or not body:
        return body
    try:
        if encoding.lower() == "gzip":
            return gzip.decompress(body)
        if encoding.lower() == "deflate":
            return zlib.decompress(body)
        if encoding.lower() == "br":
            problems.append("brotli body left encoded")
    except (OSError, EOFError, zlib.error) as error:
        problems.append(f"{encoding} body does not decode: {error}")
    return body
