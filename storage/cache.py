"""The Redis client (fast read models)."""

from __future__ import annotations

import redis.asyncio as redis

from config.settings import Settings


def create_redis(settings: Settings) -> redis.Redis:
    """A client with a connection pool; connects lazily on first command."""
    return redis.Redis.from_url(settings.redis_url, decode_responses=False)
