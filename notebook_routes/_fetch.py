"""`fetch()`: Next.js's extended fetch, with the data cache, on tornado's AsyncHTTPClient.

Next.js 15+ semantics: a fetch is not cached unless it asks to be, with
``cache="force-cache"`` or ``next={"revalidate": N}`` (N > 0, or ``False`` for ever).
``cache="no-store"`` or ``revalidate: 0`` always goes to the network. A cached entry older
than its period is answered once more (stale) while one refresh runs in the background,
as Next.js does. ``next={"tags": [...]}`` lets `revalidate_tag` drop the entry, and tags
the route being rendered with it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json as jsonlib
from collections.abc import Mapping
from typing import Any

from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from notebook_routes.cache._data import (
    check_revalidate,
    check_tags,
    current_store,
    is_revalidating,
    note_tags,
)
from notebook_routes.cache._store import CacheEntry, CacheStore
from notebook_routes.web._headers import Headers

CACHE_MODES = ("auto", "force-cache", "no-store")
_refreshing: set[str] = set()


class FetchResponse:
    """What `fetch()` returns: ``.status``, ``.ok``, ``.headers``, ``.url``, ``await .json()``."""

    def __init__(self, url: str, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.url = url
        self.status = status
        self.headers = Headers(headers)
        self._body = body

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    async def body(self) -> bytes:
        return self._body

    async def text(self) -> str:
        return self._body.decode("utf-8", errors="replace")

    async def json(self) -> Any:
        return jsonlib.loads(self._body)

    def __repr__(self) -> str:
        return f"<FetchResponse {self.status} {self.url}>"


def _key(method: str, url: str, headers: Headers, body: bytes | None) -> str:
    digest = hashlib.sha256(repr((sorted(headers.items()), body)).encode()).hexdigest()
    return f"fetch {method} {url} {digest[:12]}"


async def _network(method: str, url: str, headers: Headers, body: bytes | None) -> FetchResponse:
    request = HTTPRequest(
        url,
        method=method,
        headers=dict(headers.items()),
        body=body,
        follow_redirects=True,
        allow_nonstandard_methods=True,
    )
    try:
        answer = await AsyncHTTPClient().fetch(request, raise_error=False)
    except OSError as exc:  # refused, unreachable, DNS: no HTTP answer at all
        raise ConnectionError(f"fetch({url!r}) failed: {exc}") from None
    if answer.code == 599:  # tornado's own "no HTTP answer" (timeouts)
        raise ConnectionError(f"fetch({url!r}) failed: {answer.error}")
    return FetchResponse(url, answer.code, list(answer.headers.get_all()), answer.body or b"")


def _entry(
    key: str, url: str, answer: FetchResponse, period: Any, tags: tuple[str, ...]
) -> CacheEntry:
    return CacheEntry(
        key=key,
        kind="data",
        body=answer._body,
        status=answer.status,
        headers=answer.headers.raw_items(),
        route=f"fetch {url}",
        revalidate=period or False,
        tags=tags,
    )


async def _refresh(
    store: CacheStore,
    key: str,
    request: tuple[str, str, Headers, bytes | None],
    period: Any,
    tags: tuple[str, ...],
) -> None:
    try:
        answer = await _network(*request)
        if answer.ok:
            store.set(_entry(key, request[1], answer, period, tags))
    except Exception:
        pass  # keep serving the last good answer; the next stale read tries again
    finally:
        _refreshing.discard(key)


async def fetch(
    url: str,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | list[tuple[str, str]] | None = None,
    body: bytes | str | None = None,
    cache: str = "auto",
    next: Mapping[str, Any] | None = None,  # noqa: A002 - Next.js's own option name
) -> FetchResponse:
    """Fetch `url` over HTTP, through the data cache when asked (see the module docstring)."""
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ValueError(f"fetch() needs an absolute http(s) URL, not {url!r}")
    if cache not in CACHE_MODES:
        raise ValueError(f"fetch() cache must be one of {', '.join(CACHE_MODES)}, not {cache!r}")
    options = dict(next or {})
    unknown = set(options) - {"revalidate", "tags"}
    if unknown:
        raise TypeError(f"fetch() next= takes 'revalidate' and 'tags', not {sorted(unknown)}")
    period = check_revalidate(options.get("revalidate"), what="fetch() next=")
    tags = check_tags(options.get("tags", ()), what="fetch() next=")
    method = method.upper()
    sent = Headers(headers)
    payload = body.encode() if isinstance(body, str) else body
    request = (method, url, sent, payload)

    note_tags(tags)
    cacheable = (
        method in ("GET", "HEAD")
        and cache != "no-store"
        and period != 0
        and (cache == "force-cache" or period is not None)
    )
    if not cacheable:
        return await _network(*request)
    store = current_store()
    key = _key(method, url, sent, payload)
    entry = await store.aget(key)  # a shared store reads through on a local miss
    if entry is not None and entry.stale and is_revalidating():
        entry = None  # a regeneration must see the new data, not the stale copy
    if entry is not None:
        if entry.stale and key not in _refreshing:
            _refreshing.add(key)
            asyncio.ensure_future(_refresh(store, key, request, period, tags))
        return FetchResponse(url, entry.status, entry.headers, entry.body)
    answer = await _network(*request)
    if answer.ok:
        store.set(_entry(key, url, answer, period, tags))
    return answer
