"""The Faust agents' side of dead letters and retries: never crash on a message, never lose one.

Faust acknowledges the event in hand when an agent raises (its stream's ``finally``), so an
agent that raised on a poison message would restart and go on past it, and one that raised on a
Redis, PostgreSQL or Kafka outage would lose the message the same way. Hence, per message:
undecodable -> dead letter and skip; its effects -> :func:`until_done`, which retries the
infrastructure's failures in place (the partition waits) and turns PostgreSQL's refusal of the
data (SQLSTATE classes 22, 23, see :mod:`policy.db_faults`) into :class:`Refused`, which the
agent dead-letters.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
import faust
import redis.exceptions
from aiokafka.errors import KafkaError

from config.settings import Settings
from policy.db_faults import Fault, classify, reason_class
from streams import codecs, dead_letters, topics
from streams.app import faust_topic
from streams.exceptions import DecodeError, PublishError

log = logging.getLogger(__name__)
T = TypeVar("T")
RETRY_CAP_SECONDS = 30.0
# The infrastructure away or busy: the same message will go through once it is back.
TRANSIENT = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, asyncio.TimeoutError,
             KafkaError, PublishError, redis.exceptions.ConnectionError,
             redis.exceptions.TimeoutError, redis.exceptions.ReadOnlyError)


class Refused(Exception):
    """PostgreSQL refused a message's row for its data; ``sqlstate`` says how."""

    def __init__(self, sqlstate: str, message: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


async def until_done(what: str, action: Callable[[], Awaitable[T]]) -> T:
    """Run ``action`` until the infrastructure lets it through (the partition waits).

    Raises :class:`Refused` for a data refusal, which no retry can pass; anything that is not
    an infrastructure failure propagates as before.
    """
    failures = 0
    while True:
        try:
            return await action()
        except TRANSIENT as exc:
            sqlstate = getattr(exc, "sqlstate", None)
            if isinstance(exc, asyncpg.PostgresError) and classify(sqlstate) is Fault.DATA:
                raise Refused(str(sqlstate), str(exc)) from exc
            wait = min(RETRY_CAP_SECONDS, 2.0 ** failures)
            log.warning("%s failed (%r); retrying in %.0f s", what, exc, wait)
            failures += 1
            await asyncio.sleep(wait)


class AgentDeadLetters:
    """Publishes the dead letters of one Faust app's agents."""

    def __init__(self, app: faust.App, settings: Settings) -> None:
        self._topic = faust_topic(app, topics.DEAD_LETTERS, settings)
        self._group = app.conf.id

    async def send(self, event: faust.EventT, reason_class_: str, reason: str,
                   sqlstate: str = "") -> None:
        """Publish the event's letter and wait for every replica's ack (retried until then)."""
        message = event.message
        dead = dead_letters.letter(
            topic=message.topic, partition=message.partition, offset=message.offset,
            key=message.key, value=message.value, group=self._group,
            reason_class=reason_class_, reason=reason, at=time.time(), sqlstate=sqlstate)
        # In the message: Faust's log format drops extra fields.
        log.error("dead-lettered %s[%s]@%s (%s): %s", message.topic, message.partition,
                  message.offset, reason_class_, reason[:300])

        async def publish() -> None:
            sent = await self._topic.send(key=dead_letters.message_key(dead),
                                          value=codecs.encode(dead), force=True)
            await sent

        await until_done("dead letter", publish)
        dead_letters.counted([dead])

    async def refused(self, event: faust.EventT, exc: Refused) -> None:
        """Dead-letter a message whose row PostgreSQL refused."""
        await self.send(event, reason_class(exc.sqlstate), str(exc), exc.sqlstate)

    async def decode(self, event: faust.EventT, schema: type[T]) -> T | None:
        """The event's value as ``schema``, or None once it is dead-lettered."""
        try:
            if event.value is None:
                raise DecodeError("no value (a tombstone)")
            return codecs.decode(event.value, schema)
        except DecodeError as exc:
            await self.send(event, "decode", str(exc))
            return None
