"""The session actor's replies: delivered to a live gateway, dropped when its topic is gone.

A reply goes to the asking gateway's own topic, which the janitor deletes once the gateway has
been gone long enough, and auto topic creation is off. Through Faust's shared producer, a send
to such a topic waits up to ``producer_request_timeout`` (20 min) for its metadata, or, when
the producer still knew the topic, leaves a batch that every offset commit's flush then waits
for (measured on the stack; ``tests/stack/test_reply_topics.py``). So replies have their own
producer, and each delivery is watched: while it is pending, the broker is asked whether the
topic exists; a topic the broker says is gone (twice, a moment apart) means nobody waits for
the reply: it is dropped, logged and counted. Anything else (the broker away or slow) keeps the
reply pending and re-sent, as every other effect of the actor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from prometheus_client import Counter

from config.settings import Settings

log = logging.getLogger(__name__)
CHECK_EVERY_SECONDS = 0.5  # how often a pending reply's topic is checked
CONFIRM_SECONDS = 0.3  # a second look before dropping: a just-created topic may be slow to show
RETRY_CAP_SECONDS = 30.0
# A dropped reply's batch lingers in the producer until it expires; bound it.
REQUEST_TIMEOUT_MS = 30_000
UNKNOWN_TOPIC_OR_PARTITION = 3

REPLIES_DROPPED_TOTAL = Counter(
    "lecturecast_session_replies_dropped_total",
    "Session replies dropped because their gateway's reply topic no longer exists")


class ReplySender:
    """Delivers the actor's replies with ``acks=all``, or drops those nobody can receive."""

    def __init__(self, settings: Settings) -> None:
        servers = settings.kafka_bootstrap_servers
        self._producer = AIOKafkaProducer(bootstrap_servers=servers, acks="all",
                                          request_timeout_ms=REQUEST_TIMEOUT_MS)
        self._admin = AIOKafkaAdminClient(bootstrap_servers=servers)
        self._started: list[object] = []

    async def start(self) -> None:
        """Connect the producer and the admin client (call again after a KafkaError)."""
        if self._producer not in self._started:
            await self._producer.start()
            self._started.append(self._producer)
        await self._admin.start()

    async def stop(self) -> None:
        """Disconnect (a dropped reply's batch may still be pending: not waited for)."""
        await self._admin.close()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._producer.stop(), 5.0)

    async def send(self, topic: str, key: bytes, value: bytes) -> bool:
        """Deliver one reply; False when it was dropped because ``topic`` does not exist."""
        started = time.monotonic()
        failures = 0
        while True:
            try:
                delivered = await self._deliver(topic, key, value)
            except KafkaError as exc:
                wait = min(RETRY_CAP_SECONDS, 2.0 ** failures)
                log.warning("reply to %s failed (%r); retrying in %.0f s", topic, exc, wait)
                failures += 1
                await asyncio.sleep(wait)
                continue
            if not delivered:
                REPLIES_DROPPED_TOTAL.inc()
                log.warning("reply dropped: topic %s does not exist (its gateway is gone); "
                            "%.2f s spent", topic, time.monotonic() - started)
                self._forget(topic)
            return delivered

    async def _deliver(self, topic: str, key: bytes, value: bytes) -> bool:
        """True once acknowledged, False if the topic is gone; KafkaError to retry."""
        if self._producer.client.cluster.partitions_for_topic(topic) is None \
                and await self._gone(topic):
            return False  # unknown to the producer and to the broker: do not wait for it
        send = asyncio.ensure_future(self._producer.send(topic, value, key=key))
        try:
            while not send.done():
                await asyncio.wait({send}, timeout=CHECK_EVERY_SECONDS)
                if not send.done() and await self._gone(topic):
                    return False
            delivery = send.result()
            # A dropped reply's delivery fails later, when its batch expires: nobody awaits it.
            delivery.add_done_callback(lambda f: f.cancelled() or f.exception())
            while not delivery.done():
                await asyncio.wait({delivery}, timeout=CHECK_EVERY_SECONDS)
                if not delivery.done() and await self._gone(topic):
                    return False
            delivery.result()
            return True
        finally:
            send.cancel()  # still waiting for metadata: nothing was appended

    async def _gone(self, topic: str) -> bool:
        """Whether the broker says, twice, that ``topic`` does not exist; False when it cannot
        say (the broker away is not a missing topic)."""
        for attempt in range(2):
            if attempt:
                await asyncio.sleep(CONFIRM_SECONDS)
            try:
                described = await self._admin.describe_topics([topic])
            except KafkaError:
                return False
            if not described or described[0].get("error_code") != UNKNOWN_TOPIC_OR_PARTITION:
                return False
        return True

    def _forget(self, topic: str) -> None:
        # The producer keeps asking the broker for the metadata of every topic it ever sent
        # to, and logs an error for each missing one at every refresh: forget the gone one.
        client = self._producer.client
        client.set_topics([t for t in client._topics if t != topic])
