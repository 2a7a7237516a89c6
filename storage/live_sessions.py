"""The Redis read model of playback sessions: heartbeats answer from here, not from Kafka.

The session actor writes it (before it replies, so a replaced session's next heartbeat
already sees REVOKED); the gateway reads and touches it. One hash per session.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as redis

from storage import keys

# Kept after a session ends so late heartbeats learn *why* (revoked vs ended) for a day.
CLOSED_TTL_SECONDS = 24 * 3600
# A worker's mark outlives the worker by a day at most (renewed on every sweep).
MARK_TTL_SECONDS = 24 * 3600

# Atomic check-and-touch: one round trip per heartbeat. Returns the status the caller sees:
# ACTIVE (touched), IDLE (too long without heartbeat), ENDED/REVOKED/EXPIRED, or MISSING.
_TOUCH = """
local h = redis.call('HMGET', KEYS[1], 'status', 'last_seen', 'idle', 'user')
if not h[1] then return 'MISSING' end
if h[4] ~= ARGV[3] then return 'MISSING' end
if h[1] ~= 'ACTIVE' then return h[1] end
if tonumber(ARGV[1]) - tonumber(h[2]) > tonumber(h[3]) then return 'IDLE' end
redis.call('HSET', KEYS[1], 'last_seen', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 'ACTIVE'
"""


@dataclass(frozen=True, slots=True)
class LiveSessionView:
    """What the read model says about a session."""

    status: str
    reason: str
    user: str


class LiveSessions:
    """Reads and writes ``lc:ps:{session_id}`` hashes."""

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client
        self._touch = client.register_script(_TOUCH)

    async def open(self, session_id: str, *, user: str, video_id: int, last_seen: float,
                   idle_seconds: int) -> None:
        """A granted session: ACTIVE until closed, or idle for ``idle_seconds``."""
        key = keys.live_session(session_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"status": "ACTIVE", "reason": "", "user": user,
                                    "video_id": video_id, "last_seen": last_seen,
                                    "idle": idle_seconds})
            pipe.expire(key, max(idle_seconds * 4, CLOSED_TTL_SECONDS))
            await pipe.execute()

    async def close(self, session_id: str, status: str, reason: str, *, user: str = "") -> None:
        """The session ended (ENDED, EXPIRED or REVOKED with a reason). ``user`` is written too
        when given, so an entry closed in an emptied Redis still answers whose it was."""
        key = keys.live_session(session_id)
        fields = {"status": status, "reason": reason, **({"user": user} if user else {})}
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=fields)
            pipe.expire(key, CLOSED_TTL_SECONDS)
            await pipe.execute()

    async def touch(self, session_id: str, user: str, now: float) -> str:
        """Record a heartbeat if the session is live; return the status seen."""
        ttl = CLOSED_TTL_SECONDS
        result = await self._touch(keys=[keys.live_session(session_id)], args=[now, ttl, user])
        return result.decode() if isinstance(result, bytes) else str(result)

    async def status(self, session_id: str, user: str, now: float) -> str:
        """What :meth:`touch` would answer, without touching (read only): ACTIVE, IDLE,
        ENDED/REVOKED/EXPIRED, or MISSING (no entry, or another user's)."""
        raw = await self._redis.hmget(keys.live_session(session_id), "status", "user",
                                      "last_seen", "idle")
        if raw[0] is None or raw[1] != user.encode():
            return "MISSING"
        if raw[0] != b"ACTIVE":
            return str(raw[0].decode())
        return "ACTIVE" if now - float(raw[2] or 0) <= float(raw[3] or 0) else "IDLE"

    async def is_live(self, session_id: str, user: str, now: float) -> bool:
        """Whether the session is ACTIVE, this user's, and not idle (read only)."""
        return await self.status(session_id, user, now) == "ACTIVE"

    async def still_marked(self, worker: str) -> bool:
        """Renew ``worker``'s mark; False when it was missing (Redis lost what the worker
        mirrored, or this is the worker's first mark). One round trip."""
        was = await self._redis.set(keys.read_model_mark(worker), b"1", ex=MARK_TTL_SECONDS,
                                    get=True)
        return was is not None

    async def view(self, session_id: str) -> LiveSessionView | None:
        """The session's status and reason, or None when unknown."""
        raw = await self._redis.hmget(keys.live_session(session_id), "status", "reason", "user")
        if raw[0] is None:
            return None
        return LiveSessionView(*(v.decode() if v else "" for v in raw))
