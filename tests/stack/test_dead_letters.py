"""Every other consumer dead-letters what it cannot decode and keeps going (real processes).

The Faust agents (sessions, player events), the transcode dispatch and the transcoder workers
each get a value that is not their schema on their own topic: each publishes its dead letter
(with the original bytes) and handles the next message as usual. The poison values here are
harmless to older checkouts sharing the stack: they log and skip what does not decode.
"""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from config.settings import Settings
from streams import topics
from streams.tail import messages
from streams.topics import TopicSpec

pytestmark = pytest.mark.stack


async def _publish(settings: Settings, spec: TopicSpec, key: bytes,
                   value: bytes) -> tuple[int, int]:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        meta = await producer.send_and_wait(spec.name, value, key=key)
    finally:
        await producer.stop()
    return int(meta.partition), int(meta.offset)


async def _letter(settings: Settings, spec: TopicSpec, where: tuple[int, int], group: str,
                  timeout: float = 60.0) -> dict[str, Any]:
    """``group``'s letter for the message at ``where`` (the recorders read the playback events
    too, and dead-letter the same poison in their own name)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async for m in messages(settings.kafka_bootstrap_servers, topics.DEAD_LETTERS.name):
            v = m["value"] or {}
            if (v.get("source_topic"), v.get("partition"), v.get("offset"),
                    v.get("consumer_group")) == (spec.name, *where, group):
                return dict(v)
        await asyncio.sleep(1.0)
    raise AssertionError(f"no dead letter for {spec.name} {where}")


def _poison(**fields: Any) -> bytes:
    # video_id 0 and a fresh session id: no test's reader ever filters on them.
    return orjson.dumps({"session_id": f"poison-{uuid.uuid4().hex}", "video_id": 0,
                         "kind": "poison", **fields})


@pytest.mark.parametrize("spec", [topics.SESSION_COMMANDS, topics.PLAYBACK_EVENTS],
                         ids=lambda s: s.name)
async def test_the_agents_dead_letter_what_they_cannot_decode(
        settings: Settings, agents_worker: Any, spec: TopicSpec) -> None:
    poison = _poison(tenant_id="not a number")
    where = await _publish(settings, spec, b"t-poison:u", poison)
    letter = await _letter(settings, spec, where, settings.agents_app_id)
    assert letter["reason_class"] == "decode"
    assert base64.b64decode(letter["value"]) == poison


async def test_dispatch_dead_letters_what_it_cannot_decode(
        settings: Settings, dispatch_worker: Any) -> None:
    poison = _poison(requested_at="yesterday")
    where = await _publish(settings, topics.TRANSCODE_REQUESTS, b"t-poison:1", poison)
    letter = await _letter(settings, topics.TRANSCODE_REQUESTS, where,
                           f"{settings.agents_app_id}-dispatch")
    assert letter["reason_class"] == "decode"


async def test_the_transcoder_dead_letters_what_it_cannot_decode(
        settings: Settings, transcoder_worker: Any) -> None:
    poison = _poison(job_id=7)
    where = await _publish(settings, topics.TRANSCODE_JOBS, b"t-poison:1", poison)
    letter = await _letter(settings, topics.TRANSCODE_JOBS, where, "lecturecast-transcoder")
    assert letter["reason_class"] == "decode"
