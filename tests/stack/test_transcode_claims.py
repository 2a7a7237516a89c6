"""Done-markers of transcode jobs survive a Redis blip (through a connection-resetting proxy)."""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import urlsplit

import pytest
import redis.asyncio as redis

from config.settings import Settings
from storage.transcode_claims import TranscodeClaims, done_key
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
