"""The request log: a bounded, thread-safe record of what the server answered.

The server thread appends; the notebook and the inspector read. Listeners are
called on the thread that appended, so a listener that touches widgets must hand the
entry over to the kernel's own loop.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from urllib.parse import unquote

DEFAULT_LOG_SIZE = 1000
# Bodies are kept up to this many bytes per entry (for HAR export and the OpenAPI examples):
# 1000 entries hold at most ~16 MiB of bodies.
BODY_SAMPLE_BYTES = 8192


@dataclass
class LogEntry:
    """One answered request, as `requests_table()` shows it."""

    time: float  # epoch seconds when the request arrived
    method: str
    path: str
    route: str | None
    params: dict[str, str | list[str]]
    status: int
    duration_ms: float
    cache: str | None = None  # HIT / MISS / STALE for cached routes
    error: str | None = None  # one line, for a failed request
    traceback: str | None = None  # the handler's traceback, for a 500
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    query: str = ""  # "?a=1" as sent, or ""
    request_body: bytes | None = None  # the first BODY_SAMPLE_BYTES of each body
    response_body: bytes | None = None
    body_truncated: bool = False  # either body was longer than its sample
    proxy: str | None = None  # what the proxy did: "next", "rewrite to /x", "answered 403" ...
    after: list[str] = field(default_factory=list)  # how each after() callback ended


def sample(data: object, limit: int = BODY_SAMPLE_BYTES) -> tuple[bytes | None, bool]:
    """The first `limit` bytes of a body, and whether there was more.

    >>> sample(b"abc", 2), sample(None), sample(iter([]))
    ((b'ab', True), (None, False), (None, False))
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        return None, False  # a stream: sampled as it is sent, if at all
    data = bytes(data)
    return data[:limit], len(data) > limit


Listener = Callable[[LogEntry], None]

REDACTED = "[redacted]"
# Headers whose whole value is a credential.
_SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-api-key", "x-auth-token", "x-csrf-token"}
)
# Cookies named like a credential (session ids, tokens, keys): their values are hidden.
_SECRET_COOKIE = re.compile(r"sess|token|auth|secret|passw|csrf|xsrf|jwt|key|sid|login", re.I)


