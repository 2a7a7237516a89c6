"""The stall watchdog's reads and claims of PROCESSING video rows.

Several dispatch workers may scan at once (a Faust timer runs on every worker), so acting on a
video is a claim: one conditional ``UPDATE ... RETURNING`` that re-checks, in the database,
that the row is still the one that was judged (same job, same stall count, heartbeat still old).
Of two scanners judging the same row, exactly one gets it back.
"""

from __future__ import annotations

import asyncpg

from policy.transcode import RunningTranscode

# The row as it was judged, re-checked atomically by the claim.
_SAME_RUN = """tenant_id = $1 AND id = $2 AND status = 'PROCESSING' AND transcode_job_id = $3
    AND transcode_stalls = $4 AND transcode_heartbeat_at < now() - make_interval(secs => $5)"""


def _run(record: asyncpg.Record) -> RunningTranscode:
    return RunningTranscode(
        tenant=record["slug"], tenant_id=record["tenant_id"], video_id=record["id"],
        status=record["status"], job_id=record["transcode_job_id"],
        attempt=record["transcode_attempt"], heartbeat_at=record["heartbeat_at"],
        stalls=record["transcode_stalls"])


class StalledTranscodes:
    """PROCESSING videos without a recent sign of life, across tenants (a system task)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def quiet_for(self, stall_seconds: float, limit: int = 100
                        ) -> tuple[float, list[RunningTranscode]]:
        """(the database's now, PROCESSING videos silent for ``stall_seconds``), oldest first.

        The database's clock judges every heartbeat it wrote, so workers' clocks don't matter.
        """
        async with self._pool.acquire() as conn:
            now = await conn.fetchval("SELECT extract(epoch FROM now())::float8")
            rows = await conn.fetch(
                """SELECT v.tenant_id, t.slug, v.id, v.status, v.transcode_job_id,
                          v.transcode_attempt, v.transcode_stalls,
                          extract(epoch FROM v.transcode_heartbeat_at)::float8 AS heartbeat_at
                   FROM videos v JOIN tenants t ON t.id = v.tenant_id
                   WHERE v.status = 'PROCESSING'
                     AND v.transcode_heartbeat_at < now() - make_interval(secs => $1)
                   ORDER BY v.transcode_heartbeat_at LIMIT $2""", float(stall_seconds), limit)
        return now, [_run(r) for r in rows]

    async def claim_retry(self, run: RunningTranscode, stall_seconds: float) -> bool:
        """Count a watchdog retry of ``run`` (and restart its clock); False if another took it."""
        row = await self._pool.fetchval(
            f"""UPDATE videos SET transcode_stalls = transcode_stalls + 1,
                    transcode_heartbeat_at = now()
                WHERE {_SAME_RUN} RETURNING id""",
            run.tenant_id, run.video_id, run.job_id, run.stalls, float(stall_seconds))
        return row is not None

    async def claim_failure(self, run: RunningTranscode, stall_seconds: float,
                            reason: str) -> bool:
        """PROCESSING -> FAILED with ``reason``; False if the row changed meanwhile."""
        row = await self._pool.fetchval(
            f"""UPDATE videos SET status = 'FAILED', error_reason = $6, updated_at = now(),
                    transcode_stalls = transcode_stalls + 1
                WHERE {_SAME_RUN} RETURNING id""",
            run.tenant_id, run.video_id, run.job_id, run.stalls, float(stall_seconds),
            reason[:1000])
        return row is not None
