"""A session the Redis read model does not know: ask the session actor, the authority.

Redis holds only a copy of the playback sessions; the session actor's table is the record.
When Redis has no entry for a session (restarted empty, flushed, evicted), ``heartbeat/``,
``events/`` and ``hls-key/`` ask the user's actor with a ``restore`` command (``refresh/``
asks its actor anyway, and its answer writes the entry back too): the actor answers
from its table, touches the session like a heartbeat and writes the entry back before it
replies, so the next request of that session is a Redis hit again. Only a miss pays this one
Kafka round trip; a session the actor does not know stays refused, and an actor that does not
answer within ``SESSION_RESTORE_TIMEOUT_SECONDS`` gives 503 with Retry-After.
"""

from __future__ import annotations

from aiohttp import web

from gateway import keys
from gateway.exceptions import ServiceUnavailable
from gateway.playback_tokens import PlaybackClaims
from gateway.session_client import ActorTimeout
from streams.exceptions import PublishError


async def recall(app: web.Application, *, tenant: str, tenant_id: int, user_id: str,
                 session_id: str) -> bool:
    """Whether the user's actor holds the session live (and so wrote it back into Redis)."""
    client = app[keys.SESSIONS]
    misses = app[keys.METRICS].read_model_misses
    try:
        reply = await client.ask(
            client.command("restore", tenant=tenant, tenant_id=tenant_id, user_id=user_id,
                           session_id=session_id),
            app[keys.SETTINGS].session_restore_timeout_seconds)
    except (ActorTimeout, PublishError):
        misses.labels("unavailable").inc()
        raise ServiceUnavailable("session_service_unavailable", retry_after=2) from None
    misses.labels("live" if reply.granted else "unknown").inc()
    return reply.granted


async def is_live(app: web.Application, claims: PlaybackClaims, now: float) -> bool:
    """Whether the token's session is live: from Redis (one read), from the actor on a miss."""
    status = await app[keys.LIVE].status(claims.session_id, claims.user_id, now)
    if status != "MISSING":
        return status == "ACTIVE"
    return await recall(app, tenant=claims.tenant, tenant_id=claims.tenant_id,
                        user_id=claims.user_id, session_id=claims.session_id)
