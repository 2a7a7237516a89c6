"""Publishing to Kafka with ``acks=all``: a returned call means the broker has the messages."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from config.settings import Settings
from streams import codecs
from streams.exceptions import PublishError
from streams.topics import TopicSpec


class Publisher:
    """A started idempotent producer shared by one process."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer

    @classmethod
    async def start(cls, settings: Settings, client_id: str) -> Publisher:
        """Connect a producer; idempotence makes its internal retries duplicate-free."""
        producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            client_id=client_id,
            acks="all",
            enable_idempotence=True,
            linger_ms=2,
        )
        await producer.start()
        return cls(producer)

    async def stop(self) -> None:
        """Flush what is pending and disconnect."""
        await self._producer.stop()

    async def publish(self, topic: TopicSpec, messages: Sequence[tuple[bytes, object]]) -> None:
        """Send ``(key, value)`` pairs and wait until Kafka acknowledged every one.

        Raises :class:`PublishError` if any send fails: the caller must then treat the whole
        batch as not stored (a retry is safe, consumers are idempotent on event ids).
        """
        try:
            futures = [
                await self._producer.send(topic.name, codecs.encode(value), key=key)
                for key, value in messages
            ]
            await asyncio.gather(*futures)
        except KafkaError as exc:
            raise PublishError(f"kafka did not acknowledge {topic.name}: {exc!r}") from exc

    async def ping(self) -> None:
        """Fetch cluster metadata: proves the broker answers (for readiness)."""
        try:
            await self._producer.client.fetch_all_metadata()
        except KafkaError as exc:
            raise PublishError(f"kafka unreachable: {exc!r}") from exc
