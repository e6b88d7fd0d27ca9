"""Accepting connections without ever running the process out of file descriptors.

The server lives in the kernel's process: a descriptor it takes is one the kernel's
ZeroMQ sockets cannot have. tornado's own accept loop accepts until ``accept()`` fails,
and on ``EMFILE`` it logs and is called again at once (the socket is still readable): a
spin at 100% CPU while the kernel's IOPub thread dies of ``Too many open files``.

This loop holds at most `cap` connections. At the cap it closes the connection that
has waited longest for a request head (`shed`), and only when none is idle stops
accepting for a while; on ``EMFILE``/``ENFILE`` it sheds and backs off (50 ms doubling
to 1 s) instead of spinning. Runs on the server's loop.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from collections.abc import Callable

_OUT_OF_DESCRIPTORS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)
_BATCH = 128  # accepts per readiness event, as tornado's backlog loop
_FIRST_BACKOFF_S = 0.05
_MAX_BACKOFF_S = 1.0


class Acceptor:
    """Accept on `sockets`; hand each connection to `handle(connection, address)`."""

    def __init__(
        self,
        sockets: list[socket.socket],
        handle: Callable[[socket.socket, object], None],
        *,
        open_count: Callable[[], int],
        cap: Callable[[], int],
        shed: Callable[[], bool],
    ) -> None:
        self.sockets = sockets
        self.handle = handle
        self.open_count = open_count
        self.cap = cap
        self.shed = shed
        self.paused = 0  # how many times accepting stopped (the cap, or EMFILE)
        self.shed_count = 0  # idle connections closed to make room
        self._loop = asyncio.get_running_loop()
        self._backoff = _FIRST_BACKOFF_S
        self._timers: dict[int, asyncio.TimerHandle] = {}
        self._stopped = False
        for sock in sockets:
            sock.setblocking(False)
            self._loop.add_reader(sock.fileno(), self._accept, sock)

    def _accept(self, sock: socket.socket) -> None:
        made_room = 0  # shed connections close on a later loop turn: count them here
        for _ in range(_BATCH):
            if self.open_count() - made_room >= self.cap():
                if not self.shed():
                    self._pause(sock)
                    return
                made_room += 1
                self.shed_count += 1
            try:
                connection, address = sock.accept()
            except BlockingIOError:
                return
            except ConnectionAbortedError:
                continue
            except OSError as exc:
                if exc.errno in _OUT_OF_DESCRIPTORS:
                    if self.shed():
                        self.shed_count += 1
                    self._pause(sock)
                    return
                raise
            self._backoff = _FIRST_BACKOFF_S
            self.handle(connection, address)

    def _pause(self, sock: socket.socket) -> None:
        """Stop watching `sock` for a while: the backlog waits in the OS, not in a spin."""
        fd = sock.fileno()
        if self._stopped or fd in self._timers:
            return
        self.paused += 1
        self._loop.remove_reader(fd)
        delay, self._backoff = self._backoff, min(self._backoff * 2, _MAX_BACKOFF_S)
        self._timers[fd] = self._loop.call_later(delay, self._resume, sock)

    def _resume(self, sock: socket.socket) -> None:
        self._timers.pop(sock.fileno(), None)
        if not self._stopped:
            self._loop.add_reader(sock.fileno(), self._accept, sock)

    def stop(self) -> None:
        """Stop accepting and close the listening sockets."""
        self._stopped = True
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        for sock in self.sockets:
            try:
                self._loop.remove_reader(sock.fileno())
            except (ValueError, OSError):
                pass
            sock.close()
