"""``playback_device_agents``: which browser a student's device id was last seen with.

The gateway writes it at play (from the request's User-Agent), so the admin pages can name a
device "Firefox on Windows"; forgetting the device deletes it with the device's row.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg


async def remember(pool: asyncpg.Pool, tenant_id: int, user_id: str, device_id: str,
                   user_agent: str, at: datetime) -> None:
    """Record the user agent of a device, or a newer one; an empty one is not stored.

    Every play calls it: a device that plays from the same browser again writes no row
    version (the update's condition fails), only the index probe is paid.
    """
    if not user_agent:
        return
    await pool.execute(
        """INSERT INTO playback_device_agents (tenant_id, user_id, device_id, user_agent, seen_at)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (tenant_id, user_id, device_id) DO UPDATE
           SET user_agent = EXCLUDED.user_agent, seen_at = EXCLUDED.seen_at
           WHERE playback_device_agents.seen_at <= EXCLUDED.seen_at
             AND playback_device_agents.user_agent <> EXCLUDED.user_agent""",
        tenant_id, user_id, device_id, user_agent, at)
