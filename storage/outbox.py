"""The transactional outbox: Kafka messages recorded with the rows they are about.

A handler calls :func:`enqueue` inside its transaction; :class:`OutboxRelay` publishes pending
rows in id order and marks them published. At-least-once: a crash after publishing but before
marking re-sends a message, so every message carries an id consumers deduplicate on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A pending message."""

    id: int
    topic: str
    key: bytes
    value: Any


async def enqueue(conn: asyncpg.Connection, tenant_id: int, topic: str, key: bytes,
                  value: object) -> None:
    """Record a message in the caller's transaction."""
    # Round-trip through orjson so dataclass values become plain jsonb.
    await conn.execute(
        "INSERT INTO outbox (tenant_id, topic, key, value) VALUES ($1, $2, $3, $4)",
        tenant_id, topic, key, orjson.loads(orjson.dumps(value)))


Publish = Callable[[Sequence[OutboxMessage]], Awaitable[None]]


class OutboxRelay:
    """Moves pending outbox rows to Kafka; safe with several gateways (SKIP LOCKED)."""

    def __init__(self, pool: asyncpg.Pool, batch_size: int = 200) -> None:
        self._pool = pool
        self._batch_size = batch_size

    async def relay_once(self, publish: Publish) -> int:
        """Publish one batch of pending messages; return how many were published."""
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                """SELECT id, topic, key, value FROM outbox WHERE published_at IS NULL
                   ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED""", self._batch_size)
            if not rows:
                return 0
            messages = [OutboxMessage(r["id"], r["topic"], bytes(r["key"]), r["value"])
                        for r in rows]
            await publish(messages)  # raises if Kafka did not ack: the rows stay pending
            await conn.execute("UPDATE outbox SET published_at = now() WHERE id = ANY($1)",
                               [m.id for m in messages])
            return len(messages)

    async def pending(self) -> int:
        """How many messages wait (for metrics and tests)."""
        return await self._pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
