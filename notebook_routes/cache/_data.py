"""The data cache: `cached()` for any Python function, and what `fetch()` shares with it.

Entries live in the same store as cached routes (kind "data"), so the inspector shows
both and `revalidate_tag` drops both. A data access made while a route renders adds its
tags to that route's entry, as Next.js tags a page with the fetches it made.

>>> from notebook_routes.cache._store import MemoryCache
>>> calls = []
>>> @cached(revalidate=60, tags=["posts"])
... def posts(n):
...     calls.append(n)
...     return list(range(n))
>>> with using_store(MemoryCache()):
...     posts(3), posts(3), len(calls)
([0, 1, 2], [0, 1, 2], 1)
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import types
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from notebook_routes.cache._store import CacheEntry, CacheStore, MemoryCache

F = TypeVar("F", bound=Callable[..., Any])

_render_tags: ContextVar[list[str] | None] = ContextVar("notebook_routes_tags", default=None)
_store: ContextVar[CacheStore | None] = ContextVar("notebook_routes_store", default=None)
_fallback: list[CacheStore] = [MemoryCache()]


@contextmanager
def collecting_tags() -> Iterator[list[str]]:
    """Collect the tags of every data access made inside (one route render)."""
    tags: list[str] = []
    token = _render_tags.set(tags)
    try:
        yield tags
    finally:
        _render_tags.reset(token)


def note_tags(tags: Iterable[str]) -> None:
    sink = _render_tags.get()
    if sink is not None:
        sink.extend(tags)


_revalidating: ContextVar[bool] = ContextVar("notebook_routes_revalidating", default=False)


@contextmanager
def revalidating() -> Iterator[None]:
    """Mark the code inside as a regeneration: stale data is fetched anew, not reused.

    Next.js does the same (its ``isRevalidate``): a page regenerated after
    ``revalidate_tag(t, "max")`` must not be rebuilt from the stale data it replaces.
    """
    token = _revalidating.set(True)
    try:
        yield
    finally:
        _revalidating.reset(token)


def is_revalidating() -> bool:
    return _revalidating.get()


@contextmanager
def using_store(store: CacheStore) -> Iterator[CacheStore]:
    """Make `store` the data cache for the code inside (dispatch does this per request)."""
    token = _store.set(store)
    try:
        yield store
    finally:
        _store.reset(token)


def set_default_store(store: CacheStore) -> None:
    """The store used outside any request: the default app's (set by the runtime)."""
    _fallback[0] = store


def current_store() -> CacheStore:
    store = _store.get()  # not `or`: an empty store is falsy
    return store if store is not None else _fallback[0]


def check_revalidate(value: Any, *, what: str) -> float | bool | None:
    if value is None or value is False:
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return value
    raise ValueError(f"{what} revalidate must be False, 0 or a number of seconds, not {value!r}")


def check_tags(tags: Any, *, what: str) -> tuple[str, ...]:
    if isinstance(tags, (str, bytes)) or not isinstance(tags, Iterable):
        raise TypeError(f"{what} tags must be a list of non-empty str, not {tags!r}")
    tags = tuple(tags)
    if not all(isinstance(t, str) and t for t in tags):
        raise TypeError(f"{what} tags must be a list of non-empty str, not {list(tags)!r}")
    return tags


def cached(revalidate: float | bool | None = None, tags: Iterable[str] = ()) -> Callable[[F], F]:
    """Cache a function's results by its arguments (Next.js's ``unstable_cache``).

    ``revalidate=N`` recomputes a result older than N seconds on the next call;
    ``tags`` let `revalidate_tag` drop the results. Works for ``def`` and ``async def``.
    """
    period = check_revalidate(revalidate, what="cached()")
    tag_list = check_tags(tags, what="cached()")
    if period == 0:
        raise ValueError("cached(revalidate=0) would never cache; leave the function undecorated")

    def decorate(fn: F) -> F:
        if not callable(fn):
            raise TypeError(f"cached() decorates a function, not {type(fn).__name__}")
        name = f"{fn.__module__}.{fn.__qualname__}"
        results = _Results(name, period, tag_list, version=code_version(fn))
        return _wrapped(fn, results)

    return decorate


