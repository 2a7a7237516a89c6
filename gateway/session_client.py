"""Request/reply with the session actor over plain aiokafka (faust's ask() leaks memory).

Each gateway (host and port) has a one-partition reply topic, reused across restarts; a
process reads it from its end when it starts. Processes sharing one (tests) ignore the replies
they did not ask for. While it runs, the gateway marks its topic every minute (a record the
reader skips), and recreates it if it is gone: the janitor (:mod:`streams.reply_janitor`)
deletes the topics with no mark for ``REPLY_TOPIC_IDLE_SECONDS``. A command carries
``reply_to`` and a ``command_id``; the actor answers keyed by that id; a background reader
resolves the waiting future. A play whose answer does not come in time is cancelled, so a late grant is undone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from dataclasses import replace

from aiokafka import AIOKafkaConsumer, TopicPartition

from config.settings import Settings
from policy.reply_topics import marker_every
from streams import codecs, topics
from streams.admin import ensure_topics
from streams.exceptions import DecodeError, PublishError
from streams.publisher import Publisher
from streams.schemas import SessionCommandV1, SessionReplyV1

log = logging.getLogger(__name__)
NOT_REPLIES = (topics.REPLY_MARKER_KEY, topics.REPLY_PROBE_KEY)


class ActorTimeout(Exception):
    """The session actor did not answer in time."""


class SessionClient:
    """Sends session commands; waits for the replies of those that ask for one."""

    def __init__(self, settings: Settings, publisher: Publisher, gateway_id: str) -> None:
        self._settings = settings
        self._publisher = publisher
        self._gateway_id = gateway_id
        self.reply_topic = topics.reply_topic(gateway_id, settings.reply_topic_idle_seconds)
        self._waiting: dict[str, asyncio.Future[SessionReplyV1]] = {}
        self._consumer: AIOKafkaConsumer | None = None
        self._reader: asyncio.Task[None] | None = None
        self._marker: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()  # tell_soon's sends, until done

    async def start(self) -> None:
        """Create the reply topic, mark it, and start reading it from its current end."""
        await ensure_topics(self._settings, (self.reply_topic,))
        await self.mark()
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self._settings.kafka_bootstrap_servers, enable_auto_commit=False,
            fetch_max_wait_ms=50)
        await self._consumer.start()
        tp = TopicPartition(self.reply_topic.name, 0)
        self._consumer.assign([tp])
        await self._consumer.seek_to_end(tp)
        await self._consumer.position(tp)  # resolve the offset now, before any command is sent
        self._reader = asyncio.create_task(self._read(), name="session-replies")
        self._marker = asyncio.create_task(self._mark_forever(), name="reply-topic-marker")

    async def stop(self) -> None:
        """Stop reading and marking. The reply topic stays: the next process with this id
        reuses it; without one, the janitor deletes it once it has been idle long enough."""
        # Sends already handed to tell_soon go out (each bounded by the publish timeout).
        await asyncio.gather(*self._sending, return_exceptions=True)
        for task in (self._marker, self._reader):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._consumer is not None:
            await self._consumer.stop()

    async def mark(self) -> None:
        """Write this gateway's sign of life to its reply topic (acknowledged on return)."""
        await self._publisher.publish(self.reply_topic,
                                      [(topics.REPLY_MARKER_KEY, {"gateway": self._gateway_id})])

    async def _mark_forever(self) -> None:
        every = marker_every(self._settings.reply_topic_idle_seconds)
        while True:
            await asyncio.sleep(every)
            try:
                # A gateway cut off from Kafka for longer than the idle threshold finds its
                # topic deleted when it is back: recreate it and read the new one from its end.
                if await ensure_topics(self._settings, (self.reply_topic,)):
                    log.warning("reply topic was gone; recreated",
                                extra={"topic": self.reply_topic.name})
                    assert self._consumer is not None
                    await self._consumer.seek_to_end(TopicPartition(self.reply_topic.name, 0))
                await self.mark()
            except Exception:  # Kafka away: mark again next time
                log.exception("marking the reply topic failed; retrying")

    async def _read(self) -> None:
        assert self._consumer is not None
        async for record in self._consumer:
            if record.key in NOT_REPLIES:
                continue
            try:
                reply = codecs.decode(record.value, SessionReplyV1)
            except DecodeError as exc:
                log.error("undecodable session reply", extra={"reason": str(exc)})
                continue
            future = self._waiting.pop(reply.command_id, None)
            if future is not None and not future.done():
                future.set_result(reply)

    def command(self, kind: str, **fields: object) -> SessionCommandV1:
        """A new command with a fresh id, stamped with this process's clock."""
        return SessionCommandV1(command_id=str(uuid.uuid4()), kind=kind,
                                issued_at=time.time(), **fields)  # type: ignore[arg-type]

    async def tell(self, cmd: SessionCommandV1) -> None:
        """Publish a command that needs no answer (acknowledged by Kafka on return)."""
        await self._publisher.publish(topics.SESSION_COMMANDS,
                                      [(topics.user_key(cmd.tenant, cmd.user_id), cmd)])

    def tell_soon(self, cmd: SessionCommandV1) -> None:
        """Publish a command in the background, without holding the caller's answer (a
        failure is logged: it is for commands whose loss only delays a clean-up)."""
        async def send() -> None:
            try:
                await self.tell(cmd)
            except PublishError as exc:
                log.warning("session command not published: %s", exc,
                            extra={"kind": cmd.kind})

        task = asyncio.create_task(send(), name=f"session-{cmd.kind}")
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def ask(self, cmd: SessionCommandV1, timeout: float) -> SessionReplyV1:
        """Publish a command and wait for its reply; :class:`ActorTimeout` after ``timeout``."""
        cmd = replace(cmd, reply_to=self.reply_topic.name)
        future: asyncio.Future[SessionReplyV1] = asyncio.get_running_loop().create_future()
        self._waiting[cmd.command_id] = future
        try:
            await self.tell(cmd)
            return await asyncio.wait_for(future, timeout)
        except TimeoutError as exc:
            raise ActorTimeout(cmd.kind) from exc
        finally:
            self._waiting.pop(cmd.command_id, None)

