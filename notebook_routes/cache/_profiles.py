"""Cache-life profiles (Next.js's ``cacheLife``) and what `revalidate_tag` does with one.

Each profile is (stale, revalidate, expire) in seconds, Next.js 16's built-in values
(*observed* through ``s-maxage``/``stale-while-revalidate``). ``revalidate_tag(t, p)``
marks entries tagged ``t`` stale at once and drops them `expire` seconds later; an
expire of 0 drops them at once.

>>> tag_expire_s("max"), tag_expire_s("minutes"), tag_expire_s({"expire": 0})
(31536000, 3600, 0)
>>> tag_expire_s("hourly")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: revalidate_tag() profile must be one of default, seconds, ... not 'hourly'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

ONE_YEAR_S = 31536000  # Next.js's "forever" (its INFINITE_CACHE is shown as one year)


class CacheLife(NamedTuple):
    stale: int
    revalidate: int
    expire: int


PROFILES: dict[str, CacheLife] = {
    "default": CacheLife(300, 900, ONE_YEAR_S),
    "seconds": CacheLife(30, 1, 60),
    "minutes": CacheLife(300, 60, 3600),
    "hours": CacheLife(300, 3600, 86400),
    "days": CacheLife(300, 86400, 604800),
    "weeks": CacheLife(300, 604800, 2592000),
    "max": CacheLife(300, 2592000, ONE_YEAR_S),
}
LIFE_FIELDS = ("stale", "revalidate", "expire")

Profile = str | Mapping[str, float]


def tag_expire_s(profile: object) -> float:
    """How long after ``revalidate_tag(tag, profile)`` its entries are dropped (0: at once)."""
    if isinstance(profile, str) and profile in PROFILES:
        return PROFILES[profile].expire
    if isinstance(profile, Mapping) and set(profile) <= set(LIFE_FIELDS):
        expire = profile.get("expire", PROFILES["default"].expire)
        if isinstance(expire, (int, float)) and not isinstance(expire, bool) and expire >= 0:
            return expire
    raise ValueError(
        f"revalidate_tag() profile must be one of {', '.join(PROFILES)} or "
        f'{{"expire": seconds}}, not {profile!r}'
    )