def code_version(fn: Callable[..., Any]) -> str:
    """A short digest of what `fn` computes: its code, defaults and closure values.

    Next.js keys ``unstable_cache`` by the function's source; the code is the same idea,
    without line numbers or the file name (a notebook names every run of a cell anew,
    so an unchanged cell run again keeps its entries). Editing the body is a new version:

    >>> def data(): return "first"
    >>> first = code_version(data)
    >>> def data(): return "second"
    >>> code_version(data) == first, len(first)
    (False, 12)
    """
    digest = hashlib.sha256()
    _fingerprint(fn, digest, set())
    return digest.hexdigest()[:12]


def _fingerprint(value: Any, digest: Any, seen: set[int]) -> None:
    if isinstance(value, types.CodeType):
        digest.update(value.co_code)
        digest.update(repr((value.co_names, value.co_varnames, value.co_freevars)).encode())
        digest.update(repr((value.co_argcount, value.co_kwonlyargcount, value.co_flags)).encode())
        for const in value.co_consts:
            _fingerprint(const, digest, seen)
        return
    if not isinstance(value, (types.FunctionType, types.MethodType)):
        # Consts and closure values by repr: an object whose repr shows its address makes
        # each definition a new version, which errs on the side of a fresh result.
        digest.update(f"{type(value).__qualname__}:{value!r};".encode())
        return
    if id(value) in seen:  # a closure that refers to itself
        digest.update(b"<recursive>")
        return
    seen.add(id(value))
    fn = value.__func__ if isinstance(value, types.MethodType) else value
    _fingerprint(fn.__code__, digest, seen)
    for default in (fn.__defaults__ or (), sorted((fn.__kwdefaults__ or {}).items())):
        digest.update(repr(default).encode())
    for cell in fn.__closure__ or ():
        try:
            contents = cell.cell_contents
        except ValueError:  # a name the function closes over that is not bound yet
            contents = "<empty cell>"
        _fingerprint(contents, digest, seen)


class _Results:
    """Where one cached function's results live: in the current store, keyed by arguments."""

    def __init__(
        self, name: str, period: float | bool | None, tags: tuple[str, ...], version: str = ""
    ) -> None:
        self.name = name
        self.period = period
        self.tags = tags
        self.version = version  # code_version(): an edited function is a new entry

    def key(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        return f"cached {self.name}#{self.version}{args!r}{sorted(kwargs.items())!r}"

    def fresh(self, key: str) -> CacheEntry | None:
        """The stored result for `key` unless it is stale; tags the route being rendered.

        A shared store reads through on a local miss (one bounded round trip: the sync
        function would block its caller longer to compute the value anyway).
        """
        note_tags(self.tags)
        return _usable(current_store().load(key))

    async def afresh(self, key: str) -> CacheEntry | None:
        """`fresh` for an ``async def``: the shared tier is read without blocking the loop."""
        note_tags(self.tags)
        return _usable(await current_store().aget(key))

    def keep(self, key: str, value: Any) -> None:
        entry = CacheEntry(
            key=key,
            kind="data",
            value=value,
            route=self.name,
            revalidate=self.period or False,
            tags=self.tags,
        )
        current_store().set(entry)


def _usable(entry: CacheEntry | None) -> CacheEntry | None:
    return entry if entry is not None and not entry.stale else None


def _wrapped(fn: F, results: _Results) -> F:
    """`fn` answering from `results` when it can: an ``async def`` stays awaitable."""
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            key = results.key(args, kwargs)
            if (entry := await results.afresh(key)) is not None:
                return entry.value
            value = await fn(*args, **kwargs)
            results.keep(key, value)
            return value

        return async_wrapper  # type: ignore[return-value]

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = results.key(args, kwargs)
        if (entry := results.fresh(key)) is not None:
            return entry.value
        value = fn(*args, **kwargs)
        results.keep(key, value)
        return value

    return wrapper  # type: ignore[return-value]
