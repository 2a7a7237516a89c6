"""Finding 7 (first item): re-sending a ``batch_id`` rewrote stored audit rows.

The gateway derives event ids from (tenant, user, session, batch_id, position), so a re-sent
batch makes the same ids; the recorders' upsert then replaced the stored payload, policy and
receive time. Audit rows are immutable: the first write of an event wins. A verdict that came
first still gets its event's columns filled in once.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest

from storage import audit
from streams.schemas import PlaybackEventV1, ViolationV1

pytestmark = pytest.mark.stack
T0 = 1_800_000_000.0


def _event(event_id: str, tenant_id: int, note: str, received_at: float) -> PlaybackEventV1:
    return PlaybackEventV1(
        event_id=event_id, tenant="t", tenant_id=tenant_id, user_id="u", video_id=1,
        enrollment_id=1, session_id="s-immutable", event_type="SEEK_ATTEMPT", occurred_at=T0,
        received_at=received_at, payload={"note": note}, policy={"allow_seek": note == "first"})


def _verdict(e: PlaybackEventV1) -> ViolationV1:
    return ViolationV1(
        event_id=e.event_id, tenant=e.tenant, tenant_id=e.tenant_id, user_id=e.user_id,
        video_id=e.video_id, enrollment_id=e.enrollment_id, session_id=e.session_id,
        event_type=e.event_type, reason="seek_not_allowed", occurred_at=e.occurred_at,
        session_violations=1, action="audit")


async def _write(db: asyncpg.Pool, write: Any, values: list[Any]) -> None:
    async with db.acquire() as conn, conn.transaction():
        await write(conn, values)


async def _row(db: asyncpg.Pool, event_id: str) -> asyncpg.Record:
    return await db.fetchrow(
        "SELECT event_payload, policy_snapshot, received_at, violated FROM playback_events "
        "WHERE id = $1", uuid.UUID(event_id))


@pytest.mark.parametrize("verdict_first", [False, True])
async def test_a_resent_event_never_rewrites_its_audit_row(
        db: asyncpg.Pool, make_tenant: Any, verdict_first: bool) -> None:
    tenant = await make_tenant()
    event_id = str(uuid.uuid4())
    first = _event(event_id, tenant.id, "first", T0 + 1)
    forged = _event(event_id, tenant.id, "forged", T0 + 999)
    if verdict_first:
        await _write(db, audit.record_verdicts, [_verdict(first)])
    await _write(db, audit.record_events, [first])
    for resent in ([forged], [forged, forged], [first, forged]):
        await _write(db, audit.record_events, resent)
        row = await _row(db, event_id)
        assert row["event_payload"] == {"note": "first"}
        assert row["policy_snapshot"] == {"allow_seek": True}
        assert row["received_at"].timestamp() == pytest.approx(T0 + 1)
        assert row["violated"] is verdict_first
