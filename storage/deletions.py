"""S3 objects whose video is gone, removed in the background, durably."""

from __future__ import annotations

import asyncpg

from storage.exceptions import ObjectStoreError
from storage.objects import ObjectStore

MAX_ATTEMPTS = 20


async def enqueue(conn: asyncpg.Connection, tenant_id: int, prefix: str) -> None:
    """Record a prefix to remove, in the caller's transaction."""
    await conn.execute("INSERT INTO object_deletions (tenant_id, prefix) VALUES ($1, $2)",
                       tenant_id, prefix)


class DeletionQueue:
    """Drains ``object_deletions``; a failing prefix is retried up to MAX_ATTEMPTS times."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def drain_once(self, store: ObjectStore, batch: int = 20) -> int:
        """Remove up to ``batch`` pending prefixes; return how many were finished."""
        done = 0
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                """SELECT id, prefix FROM object_deletions
                   WHERE done_at IS NULL AND attempts < $1
                   ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED""", MAX_ATTEMPTS, batch)
            for row in rows:
                try:
                    await store.delete_prefix(row["prefix"])
                except ObjectStoreError:
                    await conn.execute(
                        "UPDATE object_deletions SET attempts = attempts + 1 WHERE id = $1",
                        row["id"])
                    continue
                await conn.execute("UPDATE object_deletions SET done_at = now() WHERE id = $1",
                                   row["id"])
                done += 1
        return done

    async def pending(self) -> int:
        """Prefixes still to remove."""
        return await self._pool.fetchval(
            "SELECT count(*) FROM object_deletions WHERE done_at IS NULL")
