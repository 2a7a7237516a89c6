"""Which academies' transcodes run right now, across every worker (Redis), for the fair share.

A running job is a member ``{tenant_id}:{video_id}`` of one sorted set scored by when it lapses
(renewed while the job runs, so a SIGKILLed worker's jobs drop out by themselves); a hash keeps
each academy's latest start. Times come from Redis (``TIME``), so workers' clocks never matter.
Keys: ``lc:transcode:running`` and ``lc:transcode:last-start``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass

import redis.asyncio as redis

RUNNING_KEY = "lc:transcode:running"
LAST_START_KEY = "lc:transcode:last-start"
RUNNING_SECONDS = 30.0  # how long a dead worker's job still counts as running

_NOW_MS = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000) "
_START = _NOW_MS + """redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[2], now) return now"""
_RENEW = _NOW_MS + "return redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])"
_SNAPSHOT = _NOW_MS + """redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return {redis.call('ZRANGE', KEYS[1], 0, -1), redis.call('HGETALL', KEYS[2])}"""


@dataclass(frozen=True, slots=True)
class SlotSnapshot:
    """Running jobs per academy and each academy's latest start (epoch seconds)."""

    running: dict[int, int]
    last_start: dict[int, float]


class TranscodeSlots:
    """The cross-worker registry of running transcodes."""

    def __init__(self, client: redis.Redis, running_seconds: float = RUNNING_SECONDS) -> None:
        self._ms = int(running_seconds * 1000)
        self._start = client.register_script(_START)
        self._renew = client.register_script(_RENEW)
        self._snapshot = client.register_script(_SNAPSHOT)
        self._redis = client

    async def snapshot(self) -> SlotSnapshot:
        """Who runs how many transcodes now, and who started last when."""
        members, flat = await self._snapshot(keys=[RUNNING_KEY, LAST_START_KEY])
        running = Counter(int(m.split(b":", 1)[0]) for m in members)
        last = {int(flat[i]): int(flat[i + 1]) / 1000 for i in range(0, len(flat), 2)}
        return SlotSnapshot(dict(running), last)

    @contextlib.asynccontextmanager
    async def running(self, tenant_id: int, video_id: int) -> AsyncIterator[None]:
        """Count the job as running inside the block (renewed; removed after, best effort)."""
        member = f"{tenant_id}:{video_id}"
        await self._start(keys=[RUNNING_KEY, LAST_START_KEY], args=[member, tenant_id, self._ms])
        renewer = asyncio.create_task(self._keep(member))
        try:
            yield
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
            with contextlib.suppress(redis.RedisError):
                await self._redis.zrem(RUNNING_KEY, member)

    async def _keep(self, member: str) -> None:
        while True:
            await asyncio.sleep(self._ms / 3000)
            # A Redis blip only risks the job being counted out for a while: never fatal.
            with contextlib.suppress(redis.RedisError):
                await self._renew(keys=[RUNNING_KEY], args=[member, self._ms])
