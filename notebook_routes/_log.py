"""The request log: a bounded, thread-safe record of what the server answered.

The server thread appends; the notebook and the inspector read. Listeners are
called on the thread that appended, so a listener that touches widgets must hand the
entry over to the kernel's own loop.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import unquote

DEFAULT_LOG_SIZE = 1000


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


Listener = Callable[[LogEntry], None]


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
