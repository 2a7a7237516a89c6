"""``playback_sessions`` and ``playback_devices``: the durable record of the session actor.

Written from the session-lifecycle topic, idempotently: a replayed event changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import asyncpg

from storage import columns as C
from storage.exceptions import NotFoundError
from streams.schemas import SessionLifecycleV1

_END_STATUS = {"ended": "ENDED", "expired": "EXPIRED", "revoked": "REVOKED"}


@dataclass(frozen=True, slots=True)
class PlaybackSession:
    """A playback session as admins list it."""

    session_id: str
    video: int
    enrollment: int
    user_id: str
    device_id: str
    status: str
    end_reason: str
    started_at: datetime
    ended_at: datetime | None
    last_seen_at: datetime
    user_agent: str = ""  # the browser the device was last seen with ("": not known)


@dataclass(frozen=True, slots=True)
class Device:
    """A device a student played from."""

    id: int
    user_id: str
    device_id: str
    first_seen_at: datetime
    last_played_at: datetime
    user_agent: str = ""  # the browser the device was last seen with ("": not known)


class LifecycleRow(NamedTuple):
    """What one lifecycle event writes, as PostgreSQL takes it."""

    kind: str
    tenant_id: int
    session_id: str
    video_id: int
    enrollment_id: int
    user_id: str
    device_id: str
    reason: str
    at: datetime


def lifecycle_row(e: SessionLifecycleV1) -> LifecycleRow:
    """An event's row; :class:`~storage.columns.Unstorable` if a field cannot be stored."""
    return LifecycleRow(
        e.kind, C.bigint("tenant_id", e.tenant_id), C.key_text("session_id", e.session_id),
        C.bigint("video_id", e.video_id), C.bigint("enrollment_id", e.enrollment_id),
        C.key_text("user_id", e.user_id), C.key_text("device_id", e.device_id),
        C.text("reason", e.reason), C.timestamptz("at", e.at))


async def write(conn: asyncpg.Connection, rows: Sequence[LifecycleRow]) -> None:
    """Apply lifecycle rows in order (within the caller's transaction)."""
    for e in rows:
        if e.kind == "opened":
            await conn.execute(
                # The video (or the whole tenant) may be gone by now: skip, never break the batch.
                """INSERT INTO playback_sessions (tenant_id, session_id, video_id, enrollment_id,
                       user_id, device_id, started_at, last_seen_at)
                   SELECT $1, $2, $3, $4, $5, $6, $7, $7
                   WHERE EXISTS (SELECT 1 FROM videos WHERE tenant_id = $1 AND id = $3)
                     AND EXISTS (SELECT 1 FROM enrollments WHERE tenant_id = $1 AND id = $4)
                   ON CONFLICT (session_id) DO NOTHING""",
                e.tenant_id, e.session_id, e.video_id, e.enrollment_id, e.user_id, e.device_id,
                e.at)
            await conn.execute(
                """INSERT INTO playback_devices (tenant_id, user_id, device_id, first_seen_at,
                       last_played_at)
                   SELECT $1, $2, $3, $4, $4 WHERE EXISTS (SELECT 1 FROM tenants WHERE id = $1)
                   ON CONFLICT (tenant_id, user_id, device_id) DO UPDATE
                   SET last_played_at = greatest(playback_devices.last_played_at, $4)""",
                e.tenant_id, e.user_id, e.device_id, e.at)
        elif e.kind == "refreshed":
            await conn.execute(
                """UPDATE playback_sessions SET last_seen_at = greatest(last_seen_at, $2)
                   WHERE session_id = $1""", e.session_id, e.at)
        elif e.kind in _END_STATUS:
            await conn.execute(
                """UPDATE playback_sessions SET status = $2, end_reason = $3, ended_at = $4
                   WHERE session_id = $1 AND status = 'ACTIVE'""",
                e.session_id, _END_STATUS[e.kind], e.reason, e.at)


async def record(conn: asyncpg.Connection, events: Sequence[SessionLifecycleV1]) -> None:
    """Apply lifecycle events in order (within the caller's transaction)."""
    await write(conn, [lifecycle_row(e) for e in events])


# The user agent of a session's or device's row (aliased ``d``), by the device's full key.
_AGENT = """coalesce((SELECT a.user_agent FROM playback_device_agents a
                     WHERE a.tenant_id = d.tenant_id AND a.user_id = d.user_id
                       AND a.device_id = d.device_id), '') AS user_agent"""


class PlaybackSessionRepository:
    """Admin reads of sessions and devices."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def list(self, tenant_id: int, *, user: str | None, video: int | None,
                   status: str | None, limit: int, offset: int
                   ) -> tuple[int, list[PlaybackSession]]:
        """Sessions newest first, filtered."""
        args: list[Any] = [tenant_id]
        where = ["tenant_id = $1"]
        for column, value in (("user_id", user), ("video_id", video), ("status", status)):
            if value is not None:
                args.append(value)
                where.append(f"{column} = ${len(args)}")
        clause = " AND ".join(where)
        async with self._pool.acquire() as conn:
            count = await conn.fetchval(f"SELECT count(*) FROM playback_sessions WHERE {clause}",
                                        *args)
            rows = await conn.fetch(
                f"""SELECT session_id, video_id AS video, enrollment_id AS enrollment, user_id,
                        device_id, status, end_reason, started_at, ended_at, last_seen_at,
                        {_AGENT}
                    FROM playback_sessions d WHERE {clause}
                    ORDER BY started_at DESC, id DESC LIMIT {int(limit)} OFFSET {int(offset)}""",
                *args)
        return count, [PlaybackSession(**dict(r.items())) for r in rows]

    async def get(self, tenant_id: int, session_id: str) -> PlaybackSession:
        """One session of the tenant."""
        row = await self._pool.fetchrow(
            """SELECT session_id, video_id AS video, enrollment_id AS enrollment, user_id,
                   device_id, status, end_reason, started_at, ended_at, last_seen_at
               FROM playback_sessions WHERE tenant_id = $1 AND session_id = $2""",
            tenant_id, session_id)
        if row is None:
            raise NotFoundError(f"playback session {session_id} not found")
        return PlaybackSession(**dict(row.items()))

    async def devices(self, tenant_id: int, user: str | None) -> list[Device]:
        """Devices, most recently used first."""
        rows = await self._pool.fetch(
            f"""SELECT id, user_id, device_id, first_seen_at, last_played_at, {_AGENT}
               FROM playback_devices d
               WHERE tenant_id = $1 AND ($2::text IS NULL OR user_id = $2)
               ORDER BY last_played_at DESC LIMIT 500""", tenant_id, user)
        return [Device(**dict(r.items())) for r in rows]

    async def device(self, tenant_id: int, device_row_id: int) -> Device:
        """One device record of the tenant."""
        row = await self._pool.fetchrow(
            f"""SELECT id, user_id, device_id, first_seen_at, last_played_at, {_AGENT}
               FROM playback_devices d
               WHERE tenant_id = $1 AND id = $2""", tenant_id, device_row_id)
        if row is None:
            raise NotFoundError(f"device {device_row_id} not found")
        return Device(**dict(row.items()))

    async def delete_device(self, tenant_id: int, device_row_id: int) -> None:
        """Forget a device record."""
        await self._pool.execute(
            """WITH gone AS (DELETE FROM playback_devices WHERE tenant_id = $1 AND id = $2
                             RETURNING tenant_id, user_id, device_id)
               DELETE FROM playback_device_agents a USING gone
               WHERE a.tenant_id = gone.tenant_id AND a.user_id = gone.user_id
                 AND a.device_id = gone.device_id""", tenant_id, device_row_id)
