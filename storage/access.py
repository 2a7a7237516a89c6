"""Loading a play decision's inputs in one query (see :mod:`policy.playback`)."""

from __future__ import annotations

import asyncpg

from policy.playback import PlayContext

_PLAY_CONTEXT = """
SELECT v.id AS video_id, v.status AS video_status, v.allow_skip, v.max_speed, v.show_watermark,
       v.youtube_id, v.external_url, v.duration,
       st.id AS student_id, coalesce(st.name, '') AS student_name,
       e.id AS enrollment_id,
       (e.id IS NOT NULL AND EXISTS (
            SELECT 1 FROM session_enrollments se
            WHERE se.tenant_id = $1 AND se.session_id = v.session_id AND se.enrollment_id = e.id
       )) AS has_session_access,
       p.rule, p.allow_skip_override, p.max_speed_override, p.show_watermark_override,
       coalesce(p.block_seek, false) AS block_seek,
       coalesce(p.block_speed_control, false) AS block_speed_control,
       coalesce(vp.completed, false) AS completed,
       t.settings AS tenant_overrides
FROM videos v
JOIN tenants t ON t.id = v.tenant_id
LEFT JOIN students st ON st.tenant_id = $1 AND st.user_id = $3
LEFT JOIN enrollments e ON e.tenant_id = $1 AND e.id = $4 AND e.student_id = st.id
                       AND e.status = 'ACTIVE'
LEFT JOIN video_permissions p ON p.video_id = v.id AND p.enrollment_id = e.id
LEFT JOIN video_progress vp ON vp.video_id = v.id AND vp.enrollment_id = e.id
WHERE v.tenant_id = $1 AND v.id = $2
"""


async def play_context(pool: asyncpg.Pool, tenant_id: int, video_id: int, user_id: str,
                       enrollment_id: int) -> PlayContext | None:
    """The inputs of a play decision; None when the video is not the tenant's."""
    row = await pool.fetchrow(_PLAY_CONTEXT, tenant_id, video_id, user_id, enrollment_id)
    return PlayContext(**dict(row.items())) if row is not None else None
