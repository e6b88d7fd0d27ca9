"""Tag invalidation times: when an entry is stale, and when it is gone.

A shared cache cannot find "every entry tagged t" without scanning, so it keeps one small
record per tag instead, and judges an entry when it is read: the entry is *expired* (a
MISS) or *stale* (served STALE once while one regeneration runs) when one of its tags
was invalidated after the entry was made. `revalidate_path` is the same mechanism on an
implicit tag per route entry (`path_tag`), as Next.js's ``_N_T_/path`` tags.

>>> state = TagState().mark(now=10.0, expire_s=3600)  # revalidate_tag(t, "max")
>>> state.judge(created=5.0, now=11.0)
'stale'
>>> state.judge(created=12.0, now=13.0)  # made after the mark: fresh
>>> TagState().mark(now=10.0, expire_s=0).judge(created=5.0, now=10.0)
'expired'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from notebook_routes.cache._store import CacheEntry

PATH_TAG_PREFIX = "_N_T_"  # Next.js's prefix for the implicit tags of a path
ROUTE_TAG_PREFIX = "_N_R_"  # ours: every answer of one route (its handler was replaced)
Verdict = Literal["stale", "expired"] | None


def path_tag(path: str) -> str:
    """The implicit tag of a route entry: ``revalidate_path("/a")`` invalidates ``_N_T_/a``."""
    return PATH_TAG_PREFIX + path


def route_tag(source: str) -> str:
    """The implicit tag of every answer of a route: re-running its cell invalidates it."""
    return ROUTE_TAG_PREFIX + source


def entry_tags(entry: CacheEntry) -> tuple[str, ...]:
    """An entry's tags, with the implicit path and route tags of a route entry."""
    if entry.kind == "route":
        implicit: tuple[str, ...] = (path_tag(entry.key),)
        if entry.route:
            implicit += (route_tag(entry.route),)
        return (*entry.tags, *implicit)
    return entry.tags


@dataclass(frozen=True)
class TagState:
    """The invalidation record of one tag (all times on the store's clock).

    ``expired``: entries made at or before it are gone. ``stale``: entries made at or
    before it are stale; at ``expire_at`` (if set) they are gone too. ``version`` orders
    records of the same tag that reach a process by different roads (pub/sub, reads).
    """

    expired: float = 0.0
    stale: float = 0.0
    expire_at: float | None = None
    version: int = 0

    def mark(self, *, now: float, expire_s: float) -> TagState:
        """The record after ``revalidate_tag(tag, profile)`` whose expire is `expire_s`.

        ``expire_s <= 0`` expires at once (one-argument `revalidate_tag`, `revalidate_path`,
        ``{"expire": 0}``); otherwise entries are stale now and expire `expire_s` later.
        """
        expired, expire_at = self.expired, self.expire_at
        if expire_at is not None and expire_at <= now:  # the pending cut is in effect: keep it
            expired, expire_at = max(expired, self.stale), None
        if expire_s <= 0:
            return TagState(max(expired, now), max(self.stale, now), expire_at, self.version + 1)
        deadline = now + expire_s
        if expire_at is not None:  # an earlier pending cut stays: never expire later than promised
            deadline = min(deadline, expire_at)
        return TagState(expired, now, deadline, self.version + 1)

    def judge(self, *, created: float, now: float) -> Verdict:
        if created <= self.expired:
            return "expired"
        if created <= self.stale:
            if self.expire_at is not None and self.expire_at <= now:
                return "expired"
            return "stale"
        return None

    def newer(self, other: TagState | None) -> TagState:
        return self if other is None or self.version >= other.version else other

    def encode(self) -> list[str]:
        return [
            repr(self.expired),
            repr(self.stale),
            repr(self.expire_at or 0.0),
            str(self.version),
        ]

    @classmethod
    def decode(cls, fields: Iterable[bytes | str | None]) -> TagState | None:
        values = list(fields)
        if not values or values[0] is None:
            return None
        expired, stale, expire_at, version = (float(v or 0) for v in values[:4])
        return cls(expired, stale, expire_at or None, int(version))


def judge_entry(entry: CacheEntry, states: dict[str, TagState], *, now: float) -> Verdict:
    """The worst verdict of an entry's tags: ``"expired"`` beats ``"stale"`` beats fresh."""
    verdict: Verdict = None
    for tag in entry_tags(entry):
        state = states.get(tag)
        if state is None:
            continue
        judged = state.judge(created=entry.created, now=now)
        if judged == "expired":
            return judged
        verdict = verdict or judged
    return verdict
