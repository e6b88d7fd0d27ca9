"""`FakeClock`: a clock the tests move by hand (any `notebook_routes.cache._store.Clock`)."""

from __future__ import annotations


class FakeClock:
    """A clock the tests move by hand: no sleeps needed to make an entry stale.

    >>> clock = FakeClock()
    >>> clock.advance(5)
    >>> clock()
    1005.0
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
