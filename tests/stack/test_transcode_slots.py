"""The cross-worker registry of running transcodes (real Redis): counts, starts, lapses."""

from __future__ import annotations

import asyncio
import random

import pytest
import redis.asyncio as redis

from config.settings import Settings
from storage.transcode_slots import LAST_START_KEY, RUNNING_KEY, TranscodeSlots

pytestmark = pytest.mark.stack


async def test_running_jobs_are_counted_per_academy_and_lapse_when_their_worker_dies(
        settings: Settings) -> None:
    client = redis.Redis.from_url(settings.redis_url)
    # Tenant ids no real test tenant has: other workers may share the registry meanwhile.
    a, b = (random.randrange(10**9, 2 * 10**9) for _ in range(2))
    slots = TranscodeSlots(client, running_seconds=1.5)
    try:
        async with slots.running(a, 1), slots.running(a, 2):
            async with slots.running(b, 3):
                now = await slots.snapshot()
                assert (now.running.get(a), now.running.get(b)) == (2, 1)
                assert now.last_start[b] >= now.last_start[a] > 0
                await asyncio.sleep(2.0)  # longer than running_seconds: renewed meanwhile
                assert (await slots.snapshot()).running.get(a) == 2
            assert b not in (await slots.snapshot()).running
        assert a not in (await slots.snapshot()).running
        assert (await slots.snapshot()).last_start[a] > 0  # remembered for the fair share

        # A worker that dies mid-job stops renewing: its job drops out by itself.
        dead = TranscodeSlots(client, running_seconds=1.0)
        await dead._start(keys=[RUNNING_KEY, LAST_START_KEY], args=[f"{a}:9", a, 1000])
        assert (await slots.snapshot()).running.get(a) == 1
        await asyncio.sleep(1.2)
        assert a not in (await slots.snapshot()).running
    finally:
        await client.zrem(RUNNING_KEY, *(f"{t}:{v}" for t in (a, b) for v in (1, 2, 3, 9)))
        await client.hdel(LAST_START_KEY, str(a), str(b))
        await client.aclose()
