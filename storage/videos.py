"""Videos: the rows behind the admin media API and the players."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from storage.exceptions import NotFoundError

_COLUMNS = """id, session_id, title, "order", status, youtube_id, external_url, file_key,
    file_size, duration, thumbnail_key, allow_skip, max_speed, show_watermark, error_reason,
    processing_progress, renditions, created_at, updated_at"""


@dataclass(frozen=True, slots=True)
class Video:
    """A video row (the HLS key ciphertext is never loaded here)."""

    id: int
    session_id: int
    title: str
    order: int
    status: str
    youtube_id: str
    external_url: str
    file_key: str
    file_size: int | None
    duration: int | None
    thumbnail_key: str
    allow_skip: bool
    max_speed: float
    show_watermark: bool
    error_reason: str
    processing_progress: int
    renditions: list[Any]
    created_at: datetime
    updated_at: datetime

    @property
    def source_type(self) -> str:
        """Where the media comes from, as the seed reported it."""
        return source_type(self.file_key, self.youtube_id, self.external_url)


def source_type(file_key: str, youtube_id: str, external_url: str) -> str:
    """``s3``, ``youtube``, ``external`` or ``unknown``: the first source a video row has."""
    if file_key:
        return "s3"
    if youtube_id:
        return "youtube"
    if external_url:
        return "external"
    return "unknown"


def _video(record: asyncpg.Record) -> Video:
    return Video(**dict(record.items()))


@dataclass(frozen=True, slots=True)
class VideoFilter:
    """What a video list may be narrowed to."""

    session_id: int | None = None
    status: str | None = None
    search: str | None = None
    # Students: only videos of the class sessions their active enrollments take part in.
    visible_to_user: str | None = None


class VideoRepository:
    """Tenant-scoped reads and writes of videos."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @staticmethod
    def _where(tenant_id: int, f: VideoFilter) -> tuple[str, list[Any]]:
        args: list[Any] = [tenant_id]
        clauses = ["v.tenant_id = $1"]
        if f.session_id is not None:
            args.append(f.session_id)
            clauses.append(f"v.session_id = ${len(args)}")
        if f.status is not None:
            args.append(f.status)
            clauses.append(f"v.status = ${len(args)}")
        if f.search:
            args.append(f.search)
            clauses.append(f"v.title ILIKE '%' || ${len(args)} || '%'")
        if f.visible_to_user is not None:
            args.append(f.visible_to_user)
            clauses.append(f"""v.session_id IN (
                SELECT se.session_id FROM session_enrollments se
                JOIN enrollments e ON e.tenant_id = se.tenant_id AND e.id = se.enrollment_id
                JOIN students s ON s.tenant_id = e.tenant_id AND s.id = e.student_id
                WHERE se.tenant_id = $1 AND s.user_id = ${len(args)} AND e.status = 'ACTIVE')""")
        return " AND ".join(clauses), args

    async def list(self, tenant_id: int, f: VideoFilter, *, limit: int,
                   offset: int) -> tuple[int, list[Video]]:
        """(total, one page) ordered by ("order", id)."""
        where, args = self._where(tenant_id, f)
        async with self._pool.acquire() as conn:
            count = await conn.fetchval(f"SELECT count(*) FROM videos v WHERE {where}", *args)
            rows = await conn.fetch(
                f"SELECT {_COLUMNS} FROM videos v WHERE {where} ORDER BY v.\"order\", v.id "
                f"LIMIT {int(limit)} OFFSET {int(offset)}", *args)
        return count, [_video(r) for r in rows]

    async def get(self, tenant_id: int, video_id: int, *,
                  visible_to_user: str | None = None) -> Video:
        """One video; :class:`NotFoundError` if absent, another tenant's, or not visible."""
        where, args = self._where(tenant_id, VideoFilter(visible_to_user=visible_to_user))
        args.append(video_id)
        row = await self._pool.fetchrow(
            f"SELECT {_COLUMNS} FROM videos v WHERE {where} AND v.id = ${len(args)}", *args)
        if row is None:
            raise NotFoundError(f"video {video_id} not found")
        return _video(row)

    async def next_order(self, conn: asyncpg.Connection, tenant_id: int, session_id: int) -> int:
        """One past the highest order in the class session (the seed's rule)."""
        current = await conn.fetchval(
            'SELECT max("order") FROM videos WHERE tenant_id = $1 AND session_id = $2',
            tenant_id, session_id)
        return (current or 0) + 1

    async def insert(self, conn: asyncpg.Connection, tenant_id: int,
                     values: Mapping[str, Any]) -> Video:
        """Insert a video with these column values (within the caller's transaction)."""
        cols = ["tenant_id", *values]
        marks = ", ".join(f"${i + 1}" for i in range(len(cols)))
        quoted = ", ".join(f'"{c}"' for c in cols)
        row = await conn.fetchrow(
            f"INSERT INTO videos ({quoted}) VALUES ({marks}) RETURNING {_COLUMNS}",
            tenant_id, *values.values())
        return _video(row)

    async def update(self, tenant_id: int, video_id: int, values: Mapping[str, Any],
                     conn: asyncpg.Connection | None = None) -> Video:
        """Set columns of one video."""
        sets = ", ".join(f'"{c}" = ${i + 3}' for i, c in enumerate(values))
        row = await (conn or self._pool).fetchrow(
            f"UPDATE videos SET {sets} WHERE tenant_id = $1 AND id = $2 RETURNING {_COLUMNS}",
            tenant_id, video_id, *values.values())
        if row is None:
            raise NotFoundError(f"video {video_id} not found")
        return _video(row)

    async def by_file_key(self, conn: asyncpg.Connection, tenant_id: int,
                          file_key: str) -> Video | None:
        """The video made from this uploaded object, if any."""
        row = await conn.fetchrow(
            f"SELECT {_COLUMNS} FROM videos WHERE tenant_id = $1 AND file_key = $2",
            tenant_id, file_key)
        return _video(row) if row else None

    async def delete(self, conn: asyncpg.Connection, tenant_id: int, video_id: int) -> Video:
        """Delete one video (cascading to permissions, progress, sessions); return it."""
        row = await conn.fetchrow(
            f"DELETE FROM videos WHERE tenant_id = $1 AND id = $2 RETURNING {_COLUMNS}",
            tenant_id, video_id)
        if row is None:
            raise NotFoundError(f"video {video_id} not found")
        return _video(row)

    async def session_exists(self, tenant_id: int, session_id: int) -> bool:
        """Whether the class session is the tenant's."""
        return await self.lecture_of_session(tenant_id, session_id) is not None

    async def lecture_of_session(self, tenant_id: int, session_id: int) -> int | None:
        """The lecture of one of the tenant's class sessions (None if there is no such)."""
        return await self._pool.fetchval(
            "SELECT lecture_id FROM sessions WHERE tenant_id = $1 AND id = $2",
            tenant_id, session_id)

