"""The audit agent: every accepted player event lands in ``playback_events`` exactly once."""

from __future__ import annotations

import logging

import faust

from config.settings import Settings
from storage.audit import PlaybackEventRepository
from storage.db import create_pool
from streams import codecs, topics
from streams.app import faust_topic
from streams.exceptions import DecodeError
from streams.schemas import PlaybackEventV1

log = logging.getLogger(__name__)

# Rows per INSERT and the longest an event waits for its batch to fill.
BATCH_MAX = 500
BATCH_WITHIN_SECONDS = 0.2


def decode_batch(raw_values: list[bytes]) -> list[PlaybackEventV1]:
    """Decode a batch, dropping (and logging) values that are not playback events."""
    out = []
    for raw in raw_values:
        try:
            out.append(codecs.decode(raw, PlaybackEventV1))
        except DecodeError as exc:
            # Only our gateway produces here; a bad value is a bug to see, not to retry forever.
            log.error("dropping undecodable playback event", extra={"reason": str(exc)})
    return out


def register(app: faust.App, settings: Settings) -> faust.types.AgentT:
    """Attach the audit agent to ``app``."""
    topic = faust_topic(app, topics.PLAYBACK_EVENTS, settings)

    @app.agent(topic, name="audit", concurrency=1)
    async def audit(stream: faust.StreamT[bytes]) -> None:
        pool = await create_pool(settings, min_size=1, max_size=2)
        repository = PlaybackEventRepository(pool)
        try:
            async for values in stream.take(BATCH_MAX, within=BATCH_WITHIN_SECONDS):
                # Written before the offsets are acked: a crash replays, the insert dedupes.
                stored = await repository.insert_many(decode_batch(values))
                log.debug("audit batch", extra={"received": len(values), "stored": stored})
        finally:
            await pool.close()

    return audit
