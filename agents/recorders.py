"""Recorders: agents that write a topic to PostgreSQL in batches, idempotently.

Each batch is written in one transaction before its offsets are acknowledged, so a crash
replays it and the idempotent write (keyed by ids) stores it once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import asyncpg
import faust

from config.settings import Settings
from storage.db import create_pool
from streams import codecs
from streams.app import faust_topic
from streams.topics import TopicSpec

log = logging.getLogger(__name__)
T = TypeVar("T")
Write = Callable[[asyncpg.Connection, Sequence[Any]], Awaitable[None]]

BATCH_MAX = 500
BATCH_WITHIN_SECONDS = 0.2  # the longest a message waits for its batch to fill


def decode_batch(raw_values: Sequence[bytes], schema: type[T]) -> list[T]:
    """Decode a batch, dropping (and logging) values that do not match the schema."""
    decoded = (codecs.decode_or_log(raw, schema, log) for raw in raw_values)
    return [value for value in decoded if value is not None]


def register_recorder(app: faust.App, settings: Settings, spec: TopicSpec, name: str,
                      write: Write) -> Any:
    """Attach an agent that decodes ``spec``'s messages and hands each batch to ``write``."""
    topic = faust_topic(app, spec, settings)

    async def recorder(stream: faust.StreamT[bytes]) -> None:
        pool = await create_pool(settings, min_size=1, max_size=2)
        try:
            async for values in stream.take(BATCH_MAX, within=BATCH_WITHIN_SECONDS):
                batch = decode_batch(values, spec.schema)
                async with pool.acquire() as conn, conn.transaction():
                    await write(conn, batch)
        finally:
            await pool.close()

    return app.agent(topic, name=name, concurrency=1)(recorder)
