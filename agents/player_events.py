"""The player-events agent: judge each event, follow coverage, fan out the results.

Keyed like the playback-events stream (``{tenant}:{user_id}``), so its table holds each user's
violation tracks and watch coverage. Per event: decide (pure, :mod:`policy.player_events`) ->
table write -> violation, revoke and progress messages. The events themselves reach the audit
trail without this agent (see :mod:`agents.recorders`); its verdicts follow as violations.
"""

from __future__ import annotations

import logging
import time
import uuid
from functools import partial
from typing import Any

import faust

from agents.dead_letters import AgentDeadLetters, until_done
from config.settings import Settings
from policy.player_events import decode_state, encode_state, step
from streams import codecs, topics
from streams.app import faust_table, faust_topic
from streams.schemas import PlaybackEventV1, SessionCommandV1

log = logging.getLogger(__name__)
TABLE_NAME = "player-state"


def register(app: faust.App, settings: Settings) -> Any:
    """Attach the player-events agent and its table to ``app``."""
    events = faust_topic(app, topics.PLAYBACK_EVENTS, settings)
    violations = faust_topic(app, topics.VIOLATIONS, settings)
    progress = faust_topic(app, topics.PROGRESS, settings)
    commands = faust_topic(app, topics.SESSION_COMMANDS, settings)
    table = faust_table(app, TABLE_NAME, settings)
    dead = AgentDeadLetters(app, settings)

    @app.agent(events, name="player-events", concurrency=1)
    async def player_events(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            e = await dead.decode(event, PlaybackEventV1)
            if e is None:
                continue
            key = event.key
            try:
                result = step(decode_state(table.get(key)), e)
            except Exception as exc:  # noqa: BLE001 - pure: the event's fault, never transient
                await dead.send(event, "convert", repr(exc))
                continue
            table[key] = encode_state(result.state)
            # A send that fails would make Faust ack the event (the agent raised): retry it.
            if result.violation is not None:
                await until_done("violation", partial(
                    violations.send, key=key, value=codecs.encode(result.violation)))
            if result.revoke:
                await until_done("revoke", partial(
                    commands.send, key=key, value=codecs.encode(SessionCommandV1(
                        command_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"revoke:{e.event_id}")),
                        kind="revoke", tenant=e.tenant, tenant_id=e.tenant_id,
                        user_id=e.user_id, issued_at=time.time(), session_id=e.session_id,
                        reason="violations"))))
            if result.progress is not None:
                await until_done("progress", partial(
                    progress.send, key=key, value=codecs.encode(result.progress)))

    return player_events
