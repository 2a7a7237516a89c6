"""The playback audit trail: ``playback_events`` rows, written in batches, idempotently."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import asyncpg

from streams.schemas import AuditEventV1, PlaybackEventV1

# unnest() turns column arrays into rows: one round trip for the whole batch.
_INSERT = """
INSERT INTO playback_events (
    id, tenant_id, video_id, enrollment_id, session_id, user_id, event_type,
    event_payload, policy_snapshot, violated, violation_reason, occurred_at, received_at)
SELECT * FROM unnest(
    $1::uuid[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[],
    $8::jsonb[], $9::jsonb[], $10::boolean[], $11::text[], $12::timestamptz[],
    $13::timestamptz[])
ON CONFLICT (id) DO NOTHING
"""


def _ts(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=timezone.utc)


class PlaybackEventRepository:
    """Writes audit rows; a redelivered event (same id) is stored once."""

    def __init__(self, pool: asyncpg.Pool | asyncpg.Connection) -> None:
        self._pool = pool

    async def insert_many(self, events: Sequence[PlaybackEventV1],
                          verdicts: Sequence[tuple[bool, str]] | None = None) -> int:
        """Insert events with their (violated, reason) verdicts; return rows newly stored."""
        if not events:
            return 0
        verdicts = verdicts or [(False, "")] * len(events)
        status = await self._pool.execute(
            _INSERT,
            [e.event_id for e in events], [e.tenant_id for e in events],
            [e.video_id for e in events], [e.enrollment_id for e in events],
            [e.session_id for e in events], [e.user_id for e in events],
            [e.event_type for e in events], [e.payload for e in events],
            [e.policy for e in events], [v[0] for v in verdicts], [v[1] for v in verdicts],
            [_ts(e.occurred_at) for e in events], [_ts(e.received_at) for e in events],
        )
        return int(status.rsplit(" ", 1)[-1])


async def write_audit(conn: asyncpg.Connection, judged: Sequence[AuditEventV1]) -> None:
    """Store judged events (within the caller's transaction); replays are no-ops."""
    await PlaybackEventRepository(conn).insert_many(
        [j.event for j in judged], [(j.violated, j.violation_reason) for j in judged])


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
