"""`RedisCache`: one cache for every worker and host (Next.js's shared ``cacheHandler``).

Layout under the key prefix ``P`` (no operation ever scans keys):

- ``P e:<key>``  one hash per entry (pickled entry, created time, tags), with a TTL;
- ``P t:<tag>``  one hash per tag: its invalidation record (`TagState`), with a TTL;
- ``P l:<name>`` a lock (``SET NX PX``): one regenerator, one cold render;
- ``P index``    a sorted set of entry keys by deadline, for the inspector's list;
- ``P events``   the pub/sub channel that keeps every process's local tier coherent.

Each process keeps a bounded `LocalTier` (read without I/O: the HIT fast path) and one
connection pool on its own I/O thread, so the server's loop, the kernel's cells and a
sync handler's thread can all use the store. Redis failing never fails a request: an
operation gives up after `timeout_s`, reads become misses, writes are dropped, one
warning is logged and kept in `warning`, and the next operation after `retry_s` tries
again. Only an invalidation that could not be recorded raises (`CacheUnavailable`).
Values are pickled: point the store only at a Redis you trust.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import os
import pickle
import socket
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any, TypeVar

from notebook_routes.cache._local import LocalTier
from notebook_routes.cache._store import (
    DEFAULT_MAX_MEMORY_BYTES,
    ONE_YEAR_S,
    CacheEntry,
    CacheUnavailable,
    Clock,
    poll_for_entry,
)
from notebook_routes.cache._tags import TagState, entry_tags, judge_entry

T = TypeVar("T")
log = logging.getLogger("notebook_routes.cache")
UNSHARED_LOCK = "unshared"  # the token `alock` hands out while Redis is down: render here

# Read an entry and the records of its tags in one round trip.
GET_SCRIPT = """
local e = redis.call('HMGET', KEYS[1], 'd', 't')
if not e[1] then return false end
local out = {e[1]}
for _, tag in ipairs(cjson.decode(e[2])) do
  local r = redis.call('HMGET', ARGV[1] .. tag, 'x', 's', 'a', 'v')
  table.insert(out, tag)
  table.insert(out, r[1] or '')
  table.insert(out, r[2] or '')
  table.insert(out, r[3] or '')
  table.insert(out, r[4] or '')
end
return out
"""

# Write an entry unless a newer one is there (writes from one process may overtake).
SET_SCRIPT = """
local old = redis.call('HGET', KEYS[1], 'c')
if old and tonumber(old) > tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'd', ARGV[1], 'c', ARGV[2], 't', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[6])
redis.call('PUBLISH', ARGV[7], ARGV[8])
return 1
"""

# `TagState.mark` on each tag key, then one message with the new records. Times are
# passed and stored as the caller's strings (Lua would round them to 14 digits).
INVALIDATE_SCRIPT = """
local now, deadline = ARGV[1], ARGV[2]
local out = {}
for i, key in ipairs(KEYS) do
  local r = redis.call('HMGET', key, 'x', 's', 'a', 'v')
  local x, s, a, v = r[1] or '0', r[2] or '0', r[3] or '0', tonumber(r[4] or '0')
  if tonumber(a) > 0 and tonumber(a) <= tonumber(now) then
    if tonumber(s) > tonumber(x) then x = s end
    a = '0'
  end
  if deadline == '' then
    if tonumber(now) > tonumber(x) then x = now end
    if tonumber(now) > tonumber(s) then s = now end
  else
    local d = deadline
    if tonumber(a) > 0 and tonumber(a) < tonumber(d) then d = a end
    s = now
    a = d
  end
  redis.call('HSET', key, 'x', x, 's', s, 'a', a, 'v', v + 1)
  redis.call('PEXPIRE', key, ARGV[3])
  out[ARGV[5 + i - 1]] = {x, s, a, tostring(v + 1)}
