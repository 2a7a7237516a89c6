"""PostgreSQL gone (connections reset, new ones refused) while events arrive: the recorder keeps
them in Kafka, retries, never commits past them, and stores each exactly once when it returns.

The recorder's connections go through a TCP proxy the test cuts, so the PostgreSQL the rest of
the suite uses stays up (``tests/security/test_recorders_db_incident.py`` covers the faults a
live server reports: read-only, timeouts, terminated backends, injected SQLSTATEs).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import asdict
from typing import Any

import asyncpg
import orjson
import pytest

from storage.db import create_pool
from streams import topics
from streams.schemas import PlaybackEventV1
from tests.http.test_postgres_outage import through
from tests.stack.flaky_proxy import FlakyProxy
from tests.stack.recorder_harness import private_recorder

pytestmark = pytest.mark.stack
EVENTS = 20
DOWN_SECONDS = 4.0


def _event(tenant_id: int, session: str, n: int) -> bytes:
    return orjson.dumps(asdict(PlaybackEventV1(
        event_id=str(uuid.uuid4()), tenant="t", tenant_id=tenant_id, user_id="u", video_id=1,
        enrollment_id=1, session_id=session, event_type="POSITION", occurred_at=1.8e9 + n,
        received_at=1.8e9 + n, payload={"position": n})))


async def test_events_sent_while_postgres_is_down_are_stored_once_when_it_returns(
        settings: Any, db: asyncpg.Pool, make_tenant: Any) -> None:
    tenant = await make_tenant()
    run = f"pg-down-{uuid.uuid4().hex[:8]}"
    proxy = FlakyProxy("127.0.0.1", int(settings.database_url.rsplit(":", 1)[1].split("/")[0]))
    await proxy.start()
    proxy.down = False
    pool = await create_pool(through(settings, proxy), max_size=2)
    events = topics.PLAYBACK_EVENTS

    async def rows() -> tuple[int, int]:
        count, distinct = await db.fetchrow(
            "SELECT count(*), count(DISTINCT id) FROM playback_events "
            "WHERE tenant_id = $1 AND session_id = $2", tenant.id, run)
        return int(count), int(distinct)

    try:
        async with private_recorder(settings, pool) as rec:
            warm = await rec.publish(events, [_event(tenant.id, "warm-up", 0)])
            await rec.until("the warm-up committed",
                            lambda: _equals(rec.committed(events), warm[0] + 1))
            proxy.cut()
            sent = await rec.publish(events, [_event(tenant.id, run, n) for n in range(EVENTS)])
            deadline = time.monotonic() + DOWN_SECONDS
            while time.monotonic() < deadline:
                rec.alive()
                assert await rec.committed(events) == warm[0] + 1  # never past the unstored
                await asyncio.sleep(0.2)
            assert await rows() == (0, 0)
            assert proxy.dropped > 0  # the recorder did try, and was refused
            proxy.down = False
            back = time.monotonic()
            await rec.until("every row stored", lambda: _equals(rows(), (EVENTS, EVENTS)))
            caught_up = time.monotonic() - back
            await rec.until("the batch committed",
                            lambda: _equals(rec.committed(events), sent[-1] + 1))
    finally:
        await pool.close()
        await proxy.close()
    assert await rows() == (EVENTS, EVENTS)
    # The recorder's backoff is capped: it notices PostgreSQL's return within seconds.
    assert caught_up < 15, caught_up


async def _equals(value: Any, expected: Any) -> bool:
    return bool(await value == expected)
