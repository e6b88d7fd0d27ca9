"""Checks on a request head before any handler runs: framing, Host, and the connection cap.

Each check returns None for a head that may go on, else the refusal: a status and a
one-line reason (for the request log). They take plain header pairs, so they know
nothing of tornado.

>>> framing_error([("Content-Length", "5"), ("Transfer-Encoding", "chunked")])
(400, 'both Content-Length and Transfer-Encoding')
>>> framing_error([("Content-Length", "+5")])
(400, "invalid Content-Length '+5'")
>>> framing_error([("Transfer-Encoding", "Chunked")]) is None
True
>>> host_error("evil.example:8000", frozenset())
(403, "Host 'evil.example:8000' is not a loopback name")
>>> host_error("localhost:8000", frozenset()) is None
True
"""

from __future__ import annotations

import ipaddress
import os
import resource
from collections.abc import Iterable, Sequence

Refusal = tuple[int, str]

# Names a browser on this machine uses for a loopback server (Jupyter Server's
# local_hostnames default is ["localhost"]; IP literals are checked as addresses).
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})
ALLOWED_HOSTS_ENV = "NOTEBOOK_ROUTES_ALLOWED_HOSTS"
MAX_CONNECTIONS_CAP = 10_000  # when RLIMIT_NOFILE is unlimited (or huge)


def framing_error(headers: Iterable[tuple[str, str]]) -> Refusal | None:
    """Refuse a head whose body framing is ambiguous (RFC 9112 §6), as a smuggler sends it.

    >>> framing_error([("Content-Length", "5"), ("content-length", "6")])
    (400, 'unequal Content-Length headers')
    >>> framing_error([("Content-Length", "5"), ("Content-Length", "5")]) is None
    True
    >>> framing_error([("Transfer-Encoding", "chunked, identity")])
    (400, "unsupported Transfer-Encoding 'chunked, identity'")
    """
    lengths: list[str] = []
    encodings: list[str] = []
    for name, value in headers:
        lowered = name.lower()
        if lowered == "content-length":
            lengths.extend(v.strip() for v in value.split(","))
        elif lowered == "transfer-encoding":
            encodings.append(value.strip())
    if lengths and encodings:
        return 400, "both Content-Length and Transfer-Encoding"
    for length in lengths:
        if not length.isascii() or not length.isdigit():
            return 400, f"invalid Content-Length {length!r}"
    if len(set(int(length) for length in lengths)) > 1:
        return 400, "unequal Content-Length headers"
    if encodings and (len(encodings) > 1 or encodings[0].lower() != "chunked"):
        return 400, f"unsupported Transfer-Encoding {', '.join(encodings)!r}"
    return None


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine only.

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(configured: Sequence[str] | None) -> frozenset[str]:
    """The extra Host names a loopback server answers: `configured`, else the environment.

    ``"*"`` allows any Host (as Jupyter Server's ``allow_remote_access``).

    >>> sorted(allowed_hosts(["Notebook.Local", "*"]))
    ['*', 'notebook.local']
    """
    if configured is None:
        configured = [h for h in os.environ.get(ALLOWED_HOSTS_ENV, "").split(",") if h.strip()]
    return frozenset(h.strip().lower() for h in configured)


_VERDICTS_MAX = 256  # Host values remembered: a server sees a handful, an attacker many
_verdicts: dict[tuple[str, frozenset[str]], Refusal | None] = {}


def host_error(host: str | None, allowed: frozenset[str]) -> Refusal | None:
    """Refuse a Host that is not a loopback name: a DNS-rebinding page sends its own name.

    >>> host_error("[::1]:80", frozenset()) is None, host_error("127.0.0.2", frozenset())
    (True, None)
    >>> host_error("app.test", frozenset({"app.test"})) is None
    True
    """
    if host is None or "*" in allowed:
        return None  # HTTP/1.0 without Host: nothing a browser sends
    key = (host, allowed)
    try:
        return _verdicts[key]  # parsing an IP address costs more than the rest of the checks
    except KeyError:
        pass
    verdict = _host_verdict(host, allowed)
    if len(_verdicts) < _VERDICTS_MAX:
        _verdicts[key] = verdict
    return verdict


def _host_verdict(host: str, allowed: frozenset[str]) -> Refusal | None:
    name = host.lower()
    if name.startswith("["):
        name = name[1 : name.find("]")] if "]" in name else name
    else:
        name = name.rsplit(":", 1)[0] if name.count(":") == 1 else name
    if name in LOOPBACK_NAMES or name.endswith(".localhost") or name in allowed:
        return None
    try:
        if ipaddress.ip_address(name).is_loopback:
            return None
    except ValueError:
        pass
    return 403, f"Host {host!r} is not a loopback name"


def connection_cap(configured: int | None) -> int:
    """How many connections the server holds open at once.

    Default: half the process's soft ``RLIMIT_NOFILE``, so the kernel that shares the
    process (ZeroMQ sockets, files, subprocesses) always has descriptors left.

    >>> connection_cap(50)
    50
    >>> connection_cap(None) >= 8
    True
    """
    if configured is not None:
        return configured
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft > 2 * MAX_CONNECTIONS_CAP:
        return MAX_CONNECTIONS_CAP
    return max(8, soft // 2)
