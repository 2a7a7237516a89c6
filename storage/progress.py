"""How far each enrollment got in each video, as the admin pages and players read it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from storage.exceptions import ConstraintError, NotFoundError

# The student behind a row, by primary keys: the composite foreign keys already make them the
# row's tenant's, and a tenant_id condition here invites per-row scans of the whole tenant
# while a freshly imported tenant has no planner statistics.
_STUDENT_JOIN = """JOIN enrollments e ON e.id = p.enrollment_id
JOIN students st ON st.id = e.student_id"""
_SELECT = """SELECT p.id, p.video_id AS video, p.enrollment_id AS enrollment, p.progress,
    p.last_position, p.completed, p.updated_at, st.name AS student_name"""
_FILTERS = {"video": "p.video_id", "enrollment": "p.enrollment_id"}

# Rows are only created for a video and an enrollment that are both the tenant's: the SELECT
# yields nothing otherwise, so ON CONFLICT can never meet (and update) another tenant's row.
_UPSERT = f"""
WITH p AS (
    INSERT INTO video_progress (tenant_id, video_id, enrollment_id, progress, last_position,
                                completed, completed_at)
    SELECT $1, v.id, e.id, $4::float8, $5::integer, $6::boolean,
           CASE WHEN $6::boolean THEN now() END
    FROM videos v, enrollments e
    WHERE v.tenant_id = $1 AND v.id = $2 AND e.tenant_id = $1 AND e.id = $3
    ON CONFLICT (video_id, enrollment_id) DO UPDATE SET
        progress = EXCLUDED.progress, last_position = EXCLUDED.last_position,
        completed = EXCLUDED.completed,
        completed_at = CASE WHEN EXCLUDED.completed
                            THEN COALESCE(video_progress.completed_at, now()) END
    RETURNING *)
{_SELECT} FROM p {_STUDENT_JOIN}"""


# A student moves only the resume point, of their own enrollment; progress and completion stay
# what the server observed (a new row starts at 0).
_RESUME = f"""
WITH own AS (
    SELECT e.id FROM enrollments e JOIN students st ON st.id = e.student_id
    WHERE e.tenant_id = $1 AND e.id = $3 AND st.user_id = $4),
p AS (
    INSERT INTO video_progress (tenant_id, video_id, enrollment_id, last_position)
    SELECT $1, v.id, own.id, $5::integer FROM videos v, own WHERE v.tenant_id = $1 AND v.id = $2
    ON CONFLICT (video_id, enrollment_id) DO UPDATE SET last_position = EXCLUDED.last_position
    RETURNING *)
{_SELECT} FROM p {_STUDENT_JOIN}"""


@dataclass(frozen=True, slots=True)
class VideoProgress:
    """One enrollment's progress in one video (``VideoProgress`` in ``videos.ts``)."""

    id: int
    video: int
    enrollment: int
    progress: float  # 0..1
    last_position: int  # seconds
    completed: bool
    updated_at: datetime
    student_name: str


def _progress(record: asyncpg.Record) -> VideoProgress:
    return VideoProgress(**dict(record.items()))


def _where(tenant_id: int, filters: Mapping[str, int],
           user_id: str | None) -> tuple[str, list[Any]]:
    args: list[Any] = [tenant_id]
    clauses = ["p.tenant_id = $1"]
    for name, value in filters.items():
        args.append(value)
        clauses.append(f"{_FILTERS[name]} = ${len(args)}")
    if user_id is not None:
        args.append(user_id)
        clauses.append(f"st.tenant_id = $1 AND st.user_id = ${len(args)}")
    return " AND ".join(clauses), args


class ProgressRepository:
    """Tenant-scoped reads and upserts of video progress.

    ``user_id`` narrows reads to the enrollments of the student profile with that user id
    (a student's own rows); None reads the whole tenant.
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def list(self, tenant_id: int, filters: Mapping[str, int], *, user_id: str | None,
                   limit: int, offset: int) -> tuple[int, list[VideoProgress]]:
        """(total, one page) ordered by id; ``filters`` by API name (video, enrollment)."""
        where, args = _where(tenant_id, filters, user_id)
        source = f"video_progress p {_STUDENT_JOIN}"
        async with self._pool.acquire() as conn:
            count = await conn.fetchval(f"SELECT count(*) FROM {source} WHERE {where}", *args)
            records = await conn.fetch(
                f"{_SELECT} FROM {source} WHERE {where} ORDER BY p.id "
                f"LIMIT {int(limit)} OFFSET {int(offset)}", *args)
        return count, [_progress(r) for r in records]

    async def get(self, tenant_id: int, progress_id: int, *,
                  user_id: str | None) -> VideoProgress:
        """One row; :class:`NotFoundError` if absent, another tenant's or not the user's."""
        where, args = _where(tenant_id, {}, user_id)
        args.append(progress_id)
        record = await self._pool.fetchrow(
            f"{_SELECT} FROM video_progress p {_STUDENT_JOIN} "
            f"WHERE {where} AND p.id = ${len(args)}", *args)
        if record is None:
            raise NotFoundError(f"video progress {progress_id} not found")
        return _progress(record)

    async def record(self, tenant_id: int, video: int, enrollment: int, *, progress: float,
                     last_position: int, completed: bool) -> VideoProgress:
        """Create or overwrite the row of (video, enrollment); ConstraintError names a bad id."""
        async with self._pool.acquire() as conn:
            record = await conn.fetchrow(_UPSERT, tenant_id, video, enrollment, progress,
                                         last_position, completed)
            if record is not None:
                return _progress(record)
            # Nothing written: say which id is not the tenant's (the rare, error path).
            video_ok = await conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM videos WHERE tenant_id = $1 AND id = $2)",
                tenant_id, video)
        field, pk = ("enrollment", enrollment) if video_ok else ("video", video)
        raise ConstraintError(field, f'Invalid pk "{pk}" - object does not exist.')

    async def resume_at(self, tenant_id: int, video: int, enrollment: int, user_id: str,
                        last_position: int) -> VideoProgress:
        """Move a student's own resume point; NotFoundError unless both ids are theirs."""
        record = await self._pool.fetchrow(_RESUME, tenant_id, video, enrollment, user_id,
                                           last_position)
        if record is None:
            raise NotFoundError(f"no video {video} for enrollment {enrollment} of this student")
        return _progress(record)
