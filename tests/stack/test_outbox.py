"""The outbox on the real PostgreSQL: nothing is marked published unless Kafka acked it."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
import pytest

from storage import outbox
from storage.outbox import OutboxMessage, OutboxRelay
from storage.tenants import Tenant

pytestmark = pytest.mark.stack


async def _pending_of(db: asyncpg.Pool, tenant: Tenant) -> int:
    return await db.fetchval(
        "SELECT count(*) FROM outbox WHERE tenant_id = $1 AND published_at IS NULL", tenant.id)


async def test_a_failed_publish_leaves_messages_pending(db: asyncpg.Pool, make_tenant) -> None:
    tenant = await make_tenant()
    async with db.acquire() as conn, conn.transaction():
        await outbox.enqueue(conn, tenant.id, "some.topic.v1", b"k", {"n": 1})
        await outbox.enqueue(conn, tenant.id, "some.topic.v1", b"k", {"n": 2})

    async def kafka_down(messages: Sequence[OutboxMessage]) -> None:
        raise ConnectionError("broker unreachable")

    relay = OutboxRelay(db, batch_size=10_000)
    with pytest.raises(ConnectionError):
        await relay.relay_once(kafka_down)
    assert await _pending_of(db, tenant) == 2

    seen: list[OutboxMessage] = []

    async def kafka_up(messages: Sequence[OutboxMessage]) -> None:
        seen.extend(messages)

    while await relay.relay_once(kafka_up):
        pass
    mine = [m for m in seen if m.value in ({"n": 1}, {"n": 2})]
    assert [m.value for m in mine] == [{"n": 1}, {"n": 2}]  # in the order they were recorded
    assert mine[0].key == b"k" and mine[0].topic == "some.topic.v1"
    assert await _pending_of(db, tenant) == 0


async def test_a_rolled_back_transaction_sends_nothing(db: asyncpg.Pool, make_tenant) -> None:
    tenant = await make_tenant()
    with pytest.raises(RuntimeError):
        async with db.acquire() as conn, conn.transaction():
            await outbox.enqueue(conn, tenant.id, "some.topic.v1", b"k", {"n": 3})
            raise RuntimeError("the video insert failed")
    assert await _pending_of(db, tenant) == 0

