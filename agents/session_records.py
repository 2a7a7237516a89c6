"""The session recorder: lifecycle events become ``playback_sessions`` rows, in batches."""

from __future__ import annotations

import logging
from typing import Any

import faust

from config.settings import Settings
from storage import playback_sessions
from storage.db import create_pool
from streams import codecs, topics
from streams.app import faust_topic
from streams.exceptions import DecodeError
from streams.schemas import SessionLifecycleV1

log = logging.getLogger(__name__)


def register(app: faust.App, settings: Settings) -> Any:
    """Attach the recorder agent to ``app``."""
    topic = faust_topic(app, topics.SESSION_LIFECYCLE, settings)

    @app.agent(topic, name="session-records", concurrency=1)
    async def session_records(stream: faust.StreamT[bytes]) -> None:
        pool = await create_pool(settings, min_size=1, max_size=2)
        try:
            async for values in stream.take(200, within=0.2):
                events = []
                for raw in values:
                    try:
                        events.append(codecs.decode(raw, SessionLifecycleV1))
                    except DecodeError as exc:
                        log.error("dropping undecodable lifecycle event",
                                  extra={"reason": str(exc)})
                async with pool.acquire() as conn, conn.transaction():
                    await playback_sessions.record(conn, events)
        finally:
            await pool.close()

    return session_records
