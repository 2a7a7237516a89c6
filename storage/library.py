"""A student's library: every video they may open, with the enrollment to play it through.

The player needs, per video, the ``enrollment_id`` that ``play/`` takes, the student's rule
(so a blocked or watched-once video is explained before Play is pressed) and their progress
(so it can resume). One query, scoped by tenant and the caller's user id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import asyncpg

from storage.videos import source_type

# A student enrolled twice in the same class session (two lectures sharing it) plays through
# the lowest enrollment id: stable, so progress always lands on the same row.
_LIBRARY = """
WITH mine AS (
    SELECT se.session_id, min(e.id) AS enrollment_id
    FROM session_enrollments se
    JOIN enrollments e ON e.tenant_id = se.tenant_id AND e.id = se.enrollment_id
    JOIN students s ON s.tenant_id = e.tenant_id AND s.id = e.student_id
    WHERE se.tenant_id = $1 AND s.user_id = $2 AND e.status = 'ACTIVE'
    GROUP BY se.session_id
)
SELECT v.id AS video, v.title, v.session_id AS session, v.status, v.duration,
       v.file_key, v.youtube_id, v.external_url, v.thumbnail_key,
       m.enrollment_id AS enrollment,
       coalesce(p.rule, 'free') AS rule,
       coalesce(vp.progress, 0)::float8 AS progress,
       coalesce(vp.last_position, 0) AS last_position,
       coalesce(vp.completed, false) AS completed,
       count(*) OVER () AS total
FROM videos v
JOIN mine m ON m.session_id = v.session_id
LEFT JOIN video_permissions p ON p.video_id = v.id AND p.enrollment_id = m.enrollment_id
LEFT JOIN video_progress vp ON vp.video_id = v.id AND vp.enrollment_id = m.enrollment_id
WHERE v.tenant_id = $1
ORDER BY v.session_id, v."order", v.id
LIMIT $3 OFFSET $4
"""


@dataclass(frozen=True, slots=True)
class LibraryItem:
    """One video as its student sees it in the player's list."""

    video: int
    title: str
    session: int
    status: str
    duration: int | None
    source_type: str  # s3 | youtube | external | unknown (storage.videos.source_type)
    enrollment: int
    rule: str  # free | once | blocked
    progress: float  # 0..1, share of the video watched
    last_position: int  # seconds: where to resume
    completed: bool
    poster_url: str | None = None  # the transcoder's poster, when there is one


class LibraryRepository:
    """Reads the library of one student."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def list(self, tenant_id: int, user_id: str, *, limit: int, offset: int,
                   poster_url: Callable[[str], str] | None = None
                   ) -> tuple[int, list[LibraryItem]]:
        """(total, one page) in class-session order, then the videos' own order.

        ``poster_url`` turns a poster's object key into the URL the student's browser opens.
        """
        rows = await self._pool.fetch(_LIBRARY, tenant_id, user_id, limit, offset)
        total = rows[0]["total"] if rows else 0
        if not rows and offset:
            # Past the last page: the window count is gone with the rows, ask for it alone.
            total = (await self.list(tenant_id, user_id, limit=1, offset=0))[0]
        items = [LibraryItem(
            video=r["video"], title=r["title"], session=r["session"], status=r["status"],
            duration=r["duration"],
            source_type=source_type(r["file_key"], r["youtube_id"], r["external_url"]),
            enrollment=r["enrollment"], rule=r["rule"], progress=r["progress"],
            last_position=r["last_position"], completed=r["completed"],
            poster_url=poster_url(r["thumbnail_key"])
            if poster_url and r["thumbnail_key"] else None) for r in rows]
        return total, items

    async def student_name(self, tenant_id: int, user_id: str) -> str:
        """The name of the caller's student profile ("" without one)."""
        name = await self._pool.fetchval(
            "SELECT name FROM students WHERE tenant_id = $1 AND user_id = $2 ORDER BY id LIMIT 1",
            tenant_id, user_id)
        return name or ""
