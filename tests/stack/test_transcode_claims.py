"""Done-markers of transcode jobs survive a Redis blip (through a connection-resetting proxy)."""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import urlsplit

import pytest
import redis.asyncio as redis

from config.settings import Settings
from storage.transcode_claims import LeaseLost, TranscodeClaims, done_key, lease_key
from tests.stack.flaky_proxy import FlakyProxy

pytestmark = pytest.mark.stack


async def test_a_done_marker_waits_out_a_redis_blip_instead_of_failing_the_job(
        settings: Settings) -> None:
    target = urlsplit(settings.redis_url)
    proxy = FlakyProxy(target.hostname or "127.0.0.1", target.port or 6379)
    await proxy.start()
    flaky = redis.Redis(host="127.0.0.1", port=proxy.port, socket_connect_timeout=1)
    direct = redis.Redis.from_url(settings.redis_url)
    job_id = f"test-{uuid.uuid4()}"
    try:
        marking = asyncio.create_task(TranscodeClaims(flaky).mark_done(job_id))
        # Longer than redis-py's own retries (about 5 s): our loop must carry it.
        await asyncio.sleep(7.0)
        assert not marking.done() and proxy.dropped > 0  # still trying, not raising
        proxy.down = False
        await asyncio.wait_for(marking, 10)
        assert await direct.exists(done_key(job_id)) == 1
        assert await TranscodeClaims(direct).is_done(job_id)
    finally:
        await direct.delete(done_key(job_id))
        await flaky.aclose()
        await direct.aclose()
        await proxy.close()


@pytest.mark.parametrize("taken_meanwhile", [False, True])
async def test_a_lease_redis_lost_is_taken_back_unless_another_worker_has_it(
        settings: Settings, taken_meanwhile: bool) -> None:
    direct = redis.Redis.from_url(settings.redis_url)
    video = int(uuid.uuid4().int % 10**9)
    key = lease_key("t-lease", video)
    try:
        async with TranscodeClaims(direct, lease_seconds=3.0).hold("t-lease", video) as lease:
            token = await direct.get(key)
            await direct.delete(key)  # what a Redis restarted empty does to it
            if taken_meanwhile:
                await direct.set(key, b"another-worker", px=3000)
            await asyncio.sleep(2.5)  # two renewals (every second)
            if taken_meanwhile:
                with pytest.raises(LeaseLost):
                    lease.check()
                assert await direct.get(key) == b"another-worker"
            else:
                lease.check()  # the transcode goes on
                assert await direct.get(key) == token
                assert 0 < await direct.pttl(key) <= 3000
    finally:
        await direct.delete(key)
        await direct.aclose()
