"""The transcode state of video rows: status, progress, the finished package or the failure.

Every write is conditional on the status it expects, so a duplicate or late message (Kafka is
at least once) changes nothing: READY is reached once, and progress never goes back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from config.tenant_settings import TenantSettings, effective
from storage.tenants import stored_settings

MAX_PROGRESS_BEFORE_READY = 99  # 100 means READY


class TranscodeRows:
    """Tenant-scoped transcode reads and writes of ``videos``."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def status(self, tenant_id: int, video_id: int) -> str | None:
        """The video's status, or None when it is gone."""
        return await self._pool.fetchval(
            "SELECT status FROM videos WHERE tenant_id = $1 AND id = $2", tenant_id, video_id)

    async def source_key(self, tenant_id: int, video_id: int) -> str | None:
        """The S3 key of the video's uploaded source, or None when it is gone."""
        return await self._pool.fetchval(
            "SELECT file_key FROM videos WHERE tenant_id = $1 AND id = $2", tenant_id, video_id)

    async def start(self, tenant_id: int, video_id: int) -> bool:
        """UPLOADED/FAILED -> PROCESSING with progress 0 (already PROCESSING: unchanged)."""
        row = await self._pool.fetchval(
            """UPDATE videos SET status = 'PROCESSING', error_reason = '', updated_at = now(),
                   processing_progress = CASE WHEN status = 'PROCESSING'
                                              THEN processing_progress ELSE 0 END
               WHERE tenant_id = $1 AND id = $2
                 AND status IN ('UPLOADED', 'FAILED', 'PROCESSING')
               RETURNING id""", tenant_id, video_id)
        return row is not None

    async def progress(self, tenant_id: int, video_id: int, percent: int) -> None:
        """Raise the progress of a PROCESSING video (never lowers it, never reaches 100)."""
        value = max(0, min(int(percent), MAX_PROGRESS_BEFORE_READY))
        await self._pool.execute(
            """UPDATE videos SET processing_progress = $3
               WHERE tenant_id = $1 AND id = $2 AND status = 'PROCESSING'
                 AND processing_progress < $3""", tenant_id, video_id, value)

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
