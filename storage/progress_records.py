"""``video_progress`` from what the player-events agent observed: batched, never going back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timezone

import asyncpg

from streams.schemas import ProgressV1

# Observed progress only ever raises a row (an admin's higher value stands); a change for a
# video or enrollment deleted meanwhile is skipped instead of failing the batch.
_RECORD = """
INSERT INTO video_progress (tenant_id, video_id, enrollment_id, progress, last_position,
                            watched_seconds, intervals, completed, completed_at, updated_at)
SELECT $1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $8 THEN $9::timestamptz END, $9
WHERE EXISTS (SELECT 1 FROM videos WHERE tenant_id = $1 AND id = $2)
  AND EXISTS (SELECT 1 FROM enrollments WHERE tenant_id = $1 AND id = $3)
ON CONFLICT (video_id, enrollment_id) DO UPDATE SET
    progress = greatest(video_progress.progress, EXCLUDED.progress),
    intervals = CASE WHEN EXCLUDED.watched_seconds >= video_progress.watched_seconds
                     THEN EXCLUDED.intervals ELSE video_progress.intervals END,
    watched_seconds = greatest(video_progress.watched_seconds, EXCLUDED.watched_seconds),
    last_position = EXCLUDED.last_position,
    completed = video_progress.completed OR EXCLUDED.completed,
    completed_at = coalesce(video_progress.completed_at, EXCLUDED.completed_at),
    updated_at = EXCLUDED.updated_at
"""


def latest_per_row(changes: Sequence[ProgressV1]) -> list[ProgressV1]:
    """One change per (tenant, enrollment, video) in a batch: the last, never below the others.

    A batch of a class watching writes a row per student, not a row per position sample. A
    later change normally carries everything an earlier one did, but not when the agent
    dropped a watch (its per-user state is bounded) and the student came back to it: the
    new watch starts empty. So the folded change keeps the batch's highest progress and
    coverage (with its intervals) and completion, and the latest resume point, exactly as
    the upsert does against the stored row.
    """
    latest: dict[tuple[int, int, int], ProgressV1] = {}
    for change in changes:
        key = (change.tenant_id, change.enrollment_id, change.video_id)
        before = latest.get(key)
        if before is not None:
            most = before if before.watched_seconds > change.watched_seconds else change
            change = replace(
                change, progress=max(before.progress, change.progress),
                completed=before.completed or change.completed,
                watched_seconds=most.watched_seconds, intervals=most.intervals)
        latest[key] = change
    return list(latest.values())


async def record(conn: asyncpg.Connection, changes: Sequence[ProgressV1]) -> None:
    """Apply a batch of progress changes (the latest per row, in one transaction)."""
    await conn.executemany(_RECORD, [
        (c.tenant_id, c.video_id, c.enrollment_id, min(1.0, max(0.0, c.progress)),
         int(c.last_position), c.watched_seconds, c.intervals, c.completed,
         datetime.fromtimestamp(c.at, tz=timezone.utc))
        for c in latest_per_row(changes)])
