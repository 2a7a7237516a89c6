"""The playback audit trail: ``playback_events`` rows, written in batches, idempotently."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import asyncpg

from streams.schemas import PlaybackEventV1, ViolationV1

# unnest() turns column arrays into rows: one round trip for the whole batch. The event and its
# verdict arrive on two topics, in either order: each write fills in only its own columns.
_INSERT_EVENTS = """
INSERT INTO playback_events (
    id, tenant_id, video_id, enrollment_id, session_id, user_id, event_type,
    event_payload, policy_snapshot, occurred_at, received_at)
SELECT * FROM unnest(
    $1::uuid[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[],
    $8::jsonb[], $9::jsonb[], $10::timestamptz[], $11::timestamptz[])
ON CONFLICT (id) DO UPDATE SET
    event_payload = EXCLUDED.event_payload, policy_snapshot = EXCLUDED.policy_snapshot,
    received_at = EXCLUDED.received_at
WHERE playback_events.received_at IS DISTINCT FROM EXCLUDED.received_at
"""

# A verdict whose event is not stored yet makes the row from what the violation carries; the
# event fills in its payload, policy and receive time when it comes.
_INSERT_VERDICTS = """
INSERT INTO playback_events (
    id, tenant_id, video_id, enrollment_id, session_id, user_id, event_type,
    violated, violation_reason, occurred_at, received_at, judged_at)
SELECT id, tenant_id, video_id, enrollment_id, session_id, user_id, event_type, true, reason,
       occurred_at, occurred_at, clock_timestamp()
FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[],
            $7::text[], $8::text[], $9::timestamptz[])
     AS v(id, tenant_id, video_id, enrollment_id, session_id, user_id, event_type, reason,
          occurred_at)
ON CONFLICT (id) DO UPDATE SET violated = true, violation_reason = EXCLUDED.violation_reason,
    judged_at = coalesce(playback_events.judged_at, EXCLUDED.judged_at)
"""


def _ts(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=timezone.utc)


async def record_events(conn: asyncpg.Connection, events: Sequence[PlaybackEventV1]) -> None:
    """Store accepted events (within the caller's transaction); replays are no-ops."""
    if not events:
        return
    await conn.execute(
        _INSERT_EVENTS,
        [e.event_id for e in events], [e.tenant_id for e in events],
        [e.video_id for e in events], [e.enrollment_id for e in events],
        [e.session_id for e in events], [e.user_id for e in events],
        [e.event_type for e in events], [e.payload for e in events],
        [e.policy for e in events], [_ts(e.occurred_at) for e in events],
        [_ts(e.received_at) for e in events])


async def record_verdicts(conn: asyncpg.Connection, violations: Sequence[ViolationV1]) -> None:
    """Mark events as violations (within the caller's transaction); replays are no-ops."""
    if not violations:
        return
    await conn.execute(
        _INSERT_VERDICTS,
        [v.event_id for v in violations], [v.tenant_id for v in violations],
        [v.video_id for v in violations], [v.enrollment_id for v in violations],
        [v.session_id for v in violations], [v.user_id for v in violations],
        [v.event_type for v in violations], [v.reason for v in violations],
        [_ts(v.occurred_at) for v in violations])


@dataclass(frozen=True, slots=True)
class AuditRow:
    """An audit row as admins read it (the seed model's fields)."""

    id: str
    video: int
    enrollment: int
    session_id: str
    user_id: str
    event_type: str
    event_payload: dict[str, Any]
    policy_snapshot: dict[str, Any]
    violated: bool
    violation_reason: str
    occurred_at: datetime
    received_at: datetime


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What the admin events list may be narrowed to."""

    video: int | None = None
    enrollment: int | None = None
    session_id: str | None = None
    event_type: str | None = None
    violated: bool | None = None
    since: datetime | None = None
    until: datetime | None = None


async def list_events(pool: asyncpg.Pool, tenant_id: int, f: AuditFilter, *, limit: int,
                      offset: int) -> tuple[int, list[AuditRow]]:
    """(total, one page) of a tenant's audit rows, newest first."""
    args: list[Any] = [tenant_id]
    where = ["tenant_id = $1"]
    for clause, value in (("video_id = ${}", f.video), ("enrollment_id = ${}", f.enrollment),
                          ("session_id = ${}", f.session_id), ("event_type = ${}", f.event_type),
                          ("violated = ${}", f.violated), ("received_at >= ${}", f.since),
                          ("received_at < ${}", f.until)):
        if value is not None:
            args.append(value)
            where.append(clause.format(len(args)))
    sql_where = " AND ".join(where)
    async with pool.acquire() as conn:
        count = await conn.fetchval(f"SELECT count(*) FROM playback_events WHERE {sql_where}",
                                    *args)
        rows = await conn.fetch(
            f"""SELECT id::text AS id, video_id AS video, enrollment_id AS enrollment, session_id,
                    user_id, event_type, event_payload, policy_snapshot, violated,
                    violation_reason, occurred_at, received_at
                FROM playback_events WHERE {sql_where}
                ORDER BY received_at DESC, id DESC LIMIT {int(limit)} OFFSET {int(offset)}""",
            *args)
    return count, [AuditRow(**dict(r.items())) for r in rows]
