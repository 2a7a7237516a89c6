"""The playback audit trail: ``playback_events`` rows, written in batches, idempotently."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

import asyncpg

from streams.schemas import PlaybackEventV1

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

    def __init__(self, pool: asyncpg.Pool) -> None:
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
