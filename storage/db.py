"""The PostgreSQL connection pool."""

from __future__ import annotations

import asyncpg
import orjson

from config.settings import Settings


async def _init_connection(conn: asyncpg.Connection) -> None:
    # jsonb columns come back as Python objects, encoded with orjson both ways.
    await conn.set_type_codec(
        "jsonb", schema="pg_catalog", format="text",
        encoder=lambda v: orjson.dumps(v).decode(), decoder=orjson.loads,
    )


async def create_pool(settings: Settings, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """Open a pool whose connections decode jsonb with orjson."""
    pool = await asyncpg.create_pool(
        settings.database_url, min_size=min_size, max_size=max_size, init=_init_connection,
    )
    assert pool is not None  # create_pool only returns None when not awaited
    return pool
