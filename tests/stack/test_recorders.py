"""Recorders on the real PostgreSQL: late messages about deleted rows never break a batch, an
event and its verdict make one row in either order, a refused row does not block the rest."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest
from aiokafka import ConsumerRecord, TopicPartition

from agents.recorders import Recorder
from storage import audit, playback_sessions
from streams import codecs, topics
from streams.schemas import PlaybackEventV1, SessionLifecycleV1, ViolationV1

pytestmark = pytest.mark.stack


async def test_lifecycle_of_a_deleted_tenant_is_skipped_not_fatal(db: asyncpg.Pool,
                                                                  make_tenant) -> None:
    tenant = await make_tenant()
    await db.execute("DELETE FROM tenants WHERE id = $1", tenant.id)
    opened = SessionLifecycleV1(event_id="e", kind="opened", tenant=tenant.slug,
                                tenant_id=tenant.id, user_id="u", session_id="gone-session",
                                video_id=1, enrollment_id=1, device_id="d", at=1.8e9)
    async with db.acquire() as conn, conn.transaction():
        await playback_sessions.record(conn, [opened])  # must not raise
    assert await db.fetchval("SELECT count(*) FROM playback_devices WHERE tenant_id = $1",
                             tenant.id) == 0


def _event(event_id: str, tenant_id: int, payload: dict[str, Any] | None = None
           ) -> PlaybackEventV1:
    return PlaybackEventV1(
        event_id=event_id, tenant="t", tenant_id=tenant_id, user_id="u", video_id=1,
        enrollment_id=1, session_id="s-" + event_id[:8], event_type="SEEK_ATTEMPT",
        occurred_at=1.8e9, received_at=1.8e9 + 0.5, payload=payload or {"from": 1, "to": 50},
        policy={"allow_seek": False})


def _violation(e: PlaybackEventV1) -> ViolationV1:
    return ViolationV1(
        event_id=e.event_id, tenant=e.tenant, tenant_id=e.tenant_id, user_id=e.user_id,
        video_id=e.video_id, enrollment_id=e.enrollment_id, session_id=e.session_id,
        event_type=e.event_type, reason="seek_not_allowed", occurred_at=e.occurred_at,
        session_violations=1, action="audit")


@pytest.mark.parametrize("verdict_first", [False, True])
async def test_event_and_verdict_make_one_row_in_either_order(
        db: asyncpg.Pool, make_tenant, verdict_first: bool) -> None:
    tenant = await make_tenant()
    e = _event(str(uuid.uuid4()), tenant.id)
    writes = [(audit.record_events, [e]), (audit.record_verdicts, [_violation(e)])]
    for write, batch in (reversed(writes) if verdict_first else writes):
        for _ in range(2):  # a replay changes nothing
            async with db.acquire() as conn, conn.transaction():
                await write(conn, batch)
    rows = await db.fetch("SELECT * FROM playback_events WHERE id = $1", uuid.UUID(e.event_id))
    assert len(rows) == 1
    row = rows[0]
    assert (row["violated"], row["violation_reason"]) == (True, "seek_not_allowed")
    assert row["event_payload"] == {"from": 1, "to": 50}
    assert row["policy_snapshot"] == {"allow_seek": False}
    assert row["received_at"].timestamp() == pytest.approx(1.8e9 + 0.5)
    assert row["judged_at"] is not None  # when the verdict came: the second path's lag
    if not verdict_first:
        assert row["judged_at"] >= row["stored_at"]


def _polled(topic: str, values: list[Any]) -> dict[TopicPartition, list[ConsumerRecord]]:
    records = [ConsumerRecord(topic=topic, partition=0, offset=i, timestamp=0, timestamp_type=0,
                              key=b"t:u", value=codecs.encode(v), checksum=None,
                              serialized_key_size=3, serialized_value_size=0, headers=())
               for i, v in enumerate(values)]
    return {TopicPartition(topic, 0): records}


async def test_a_message_no_row_can_be_made_of_does_not_block_the_rest(
        db: asyncpg.Pool, make_tenant, settings: Any) -> None:
    tenant = await make_tenant()
    good = [_event(str(uuid.uuid4()), tenant.id) for _ in range(3)]
    # jsonb has no NUL character: no row can be made of this one, whatever the gateway let in.
    bad = _event(str(uuid.uuid4()), tenant.id, payload={"note": "a\u0000b"})
    recorder = Recorder(settings, db)
    batch = recorder.prepare(
        _polled(topics.PLAYBACK_EVENTS.name, [good[0], bad, good[1], good[2]]))
    assert await recorder.write(batch) == []
    stored = await db.fetchval("SELECT count(*) FROM playback_events WHERE tenant_id = $1",
                               tenant.id)
    assert stored == 3
    assert [(d.offset, d.reason_class) for d in batch.letters] == [(1, "convert")]
    assert "payload: contains a NUL character" in batch.letters[0].reason


async def test_one_poll_with_the_same_ids_twice_is_stored_once(
        db: asyncpg.Pool, make_tenant, settings: Any) -> None:
    # A retried batch can land in the same poll as the original: one INSERT ... ON CONFLICT
    # cannot touch a row twice (SQLSTATE 21000, which is no data class and would be retried
    # forever), so the first of an id wins within a poll as it does across polls.
    tenant = await make_tenant()
    e = _event(str(uuid.uuid4()), tenant.id)
    resent = _event(e.event_id, tenant.id, payload={"resent": True})
    recorder = Recorder(settings, db)
    for topic, values in ((topics.PLAYBACK_EVENTS.name, [e, resent, e]),
                          (topics.VIOLATIONS.name, [_violation(e), _violation(e)])):
        batch = recorder.prepare(_polled(topic, values))
        assert await recorder.write(batch) == [] and batch.letters == []
    row = await db.fetchrow("SELECT event_payload, violated FROM playback_events WHERE id = $1",
                            uuid.UUID(e.event_id))
    assert (row["event_payload"], row["violated"]) == ({"from": 1, "to": 50}, True)
