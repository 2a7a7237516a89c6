"""What a chaos run checks in PostgreSQL once the storm is over.

- every event mark the gateway answered 200 is stored exactly once (duplicates counted over
  every mark of the tenant, accepted or not);
- no student ever had two playback sessions at once (the tenant allows one): a session that
  starts while another of the same user has not ended is an over-limit grant.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import asyncpg

_MARKS = """
SELECT e.event_payload->>'mark' AS mark, count(*) AS n
FROM playback_events e JOIN tenants t ON t.id = e.tenant_id
WHERE t.slug = $1 AND e.event_type = 'FOCUS_GAINED'
GROUP BY 1
"""

# Half-open intervals: a session replaced by the next play ends at the instant the next starts.
_OVERLAPS = """
SELECT count(*) FROM playback_sessions a
JOIN playback_sessions b ON b.tenant_id = a.tenant_id AND b.user_id = a.user_id
  AND b.id <> a.id AND b.started_at > a.started_at
  AND b.started_at < coalesce(a.ended_at, 'infinity')
JOIN tenants t ON t.id = a.tenant_id
WHERE t.slug = $1
"""

_SESSIONS = """
SELECT count(*), count(*) FILTER (WHERE s.status = 'ACTIVE'), max(s.updated_at)
FROM playback_sessions s JOIN tenants t ON t.id = s.tenant_id WHERE t.slug = $1
"""


@dataclass(frozen=True)
class AuditResult:
    """Accepted events against the audit trail."""

    accepted: int
    stored_once: int
    missing: int
    duplicates: int
    unaccepted_stored: int  # answered 503 or never answered, yet stored: allowed, at most once
    caught_up_seconds: float  # from the end of the storm until every accepted event was stored


async def audit_events(pool: asyncpg.Pool, tenant: str, accepted: set[str],
                       timeout: float = 120.0) -> AuditResult:
    """Wait until every accepted mark is stored (or ``timeout``), then count."""
    started = time.monotonic()
    while True:
        counts = {r["mark"]: r["n"] for r in await pool.fetch(_MARKS, tenant)}
        missing = sum(1 for m in accepted if m not in counts)
        if not missing or time.monotonic() - started > timeout:
            break
        await asyncio.sleep(0.5)
    caught_up = time.monotonic() - started
    return AuditResult(
        accepted=len(accepted),
        stored_once=sum(1 for m in accepted if counts.get(m) == 1),
        missing=missing,
        duplicates=sum(n - 1 for n in counts.values() if n > 1),
        unaccepted_stored=sum(1 for m in counts if m not in accepted),
        caught_up_seconds=caught_up,
    )


async def over_limit_grants(pool: asyncpg.Pool, tenant: str, settle: float = 60.0) -> int:
    """Sessions that started while another of the same student was live, once the session
    rows stopped changing (the recorders may still be catching up)."""
    previous = None
    deadline = time.monotonic() + settle
    while time.monotonic() < deadline:
        snapshot = tuple(await pool.fetchrow(_SESSIONS, tenant))
        if snapshot == previous:
            break
        previous = snapshot
        await asyncio.sleep(2.0)
    count: int = await pool.fetchval(_OVERLAPS, tenant)
    return count
