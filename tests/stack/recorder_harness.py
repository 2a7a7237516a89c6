"""Test helper: a recorder on private copies of its topics (real Kafka, real PostgreSQL).

A poison message written to the shared topics would stay there for days and reach every
recorder of the stack (other checkouts of the project share it); private topics keep each test's
messages to that test, and a consumer group of its own keeps its offsets apart.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from agents import recorders
from config.settings import Settings
from streams import codecs, topics
from streams.admin import ensure_topics
from streams.tail import messages
from streams.topics import TopicSpec


@dataclass
class RunningRecorder:
    """A recorder task on private topics; ``topic(spec)`` is the private copy of ``spec``."""

    settings: Settings
    group: str
    private: dict[str, TopicSpec]
    task: asyncio.Task[None]
    producer: AIOKafkaProducer

    def topic(self, spec: TopicSpec) -> TopicSpec:
        """The private copy of a recorded topic."""
        return self.private[spec.name]

    async def publish(self, spec: TopicSpec, values: Sequence[Any], key: bytes = b"t:u"
                      ) -> list[int]:
        """Send values (bytes as they are, anything else encoded) with acks=all; offsets."""
        offsets = []
        for value in values:
            raw = value if isinstance(value, bytes) or value is None else codecs.encode(value)
            meta = await self.producer.send_and_wait(self.topic(spec).name, raw, key=key)
            offsets.append(meta.offset)
        return offsets

    async def committed(self, spec: TopicSpec) -> int:
        """The group's committed offset of the private topic's only partition (-1: none)."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self.settings.kafka_bootstrap_servers)
        await admin.start()
        try:
            offsets = await admin.list_consumer_group_offsets(self.group)
        finally:
            await admin.close()
        meta = offsets.get(TopicPartition(self.topic(spec).name, 0))
        return -1 if meta is None else meta.offset

    def alive(self) -> None:
        """Fail with the recorder's own exception if it died."""
        if self.task.done():
            exc = self.task.exception()
            raise AssertionError(f"the recorder stopped: {exc!r}") from exc

    async def until(self, what: str, check: Callable[[], Awaitable[bool]],
                    timeout: float = 30.0) -> None:
        """Wait for ``check()`` while the recorder lives; fail naming ``what``."""
        deadline = time.monotonic() + timeout
        while not await check():
            self.alive()
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            await asyncio.sleep(0.1)


@asynccontextmanager
async def private_recorder(settings: Settings, pool: asyncpg.Pool
                           ) -> AsyncIterator[RunningRecorder]:
    """Run :class:`agents.recorders.Recorder` on fresh one-partition copies of its topics."""
    run = uuid.uuid4().hex[:10]
    private = {sink.spec.name: dataclasses.replace(
        sink.spec, name=f"{sink.spec.name}.test-{run}", partitions=1)
        for sink in recorders.SINKS}
    await ensure_topics(settings, tuple(private.values()))
    own = dataclasses.replace(settings, agents_app_id=f"test-recorders-{run}")
    sinks = tuple(dataclasses.replace(s, spec=private[s.spec.name]) for s in recorders.SINKS)
    stop = asyncio.Event()
    task = asyncio.create_task(recorders.Recorder(own, pool, sinks).run(stop))
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        yield RunningRecorder(own, recorders.group_id(own), private, task, producer)
    finally:
        stop.set()
        await producer.stop()
        try:
            await asyncio.wait_for(asyncio.shield(task), 30)
        except Exception:  # noqa: BLE001 - already reported by the test when it matters
            task.cancel()
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
        await admin.start()
        try:
            await admin.delete_topics([spec.name for spec in private.values()])
        finally:
            await admin.close()


async def dead_letters_of(settings: Settings, source: TopicSpec) -> list[dict[str, Any]]:
    """The dead letters (decoded values) whose source is ``source``, in topic order."""
    return [m["value"] async for m in messages(settings.kafka_bootstrap_servers,
                                                topics.DEAD_LETTERS.name)
            if m["value"] and m["value"].get("source_topic") == source.name]
