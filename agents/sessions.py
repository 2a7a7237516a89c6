"""The session actor: one table entry per user, one command at a time.

Every session command is keyed ``{tenant}:{user_id}``, so the agent instance that owns a
user's partition owns that user's table entry and decides their commands in order: two plays
can never both pass a limit check. For each command: decide (pure) -> table write -> Redis read
model -> lifecycle events -> reply. The read model is written before the reply, so a replaced
session's next heartbeat already answers ``session_revoked`` when the new play is answered.

Redis is only a copy: when it comes back empty, a gateway that finds no entry sends a
``restore`` and the owner writes the session back from its table; the sweep timer notices the
loss (its worker's mark is gone) and sends a ``restore`` for every user with live sessions.
"""

from __future__ import annotations

import logging
import time
import uuid
from functools import partial
from typing import Any

import faust
from redis.exceptions import RedisError

from agents.dead_letters import AgentDeadLetters, until_done
from agents.replies import ReplySender
from agents.session_commands import Decision, decide, decode_state, encode_state
from config.settings import Settings
from storage.cache import create_redis
from storage.live_sessions import LiveSessions
from streams import codecs, topics
from streams.app import faust_table, faust_topic
from streams.schemas import SessionCommandV1

log = logging.getLogger(__name__)
SWEEP_EVERY_SECONDS = 15.0
TABLE_NAME = "user-sessions"


async def write_read_model(live: LiveSessions, cmd: SessionCommandV1, decision: Decision) -> None:
    """Mirror the decision into Redis (closed sessions first, then the new one, then the live
    ones a refresh or restore writes back)."""
    for ended in decision.outcome.ended:
        await live.close(ended.session.session_id, ended.status, ended.reason, user=cmd.user_id)
    granted = decision.outcome.granted
    if granted is not None:
        idle = int(cmd.limits.get("session_idle_seconds", 90))
        await live.open(granted.session_id, user=cmd.user_id, video_id=granted.video_id,
                        last_seen=granted.last_seen, idle_seconds=idle)
    for kept in decision.restored:
        await live.open(kept.session_id, user=cmd.user_id, video_id=kept.video_id,
                        last_seen=kept.last_seen,
                        idle_seconds=decision.outcome.state.limits.session_idle_seconds)


def restore_command(key: bytes, now: float) -> SessionCommandV1:
    """A restore naming no session: the owner writes all the user's live sessions back."""
    tenant, _, user = key.decode().partition(":")
    return SessionCommandV1(command_id=str(uuid.uuid4()), kind="restore", tenant=tenant,
                            tenant_id=0, user_id=user, issued_at=now)


def register(app: faust.App, settings: Settings) -> Any:
    """Attach the session agent, its table and its sweep timer to ``app``."""
    commands = faust_topic(app, topics.SESSION_COMMANDS, settings)
    lifecycle = faust_topic(app, topics.SESSION_LIFECYCLE, settings)
    # Keys and values are raw bytes (the app's serializers): the key bytes are exactly the
    # command stream's, so the table is co-partitioned with it.
    table = faust_table(app, TABLE_NAME, settings)
    dead = AgentDeadLetters(app, settings)

    @app.agent(commands, name="sessions", concurrency=1)
    async def sessions(stream: faust.StreamT[bytes]) -> None:
        redis = create_redis(settings)
        live = LiveSessions(redis)
        # Not Faust's producer: a reply to a deleted topic would hold its commits (replies.py).
        replies = ReplySender(settings)
        await until_done("reply producer", replies.start)
        try:
            async for event in stream.events():
                cmd = await dead.decode(event, SessionCommandV1)
                if cmd is None:
                    continue
                key = event.key
                try:
                    decision = decide(cmd, decode_state(table.get(key)))
                except Exception as exc:  # noqa: BLE001 - pure: the command's fault
                    await dead.send(event, "convert", repr(exc))
                    continue
                table[key] = encode_state(decision.outcome.state)
                # Faust acks the command if the agent raises: Redis or Kafka away must not
                # lose it, so each effect is retried in place (all are idempotent).
                await until_done("session read model",
                                 partial(write_read_model, live, cmd, decision))
                for change in decision.lifecycle:
                    await until_done("lifecycle", partial(
                        lifecycle.send, key=key, value=codecs.encode(change)))
                if decision.reply is not None and cmd.reply_to:
                    # Retries until delivered, unless the gateway's topic is gone.
                    await replies.send(cmd.reply_to, cmd.command_id.encode(),
                                       codecs.encode(decision.reply))
        finally:
            await replies.stop()
            await redis.aclose()

    worker = uuid.uuid4().hex
    marked: list[LiveSessions] = []  # this worker's client, once its first mark is set

    async def redis_lost_the_read_model() -> bool:
        # One SET per tick: the mark vanishes with everything else when Redis restarts
        # empty. The first tick only sets it (a starting worker's sessions are in Redis, or
        # the gateways' miss path restores them one by one); a Redis error skips the check.
        try:
            if not marked:
                live = LiveSessions(create_redis(settings))
                await live.still_marked(worker)
                marked.append(live)
                return False
            return not await marked[0].still_marked(worker)
        except (RedisError, OSError) as exc:
            log.warning("read model mark unavailable: %s", exc)
            return False

    @app.timer(SWEEP_EVERY_SECONDS)
    async def sweep_idle_sessions() -> None:
        # Timers cannot write tables: ask the owner of each idle user to sweep it, and after
        # Redis lost the read model, each user with live sessions to restore it (the owner
        # writes in order with the user's other commands, so nothing closed comes back). Runs
        # on every worker over its local entries; a duplicate sweep or restore is harmless.
        now = time.time()
        rebuild = await redis_lost_the_read_model()
        if rebuild:
            log.warning("Redis lost the session read model: restoring this worker's sessions")
        for key, raw in list(table.items()):
            state = decode_state(raw)
            if rebuild and state.sessions:
                await commands.send(key=key, value=codecs.encode(restore_command(key, now)))
                continue  # the restore expires idle sessions too
            limit = state.limits.session_idle_seconds
            idle = [s for s in state.sessions if now - s.last_seen > limit]
            if not idle:
                continue
            tenant, _, user = key.decode().partition(":")
            await commands.send(key=key, value=codecs.encode(SessionCommandV1(
                command_id=str(uuid.uuid4()), kind="sweep", tenant=tenant, tenant_id=0,
                user_id=user, issued_at=now)))

    return sessions
