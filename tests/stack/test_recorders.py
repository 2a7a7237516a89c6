"""Recorders on the real PostgreSQL: late messages about deleted rows never break a batch."""

from __future__ import annotations

import asyncpg
import pytest

from storage import playback_sessions
from streams.schemas import SessionLifecycleV1

pytestmark = pytest.mark.stack


async def test_lifecycle_of_a_deleted_tenant_is_skipped_not_fatal(db: asyncpg.Pool,
                                                                  make_tenant) -> None:
    tenant = await make_tenant()
    await db.execute("DELETE FROM tenants WHERE id = $1", tenant.id)
    opened = SessionLifecycleV1(event_id="e", kind="opened", tenant=tenant.slug,
                                tenant_id=tenant.id, user_id="u", session_id="gone-session",
                                video_id=1, enrollment_id=1, device_id="d", at=1.8e9)
    async with db.acquire() as conn, conn.transaction():
        await playback_sessions.record(conn, [opened])  # must not raise
    assert await db.fetchval("SELECT count(*) FROM playback_devices WHERE tenant_id = $1",
                             tenant.id) == 0