def redact_headers(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Header pairs fit to show: credentials and sensitive cookie values replaced.

    >>> redact_headers([("Authorization", "Bearer s3cret"), ("Accept", "*/*")])
    [('Authorization', '[redacted]'), ('Accept', '*/*')]
    >>> redact_headers([("Cookie", "theme=dark; sessionid=abc")])
    [('Cookie', 'theme=dark; sessionid=[redacted]')]
    >>> redact_headers([("Set-Cookie", "token=abc; Path=/; HttpOnly")])
    [('Set-Cookie', 'token=[redacted]; Path=/; HttpOnly')]
    """
    shown = []
    for name, value in pairs:
        lowered = name.lower()
        if lowered in _SECRET_HEADERS:
            value = REDACTED
        elif lowered == "cookie":
            value = "; ".join(_redact_cookie(part) for part in value.split(";"))
        elif lowered == "set-cookie":
            first, sep, attributes = value.partition(";")
            value = _redact_cookie(first) + sep + attributes
        shown.append((name, value))
    return shown


def _redact_cookie(pair: str) -> str:
    name, sep, _ = pair.strip().partition("=")
    return f"{name}={REDACTED}" if sep and _SECRET_COOKIE.search(name) else pair.strip()


# Set by the server around one request's dispatch: the entries it appends, so the
# server can correct an entry when the client ends up with another status (a body
# found too large after the handler answered).
_captured: ContextVar[list[LogEntry] | None] = ContextVar("notebook_routes_log", default=None)


def capture_entries() -> list[LogEntry]:
    """Collect the entries appended from now on in this context (this request's task)."""
    sink: list[LogEntry] = []
    _captured.set(sink)
    return sink


class RequestLog:
    """The newest `maxlen` entries, oldest first.

    >>> log = RequestLog(maxlen=2)
    >>> for status in (200, 404, 500):
    ...     log.append(LogEntry(0.0, "GET", "/", None, {}, status, 1.0))
    >>> [e.status for e in log]
    [404, 500]
    """

    def __init__(self, maxlen: int = DEFAULT_LOG_SIZE) -> None:
        if not isinstance(maxlen, int) or isinstance(maxlen, bool) or maxlen < 1:
            raise ValueError(f"maxlen must be a positive int, got {maxlen!r}")
        self._entries: deque[LogEntry] = deque(maxlen=maxlen)
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    @property
    def maxlen(self) -> int:
        return self._entries.maxlen or DEFAULT_LOG_SIZE

    def resize(self, maxlen: int) -> None:
        if not isinstance(maxlen, int) or isinstance(maxlen, bool) or maxlen < 1:
            raise ValueError(f"maxlen must be a positive int, got {maxlen!r}")
        with self._lock:
            self._entries = deque(self._entries, maxlen=maxlen)

    def append(self, entry: LogEntry) -> None:
        # Redacted once, here: the table, the inspector and the HTML snapshot all read
        # entries, and a notebook's outputs are saved with it.
        entry.request_headers = redact_headers(entry.request_headers)
        entry.response_headers = redact_headers(entry.response_headers)
        sink = _captured.get()
        if sink is not None:
            sink.append(entry)
        with self._lock:
            self._entries.append(entry)
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(entry)
            except Exception:  # a broken listener must never hurt the server
                pass

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(entry)` for every new entry; returns a function that unsubscribes."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def answer_to(self, method: str, path: str, status: int, *, since: float) -> LogEntry | None:
        """The newest entry for `method` `path` answered with `status` that arrived at or after
        `since`: how a client in this process finds out why its request failed.

        >>> log = RequestLog()
        >>> log.append(LogEntry(5.0, "GET", "/boom", "/boom", {}, 500, 1.0, error="ValueError: x"))
        >>> log.answer_to("GET", "/boom?a=1", 500, since=4.0).error
        'ValueError: x'
        >>> log.answer_to("GET", "/boom", 500, since=6.0) is None
        True
        """
        wanted = unquote(path.partition("?")[0])
        with self._lock:
            entries = list(self._entries)
        for entry in reversed(entries):
            if entry.time < since:
                return None
            if entry.method == method and entry.status == status and unquote(entry.path) == wanted:
                return entry
        return None

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __iter__(self) -> Iterator[LogEntry]:
        with self._lock:
            return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"RequestLog(maxlen={self.maxlen})"


def note_bodies(entry: LogEntry, request: object, response: object) -> None:
    """Fill `entry`'s query and body samples from a `NextRequest` and its `Response`.

    The request body is what has arrived so far (all of it once the handler read it);
    a streamed response body is sampled chunk by chunk by `note_chunk` as it is sent.
    """
    url = getattr(request, "next_url", None)
    entry.query = getattr(url, "search", "") or ""
    stream = getattr(request, "_body", None)  # web._request.BodyStream keeps its chunks
    chunks = getattr(stream, "_chunks", None)
    if chunks:
        entry.request_body, cut = sample(b"".join(chunks))
        entry.body_truncated = entry.body_truncated or cut
    body, cut = sample(getattr(response, "body", None))
    if body is not None:
        entry.response_body = body
        entry.body_truncated = entry.body_truncated or cut


def note_chunk(entry: LogEntry, chunk: bytes) -> None:
    """Add a chunk of a streamed response to `entry`'s sample, up to BODY_SAMPLE_BYTES."""
    kept = entry.response_body or b""
    room = BODY_SAMPLE_BYTES - len(kept)
    if room <= 0:
        entry.body_truncated = entry.body_truncated or bool(chunk)
        return
    entry.response_body = kept + bytes(chunk[:room])
    if len(chunk) > room:
        entry.body_truncated = True
