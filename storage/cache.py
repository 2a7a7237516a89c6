"""The Redis client (fast read models)."""

from __future__ import annotations

import redis.asyncio as redis

from config.settings import Settings


def create_redis(settings: Settings) -> redis.Redis:
    """A client on a bounded pool; connects lazily on first command.

    A command waits at most ``REDIS_POOL_TIMEOUT_SECONDS`` for one of ``REDIS_MAX_CONNECTIONS``
    connections, then raises ``redis.exceptions.ConnectionError`` (the gateway answers 503):
    the non-blocking pool failed at once with ``MaxConnectionsError`` under any burst larger
    than the pool, and an unbounded pool would exhaust Redis's own client limit instead.
    """
    pool = redis.BlockingConnectionPool.from_url(
        settings.redis_url, max_connections=settings.redis_max_connections,
        timeout=settings.redis_pool_timeout_seconds)
    # from_pool: the client owns the pool, so aclose() closes its connections too.
    return redis.Redis.from_pool(pool)
