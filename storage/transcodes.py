"""The transcode state of video rows: status, progress, the finished package or the failure.

Every write is conditional on the status it expects, so a duplicate or late message (Kafka is
at least once) changes nothing: READY is reached once, and progress never goes back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from config.tenant_settings import TenantSettings, effective
from storage.tenants import stored_settings

MAX_PROGRESS_BEFORE_READY = 99  # 100 means READY


@dataclass(frozen=True, slots=True)
class CurrentJob:
    """A video's status and the transcode job it waits for ("" when none is on record)."""

    status: str
    job_id: str


class TranscodeRows:
    """Tenant-scoped transcode reads and writes of ``videos``."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def status(self, tenant_id: int, video_id: int) -> str | None:
        """The video's status, or None when it is gone."""
        return await self._pool.fetchval(
            "SELECT status FROM videos WHERE tenant_id = $1 AND id = $2", tenant_id, video_id)

    async def current_job(self, tenant_id: int, video_id: int) -> CurrentJob | None:
        """The video's status and current job, or None when it is gone."""
        row = await self._pool.fetchrow(
            "SELECT status, transcode_job_id FROM videos WHERE tenant_id = $1 AND id = $2",
            tenant_id, video_id)
        return CurrentJob(row["status"], row["transcode_job_id"]) if row else None

    async def source_key(self, tenant_id: int, video_id: int) -> str | None:
        """The S3 key of the video's uploaded source, or None when it is gone."""
        return await self._pool.fetchval(
            "SELECT file_key FROM videos WHERE tenant_id = $1 AND id = $2", tenant_id, video_id)

    async def start(self, tenant_id: int, video_id: int) -> bool:
        """UPLOADED/FAILED -> PROCESSING with progress 0 (already PROCESSING: unchanged).

        A new start also gives the stall watchdog a fresh count.
        """
        row = await self._pool.fetchval(
            """UPDATE videos SET status = 'PROCESSING', error_reason = '', updated_at = now(),
                   processing_progress = CASE WHEN status = 'PROCESSING'
                                              THEN processing_progress ELSE 0 END,
                   transcode_stalls = CASE WHEN status = 'PROCESSING'
                                           THEN transcode_stalls ELSE 0 END,
                   transcode_heartbeat_at = now()
               WHERE tenant_id = $1 AND id = $2
                 AND status IN ('UPLOADED', 'FAILED', 'PROCESSING')
               RETURNING id""", tenant_id, video_id)
        return row is not None

    async def job_sent(self, tenant_id: int, video_id: int, job_id: str, attempt: int) -> bool:
        """Record the job a PROCESSING video now waits for; False if it is not PROCESSING.

        Written before the job is published, so a worker that sees another job id knows its
        job was superseded.
        """
        row = await self._pool.fetchval(
            """UPDATE videos SET transcode_job_id = $3, transcode_attempt = $4,
                   transcode_heartbeat_at = now()
               WHERE tenant_id = $1 AND id = $2 AND status = 'PROCESSING'
               RETURNING id""", tenant_id, video_id, job_id, attempt)
        return row is not None

    async def progress(self, tenant_id: int, video_id: int, percent: int) -> None:
        """A sign of life of a PROCESSING video's job: raise its progress (never lowers it,
        never reaches 100) and note the heartbeat for the stall watchdog."""
        value = max(0, min(int(percent), MAX_PROGRESS_BEFORE_READY))
        await self._pool.execute(
            """UPDATE videos SET processing_progress = GREATEST(processing_progress, $3),
                   transcode_heartbeat_at = now()
               WHERE tenant_id = $1 AND id = $2 AND status = 'PROCESSING'""",
            tenant_id, video_id, value)

    async def ready(self, tenant_id: int, video_id: int, *, duration: float,
                    thumbnail_key: str, renditions: Sequence[dict[str, Any]]) -> bool:
        """PROCESSING -> READY with the package's facts; False if it was not PROCESSING."""
        row = await self._pool.fetchval(
            """UPDATE videos SET status = 'READY', processing_progress = 100, error_reason = '',
                   duration = $3, thumbnail_key = $4, renditions = $5, updated_at = now()
               WHERE tenant_id = $1 AND id = $2 AND status = 'PROCESSING'
               RETURNING id""",
            tenant_id, video_id, max(0, round(duration)), thumbnail_key, list(renditions))
        return row is not None

    async def failed(self, tenant_id: int, video_id: int, reason: str) -> bool:
        """PROCESSING -> FAILED with a readable reason; False if it was not PROCESSING."""
        row = await self._pool.fetchval(
            """UPDATE videos SET status = 'FAILED', error_reason = $3, updated_at = now()
               WHERE tenant_id = $1 AND id = $2 AND status = 'PROCESSING'
               RETURNING id""", tenant_id, video_id, reason[:1000])
        return row is not None

    async def tenant_settings(self, defaults: TenantSettings, tenant_id: int) -> TenantSettings:
        """The tenant's effective media settings (its overrides on the defaults)."""
        return effective(defaults, await stored_settings(self._pool, tenant_id))

    async def processing_by_tenant(self, fresh_seconds: float) -> dict[int, int]:
        """PROCESSING videos per tenant (across tenants: the fair share is a system task).

        Only those with a sign of life within ``fresh_seconds``: a video whose job was lost
        waits for the stall watchdog, not for a slot, and must not hold other academies back.
        """
        rows = await self._pool.fetch(
            """SELECT tenant_id, count(*) AS n FROM videos
               WHERE status = 'PROCESSING'
                 AND transcode_heartbeat_at > now() - make_interval(secs => $1)
               GROUP BY tenant_id""", float(fresh_seconds))
        return {row["tenant_id"]: row["n"] for row in rows}
