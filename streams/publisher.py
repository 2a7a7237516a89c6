"""Publishing to Kafka with ``acks=all``: a returned call means the broker has the messages."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from config.settings import Settings
from streams import codecs
from streams.exceptions import PublishError
from streams.topics import TopicSpec


class Publisher:
    """A started idempotent producer shared by one process.

    ``timeout``: how long :meth:`publish` waits for Kafka before raising :class:`PublishError`
    (None: aiokafka's own bound, ``request_timeout_ms``, 40 s). With the broker away a send
    waits for metadata or for a full batch to drain, and then for the acknowledgement; the
    gateway bounds all of it so that a request answers 503 in seconds.

    The producer's buffer needs no bound of its own: aiokafka keeps one open batch per
    partition (``max_batch_size``) and a send that finds it full waits for it to drain (within
    ``timeout``), so what it holds is a batch or two per partition plus the messages of the
    publishes waiting, which the gateway's ``GATEWAY_MAX_IN_FLIGHT`` bounds.
    """

    def __init__(self, producer: AIOKafkaProducer, timeout: float | None = None) -> None:
        self._producer = producer
        self._timeout = timeout

    @classmethod
    async def start(cls, settings: Settings, client_id: str,
                    timeout: float | None = None) -> Publisher:
        """Connect a producer; idempotence makes its internal retries duplicate-free."""
        producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            client_id=client_id,
            acks="all",
            enable_idempotence=True,
            linger_ms=2,
        )
        await producer.start()
        return cls(producer, timeout)

    async def stop(self) -> None:
        """Flush what is pending and disconnect."""
        await self._producer.stop()

    async def publish(self, topic: TopicSpec, messages: Sequence[tuple[bytes, object]]) -> None:
        """Send ``(key, value)`` pairs and wait until Kafka acknowledged every one.

        Raises :class:`PublishError` if any send fails or the publisher's ``timeout`` passes:
        the caller must then treat the whole batch as not stored. A timed-out batch may still
        be delivered later (it stays in the producer's buffer), so a retry can make a
        duplicate: consumers are idempotent on event ids, and a batch retried with its
        ``batch_id`` gets the same ids.
        """
        futures: list[asyncio.Future[Any]] = []
        gathered: asyncio.Future[list[Any]] | None = None
        try:
            async with asyncio.timeout(self._timeout):
                for key, value in messages:
                    futures.append(
                        await self._producer.send(topic.name, codecs.encode(value), key=key))
                gathered = asyncio.gather(*futures)
                # Shielded: a timeout must not cancel the futures aiokafka resolves later.
                await asyncio.shield(gathered)
        except KafkaError as exc:
            raise PublishError(f"kafka did not acknowledge {topic.name}: {exc!r}") from exc
        except TimeoutError as exc:
            for future in futures if gathered is None else [gathered]:
                future.add_done_callback(_retrieve)
            raise PublishError(f"kafka did not acknowledge {topic.name} within "
                               f"{self._timeout}s") from exc

    async def ping(self) -> None:
        """Fetch cluster metadata: proves the broker answers (for readiness)."""
        try:
            await self._producer.client.fetch_all_metadata()
        except KafkaError as exc:
            raise PublishError(f"kafka unreachable: {exc!r}") from exc


def _retrieve(future: asyncio.Future[Any]) -> None:
    # The outcome of a send nobody waits for any more: read, so asyncio does not log it as
    # "never retrieved"; whether it was delivered is the consumers' concern (idempotent).
    if not future.cancelled():
        future.exception()