end
local message = cjson.encode({k = 't', o = ARGV[4], tags = out})
redis.call('PUBLISH', ARGV[5 + #KEYS], message)
return message
"""

UNLOCK_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class _Down(Exception):
    """Redis did not answer in time (or the store is waiting out `retry_s`)."""


def _require_redis() -> Any:
    try:
        import redis.asyncio
    except ImportError as exc:  # an optional engine: name the extra that brings it
        raise ImportError(
            "The Redis cache needs the redis package: pip install 'notebook-routes[redis]'"
        ) from exc
    return redis


def _restart_in_child(ref: weakref.ReferenceType[RedisCache]) -> None:
    store = ref()
    if store is not None and not store._closed:
        store._start()  # the parent's I/O thread, pool and feed do not exist in a fork


class RedisCache:
    """A `CacheStore` shared through Redis, with a local tier kept coherent by pub/sub."""

    _local: LocalTier  # made by _start(), again in a forked child

    shared = True  # an invalidation is a round trip: queued in async handlers

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "notebook-routes:",
        clock: Clock | None = None,
        timeout_s: float = 0.5,
        retry_s: float = 1.0,
        max_age_s: float = ONE_YEAR_S,
        local_entries: int = 1000,
        local_max_bytes: int = DEFAULT_MAX_MEMORY_BYTES,
        max_connections: int = 16,
    ) -> None:
        self._redis_module = _require_redis()
        self.url = url
        self.prefix = prefix
        self.clock: Clock = clock or time.time
        self.timeout_s = timeout_s
        self.retry_s = retry_s
        self.max_age_s = max_age_s
        self.max_connections = max_connections
        self.warning: str | None = None
        self.dropped_writes = 0
        self._local_entries = local_entries
        self._local_max_bytes = local_max_bytes
        self._evicted_before = 0  # evictions of local tiers replaced by a restart
        self._closed = False
        self._channel = prefix + "events"
        self._start()
        # `serve --workers N` forks after loading the app: each child starts its own
        # I/O thread and subscription at once (a HIT read needs no I/O to notice a fork).
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: _restart_in_child(ref))

    def _start(self) -> None:
        """The I/O thread, its pool and the feed; again in a forked child (`serve --workers`)."""
        self._pid = os.getpid()
        self.origin = f"{socket.gethostname()}:{self._pid}"  # shown as who made an entry
        self._sender = os.urandom(8).hex()  # tells this instance's own messages apart
        if getattr(self, "_local", None) is not None:  # a restart after a fork
            self._evicted_before += self._local.evictions
        self._local = LocalTier(max_entries=self._local_entries, max_bytes=self._local_max_bytes)
        self._local.enabled = False  # until the invalidation feed is subscribed
        self._down_until = 0.0
        self._subscribed = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="notebook-routes-cache", daemon=True
        )
        self._thread.start()
        self._client = asyncio.run_coroutine_threadsafe(self._connect(), self._loop).result()
        self._listener = asyncio.run_coroutine_threadsafe(self._listen(), self._loop)

    # -- the I/O thread ---------------------------------------------------------------------

    async def _connect(self) -> Any:
        redis = self._redis_module
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        # A bounded pool: a burst of requests waits for a connection instead of opening
        # hundreds at once (which, on a busy machine, times out and trips the circuit).
        pool = redis.asyncio.BlockingConnectionPool.from_url(
            self.url,
            max_connections=self.max_connections,
            timeout=self.timeout_s,
            socket_timeout=self.timeout_s,
            socket_connect_timeout=self.timeout_s,
            retry=Retry(NoBackoff(), 0),  # a retry would double the bound; `retry_s` retries
        )
        client = redis.asyncio.Redis(connection_pool=pool)
        self._scripts = {
            name: client.register_script(source)
            for name, source in [
                ("get", GET_SCRIPT),
                ("set", SET_SCRIPT),
                ("invalidate", INVALIDATE_SCRIPT),
                ("unlock", UNLOCK_SCRIPT),
            ]
        }
        return client

    @property
    def evictions(self) -> int:
        """Entries this process's local tier dropped to stay within its bounds."""
        return self._evicted_before + self._local.evictions

    def _call_soon(self, coro: Coroutine[Any, Any, T]) -> Any:
        if os.getpid() != self._pid:  # forked: the parent's I/O thread does not exist here
            self._start()
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    async def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await `coro` on the I/O thread from any event loop."""
        return await asyncio.wrap_future(self._call_soon(coro))

    def _block(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` on the I/O thread and wait (bounded: every operation has a timeout)."""
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("a blocking RedisCache call on its own I/O thread would deadlock")
        # Every operation inside is bounded; this bound only guards against a wedged thread.
        return self._call_soon(coro).result(self.timeout_s * 4 + 1)

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        if not self._closed:
            self._call_soon(coro)

    async def _redis(self, what: str, op: Callable[[], Awaitable[T]]) -> T:
        """One Redis operation, bounded by `timeout_s`; a failure opens the circuit."""
        if time.monotonic() < self._down_until:
            raise _Down(self.warning)
        try:
            result = await asyncio.wait_for(op(), self.timeout_s)
        except (self._redis_module.RedisError, OSError, asyncio.TimeoutError) as exc:
            self._went_down(what, exc)
            raise _Down(self.warning) from exc
        self._came_back()
        return result

    def _went_down(self, what: str, exc: BaseException) -> None:
        self._down_until = time.monotonic() + self.retry_s
        if self.warning is None:
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            self.warning = (
                f"Redis cache at {self.url} is not answering ({what}: {reason}); reads are "
                f"misses and writes are dropped until it is back."
            )
            log.warning(self.warning)

    def _came_back(self) -> None:
        if self.warning is not None:
            self.warning = None
            log.warning("Redis cache at %s answers again.", self.url)

    # -- the invalidation feed ---------------------------------------------------------------

    async def _listen(self) -> None:
        """Subscribe, apply every message, and resubscribe after a failure.

        The local tier serves only while subscribed, and is emptied whenever the feed
        was broken: messages may have been lost meanwhile.
        """
        ping_s = max(1.0, self.retry_s)
        while not self._closed:
            pubsub = self._client.pubsub()
            try:
                await asyncio.wait_for(pubsub.subscribe(self._channel), self.timeout_s)
                self._local.clear()
                self._local.enabled = True
                self._subscribed.set()
                self._came_back()
                last_seen = time.monotonic()
                while not self._closed:
                    message = await pubsub.get_message(timeout=ping_s / 2)
                    now = time.monotonic()
                    if message is not None:
                        last_seen = now
                        if message["type"] == "message":
                            self._apply(message["data"])
                    elif now - last_seen > ping_s:
                        if now - last_seen > ping_s + self.timeout_s * 2:
                            raise TimeoutError("the invalidation feed stopped answering pings")
                        await asyncio.wait_for(pubsub.ping(), self.timeout_s)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._local.enabled = False
                self._local.clear()
                self._subscribed.clear()
                if not self._closed:
                    self._went_down("subscribe", exc)
                    await asyncio.sleep(self.retry_s)
            finally:
                try:
                    await asyncio.wait_for(pubsub.aclose(), self.timeout_s)
                except Exception:  # a dead connection may not close cleanly
                    pass

    def _apply(self, data: bytes) -> None:
        message = json.loads(data)
        kind = message["k"]
        if kind == "t":
            for tag, fields in message["tags"].items():
                state = TagState.decode(fields)
                if state is not None:
                    self._local.learn(tag, state)
        elif message.get("o") == self._sender:
            return  # this process did it already
        elif kind == "s":
            self._local.drop(message["key"], older_than=message["c"])
        elif kind == "d":
            self._local.drop(message["key"])
        elif kind == "c":
            self._local.clear()

    def _publish(self, **message: Any) -> Callable[[], Awaitable[Any]]:
        payload = json.dumps({**message, "o": self._sender})
        return lambda: self._client.publish(self._channel, payload)

    # -- the shared tier (runs on the I/O thread) -------------------------------------------

    def _key(self, key: str) -> str:
        return f"{self.prefix}e:{key}"

    async def _read(self, key: str) -> CacheEntry | None:
        try:
            row = await self._redis(
                "read",
                lambda: self._scripts["get"](keys=[self._key(key)], args=[self.prefix + "t:"]),
            )
        except _Down:
            return None
        if not row:
            return None
        entry: CacheEntry = pickle.loads(row[0])
        states = {}
        for i in range(1, len(row), 5):
            state = TagState.decode(row[i + 1 : i + 5])
            if state is not None:
                states[row[i].decode()] = state
        self._local.learn_all(states)
        now = self.clock()
        verdict = judge_entry(entry, states, now=now)
        if verdict == "expired":
            return None
        entry.stale_by_tag = verdict == "stale"
        entry.age_s = now - entry.created
        self._local.put(entry)
        return entry

    async def _write(self, entry: CacheEntry) -> None:
        try:
            data = pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # an unpicklable @cached value stays in this process
            log.warning("Cache entry %s is not shared: cannot pickle it (%s)", entry.key, exc)
            return
        created = repr(entry.created)
        args = [
            data,
            created,
            json.dumps(entry_tags(entry)),
            int(self.max_age_s * 1000),
            repr(self.clock() + self.max_age_s),
            entry.key,
            self._channel,
            json.dumps({"k": "s", "key": entry.key, "c": entry.created, "o": self._sender}),
        ]
        keys = [self._key(entry.key), self.prefix + "index"]
        try:
            await self._redis("write", lambda: self._scripts["set"](keys=keys, args=args))
        except _Down:
            self.dropped_writes += 1

    async def _remove(self, key: str) -> bool:
        async def op() -> int:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.delete(self._key(key)).zrem(self.prefix + "index", key)
                found, _ = await pipe.execute()
            await self._publish(k="d", key=key)()
            return int(found)

        try:
            return bool(await self._redis("delete", op))
        except _Down:
            self.dropped_writes += 1
            return False

    async def _invalidate(self, tags: list[str], expire_s: float) -> None:
        now = self.clock()
        deadline = "" if expire_s <= 0 else repr(now + expire_s)
        keys = [f"{self.prefix}t:{tag}" for tag in tags]
        args = [repr(now), deadline, int((self.max_age_s + 86400) * 1000), self._sender]
        args += [*tags, self._channel]
        try:
            message = await self._redis(
                "invalidate", lambda: self._scripts["invalidate"](keys=keys, args=args)
            )
        except _Down as exc:
            raise CacheUnavailable(
                f"revalidating {', '.join(map(repr, tags))} could not be recorded for the other "
                f"processes: {exc}"
            ) from exc
        self._apply(message)  # this process sees it before the echo arrives

    # -- this process, no I/O ---------------------------------------------------------------

    def get(self, key: str) -> CacheEntry | None:
        entry = self._local.get(key, now=self.clock())
        if entry is not None:
            entry.hits += 1
        return entry

    def peek(self, key: str) -> CacheEntry | None:
        return self._local.get(key, now=self.clock())

    def __contains__(self, key: str) -> bool:
        return key in self._local

    def set(self, entry: CacheEntry) -> None:
        """Keep `entry` here now and write it to Redis behind (a failure drops the write)."""
        self._stamp(entry)
        self._local.put(entry)
        self._spawn(self._write(entry))

    def delete(self, key: str) -> bool:
        found = self._local.drop(key)
        self._spawn(self._remove(key))
        return found

    def delete_tag(self, tag: str) -> list[str]:
        return self.invalidate([tag])

    def entries(self) -> list[CacheEntry]:
        """The entries this process holds (the inspector's shared list is `aentries`)."""
        return self._local.entries(now=self.clock())

    def clear(self) -> None:
        self._local.clear()
        self._spawn(self.aclear())

    def _stamp(self, entry: CacheEntry) -> None:
        entry.created = self.clock()
        entry.age_s = 0.0
        entry.stale_by_tag, entry.expires_at = False, None
        entry.origin = self.origin

    # -- blocking (a cell, a sync handler's thread) -------------------------------------------

    def load(self, key: str) -> CacheEntry | None:
        entry = self.get(key)
        if entry is None:
            try:
                entry = self._block(self._read(key))
            except concurrent.futures.TimeoutError:
                return None
        return entry

    def invalidate(self, tags: Iterable[str], *, expire_s: float = 0.0) -> list[str]:
        """Record the invalidation for every process; raises `CacheUnavailable` if it can't."""
        tags = list(tags)
        touched = self._local.keys_tagged(set(tags))
        try:
            self._block(self._invalidate(tags, expire_s))
        except concurrent.futures.TimeoutError as exc:
            raise CacheUnavailable(
                f"revalidating {', '.join(map(repr, tags))} could not be recorded for the other "
                f"processes: the Redis cache at {self.url} did not answer in time"
            ) from exc
        return touched

    # -- the shared tier, from any event loop ---------------------------------------------------

    async def aget(self, key: str, *, shared: bool = False) -> CacheEntry | None:
        entry = None if shared else self.get(key)
        if entry is None:
            entry = await self._run(self._read(key))
        return entry

    async def aset(self, entry: CacheEntry) -> None:
        self._stamp(entry)
        self._local.put(entry)
        await self._run(self._write(entry))

    async def aadd(self, entry: CacheEntry) -> CacheEntry:
        """Store `entry` unless a fresh one is already shared (a second ``serve``'s prerender)."""
        existing = await self._run(self._read(entry.key))
        if existing is not None and not existing.stale:
            return existing
        await self.aset(entry)
        return entry

    async def adelete(self, key: str) -> bool:
        found = self._local.drop(key)
        return await self._run(self._remove(key)) or found

    async def ainvalidate(self, tags: Iterable[str], *, expire_s: float = 0.0) -> None:
        await self._run(self._invalidate(list(tags), expire_s))

    async def alock(self, name: str, ttl_s: float) -> str | None:
        """``SET NX PX``: a token for the one holder, None for the others.

        While Redis is down every caller gets a token: rendering here beats not at all.
        """
        token = os.urandom(12).hex()
        key = f"{self.prefix}l:{name}"

        async def op() -> str | None:
            try:
                ok = await self._redis(
                    "lock", lambda: self._client.set(key, token, nx=True, px=int(ttl_s * 1000))
                )
            except _Down:
                return UNSHARED_LOCK
            return token if ok else None

        return await self._run(op())

    async def aunlock(self, name: str, token: str) -> None:
        if token == UNSHARED_LOCK:
            return
        key = f"{self.prefix}l:{name}"

        async def op() -> None:
            try:
                await self._redis(
                    "unlock", lambda: self._scripts["unlock"](keys=[key], args=[token])
                )
            except _Down:
                pass  # the lock's expiry frees it

        await self._run(op())

    async def alock_held(self, name: str) -> bool:
        key = f"{self.prefix}l:{name}"

        async def op() -> bool:
            try:
                return bool(await self._redis("lock", lambda: self._client.exists(key)))
            except _Down:
                return False

        return await self._run(op())

    async def await_entry(self, key: str, lock: str, timeout_s: float) -> CacheEntry | None:
        return await poll_for_entry(self, key, lock, timeout_s)

    async def _list(self, limit: int) -> list[CacheEntry]:
        index = self.prefix + "index"
        try:
            await self._redis(
                "list", lambda: self._client.zremrangebyscore(index, "-inf", self.clock())
            )
            keys = await self._redis("list", lambda: self._client.zrange(index, 0, limit - 1))
        except _Down:
            return self._local.entries(now=self.clock())
        found = await asyncio.gather(*(self._read(k.decode()) for k in keys))
        return [e for e in found if e is not None]

    async def aentries(self, limit: int = 500) -> list[CacheEntry]:
        """The shared entries (up to `limit`), from the index: no key scan."""
        return await self._run(self._list(limit))

    def shared_entries(self, limit: int = 500) -> list[CacheEntry]:
        """`aentries` for synchronous code (a cell, the inspector): bounded by the timeout."""
        try:
            return self._block(self._list(limit))
        except concurrent.futures.TimeoutError:
            return self._local.entries(now=self.clock())

    async def aclear(self) -> None:
        """Drop every shared entry of this prefix (by the index; tag records stay)."""
        index = self.prefix + "index"
        self._local.clear()

        async def op() -> None:
            keys = await self._client.zrange(index, 0, -1)
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                await self._client.delete(*(self._key(k.decode()) for k in chunk))
            await self._client.delete(index)
            await self._publish(k="c")()

        try:
            await self._run(self._redis("clear", op))
        except _Down:
            self.dropped_writes += 1

    # -- lifetime ---------------------------------------------------------------------------

    def wait_subscribed(self, timeout_s: float = 5.0) -> bool:
        """Whether the invalidation feed is up (the local tier serves only then)."""
        return self._subscribed.wait(timeout_s)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True

        async def shutdown() -> None:
            # Writes still in flight finish or are cancelled here, not destroyed with the loop.
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            try:
                await asyncio.wait_for(self._client.aclose(), self.timeout_s)
            except Exception:
                pass

        try:
            self._call_soon(shutdown()).result(self.timeout_s * 4)
        except Exception:
            pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(self.timeout_s * 4)
        if not self._thread.is_alive():
            self._loop.close()

    def __repr__(self) -> str:
        return f"RedisCache({self.url!r}, prefix={self.prefix!r})"
