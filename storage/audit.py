"""The playback audit trail: ``playback_events`` rows, written in batches, idempotently."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

import asyncpg

from storage import columns as C
from streams.schemas import PlaybackEventV1, ViolationV1

# unnest() turns column arrays into rows: one round trip for the whole batch. The event and its
# verdict arrive on two topics, in either order: each write fills in only its own columns.
# An event's columns are written once: a verdict-only row (event_recorded false) takes them when
# the event comes, a stored event never changes again (a re-sent batch_id makes the same ids).
_INSERT_EVENTS = """
INSERT INTO playback_events (
    id, tenant_id, video_id, enrollment_id, session_id, user_id, event_type,
    event_payload, policy_snapshot, occurred_at, received_at)
SELECT * FROM unnest(
    $1::uuid[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[],
    $8::jsonb[], $9::jsonb[], $10::timestamptz[], $11::timestamptz[])
ON CONFLICT (id) DO UPDATE SET
    event_payload = EXCLUDED.event_payload, policy_snapshot = EXCLUDED.policy_snapshot,
    received_at = EXCLUDED.received_at, event_recorded = true
WHERE NOT playback_events.event_recorded
"""

# A verdict whose event is not stored yet makes the row from what the violation carries; the
# event fills in its payload, policy and receive time when it comes.
_INSERT_VERDICTS = """
INSERT INTO playback_events (
    id, tenant_id, video_id, enrollment_id, session_id, user_id, event_type,
    violated, violation_reason, occurred_at, received_at, judged_at, event_recorded)
SELECT id, tenant_id, video_id, enrollment_id, session_id, user_id, event_type, true, reason,
       occurred_at, occurred_at, clock_timestamp(), false
FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[],
            $7::text[], $8::text[], $9::timestamptz[])
     AS v(id, tenant_id, video_id, enrollment_id, session_id, user_id, event_type, reason,
          occurred_at)
ON CONFLICT (id) DO UPDATE SET violated = true, violation_reason = EXCLUDED.violation_reason,
    judged_at = coalesce(playback_events.judged_at, EXCLUDED.judged_at)
"""


class EventRow(NamedTuple):
    """The columns of one accepted event, as PostgreSQL takes them."""

    id: str
    tenant_id: int
    video_id: int
    enrollment_id: int
    session_id: str
    user_id: str
    event_type: str
    payload: Any
    policy: Any
    occurred_at: datetime
    received_at: datetime


class VerdictRow(NamedTuple):
    """The columns a violation writes."""

    id: str
    tenant_id: int
    video_id: int
    enrollment_id: int
    session_id: str
    user_id: str
    event_type: str
    reason: str
    occurred_at: datetime


def event_row(e: PlaybackEventV1) -> EventRow:
    """An event's row; :class:`~storage.columns.Unstorable` if a field cannot be stored."""
    return EventRow(
        C.uuid_text("event_id", e.event_id), C.bigint("tenant_id", e.tenant_id),
        C.bigint("video_id", e.video_id), C.bigint("enrollment_id", e.enrollment_id),
        C.key_text("session_id", e.session_id), C.key_text("user_id", e.user_id),
        C.key_text("event_type", e.event_type), C.jsonb("payload", e.payload),
        C.jsonb("policy", e.policy), C.timestamptz("occurred_at", e.occurred_at),
        C.timestamptz("received_at", e.received_at))


def verdict_row(v: ViolationV1) -> VerdictRow:
    """A violation's row; :class:`~storage.columns.Unstorable` if a field cannot be stored."""
    return VerdictRow(
        C.uuid_text("event_id", v.event_id), C.bigint("tenant_id", v.tenant_id),
        C.bigint("video_id", v.video_id), C.bigint("enrollment_id", v.enrollment_id),
        C.key_text("session_id", v.session_id), C.key_text("user_id", v.user_id),
        C.key_text("event_type", v.event_type), C.text("reason", v.reason),
        C.timestamptz("occurred_at", v.occurred_at))


R = TypeVar("R", EventRow, VerdictRow)


def _columns(rows: Sequence[R]) -> list[list[Any]]:
    # One statement cannot touch a row twice (SQLSTATE 21000, a retried batch in the same poll
    # would stop the recorder): the first of an id wins, as it would across statements.
    first: dict[str, R] = {}
    for row in rows:
        first.setdefault(row.id, row)
    return [list(column) for column in zip(*first.values())]


async def write_events(conn: asyncpg.Connection, rows: Sequence[EventRow]) -> None:
    """Store event rows (within the caller's transaction); replays change nothing."""
    if rows:
        await conn.execute(_INSERT_EVENTS, *_columns(rows))


async def write_verdicts(conn: asyncpg.Connection, rows: Sequence[VerdictRow]) -> None:
    """Mark events as violations (within the caller's transaction); replays change nothing."""
    if rows:
        await conn.execute(_INSERT_VERDICTS, *_columns(rows))


async def record_events(conn: asyncpg.Connection, events: Sequence[PlaybackEventV1]) -> None:
    """Store accepted events (within the caller's transaction); replays are no-ops."""
    await write_events(conn, [event_row(e) for e in events])


async def record_verdicts(conn: asyncpg.Connection, violations: Sequence[ViolationV1]) -> None:
    """Mark events as violations (within the caller's transaction); replays are no-ops."""
    await write_verdicts(conn, [verdict_row(v) for v in violations])


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
