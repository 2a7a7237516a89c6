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


class BoundedWaitPool(asyncpg.Pool):
    """A pool whose ``acquire()`` (and so ``fetch``, ``execute``...) waits a bounded time.

    asyncpg waits forever for a free connection unless each call passes a timeout; under a
    burst that is an unbounded queue. Here the default comes from the pool, and running out
    of it raises ``TimeoutError`` (the gateway answers 503).
    """

    acquire_timeout: float | None = None

    def acquire(self, *, timeout: float | None = None):  # type: ignore[override]
        """Acquire a connection, waiting at most ``timeout`` or the pool's default."""
        return super().acquire(timeout=self.acquire_timeout if timeout is None else timeout)


async def create_pool(settings: Settings, *, min_size: int = 1, max_size: int = 10,
                      acquire_timeout: float | None = None) -> asyncpg.Pool:
    """Open a pool whose connections decode jsonb with orjson.

    ``acquire_timeout``: how long a caller waits for a free connection (None: no bound, for
    background consumers that would only retry anyway).
    """
    # What asyncpg.create_pool does, with the pool class that bounds the wait.
    pool = BoundedWaitPool(
        settings.database_url, connection_class=asyncpg.Connection, record_class=asyncpg.Record,
        min_size=min_size, max_size=max_size, max_queries=50_000,
        max_inactive_connection_lifetime=300.0, loop=None, init=_init_connection,
    )
    pool.acquire_timeout = acquire_timeout
    return await pool
